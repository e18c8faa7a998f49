import type { InboxRule, OofSettings, RuleActions } from '../../ews/types.js';
import type { MailboxStore, StoredFolder } from './store.js';

/**
 * Seeding the EWS double's mailboxes: folders by path (first segment a distinguished folder: `calendar`,
 * `contacts`, `tasks`, `inbox`...; or `root` for the top of the IPM subtree), items, rules whose folders are
 * named by path, out-of-office settings. `sampleCollaborativeData()` is what the sandbox's Exchange mailboxes
 * hold: a recurring meeting with an exception, a deleted occurrence and attendees, contacts, a contact group,
 * tasks, two rules (one moving mail to a sub-folder) and a scheduled out-of-office reply.
 */

export interface SeedItem {
  subject: string;
  itemClass: string;
  /** Calendar items. */
  start?: string;
  end?: string;
  /** The rest of the item (recurrence, attendees, addresses, members, attachments...). */
  content?: Record<string, unknown>;
  extended?: Record<string, string>;
}

export interface SeedFolder {
  /** `calendar`, `calendar/Projets`, `contacts/Clients`, `inbox/Newsletters`, `root/Archives 2024`... */
  path: string;
  /** For folders the seed creates (default: the parent's class). */
  folderClass?: string;
  hidden?: boolean;
  items?: SeedItem[];
}

type PathFolder = { path: string };
export interface SeedRule extends Omit<InboxRule, 'actions' | 'id'> {
  actions?: Omit<RuleActions, 'MoveToFolder' | 'CopyToFolder'> & { MoveToFolder?: PathFolder; CopyToFolder?: PathFolder };
}

export interface MailboxSeed {
  folders?: SeedFolder[];
  rules?: SeedRule[];
  oof?: OofSettings;
  /** Outlook's client-side rule blob exists in the mailbox. */
  outlookRuleBlobExists?: boolean;
}

/** The folder at `path`, created (with its missing parents) when absent. */
export function ensureFolder(store: MailboxStore, path: string, folderClass?: string, hidden?: boolean): StoredFolder {
  const [first, ...rest] = path.split('/').filter(Boolean);
  const anchor = first === 'root' ? 'msgfolderroot' : first;
  const anchorId = store.distinguished.get(anchor);
  if (!anchorId) throw new Error(`seed path ${path}: ${first} is not a distinguished folder`);
  let folder = store.folders.get(anchorId)!;
  rest.forEach((name, index) => {
    const existing = store.childFolders(folder.id).find((child) => child.displayName === name);
    const last = index === rest.length - 1;
    folder = existing ?? store.addFolder({ parentId: folder.id, displayName: name, folderClass: (last ? folderClass : undefined) ?? folder.folderClass ?? 'IPF.Note', hidden: last ? hidden : undefined });
  });
  return folder;
}

export function seedMailbox(store: MailboxStore, seed: MailboxSeed): void {
  for (const spec of seed.folders ?? []) {
    const folder = ensureFolder(store, spec.path, spec.folderClass, spec.hidden);
    for (const item of spec.items ?? []) store.addItem(folder.id, { itemClass: item.itemClass, subject: item.subject, start: item.start, end: item.end, content: item.content ?? {}, extended: item.extended ?? {} });
  }
  for (const rule of seed.rules ?? []) {
    const { MoveToFolder, CopyToFolder, ...others } = rule.actions ?? {};
    const actions: RuleActions = { ...others };
    if (MoveToFolder) actions.MoveToFolder = { id: ensureFolder(store, MoveToFolder.path).id };
    if (CopyToFolder) actions.CopyToFolder = { id: ensureFolder(store, CopyToFolder.path).id };
    store.rules.push({ id: store.nextRuleId(), rule: { ...rule, actions: rule.actions ? actions : undefined } });
  }
  if (seed.oof) store.oof = seed.oof;
  if (seed.outlookRuleBlobExists !== undefined) store.outlookRuleBlobExists = seed.outlookRuleBlobExists;
}

/** A small PDF-like attachment, so that sizes and blobs are not trivial. */
function attachment(name: string, bytes: number): { name: string; contentType: string; content: string } {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 31 + name.length) & 0xff;
  return { name, contentType: 'application/pdf', content: data.toString('base64') };
}

function contact(given: string, surname: string, email: string, extra: Record<string, unknown> = {}): SeedItem {
  const displayName = `${given} ${surname}`;
  return { itemClass: 'IPM.Contact', subject: displayName, content: { displayName, givenName: given, surname, fileAs: `${surname}, ${given}`, emailAddresses: [{ key: 'EmailAddress1', address: email }], ...extra } };
}

/** What the sandbox's Exchange mailboxes hold besides mail (see the module comment). */
export function sampleCollaborativeData(address: string, options: { colleague?: string } = {}): MailboxSeed {
  const colleague = options.colleague ?? 'jane.doe@mydomain.ovh';
  const uid = (n: number) => `040000008200E00074C5B7101A82E008000000000${address.replace(/\W/g, '').slice(0, 12)}${n}`;
  return {
    folders: [
      {
        path: 'calendar',
        items: [
          {
            itemClass: 'IPM.Appointment',
            subject: 'Weekly team meeting',
            start: '2026-01-05T09:00:00Z',
            end: '2026-01-05T10:00:00Z',
            content: {
              uid: uid(1),
              organizer: address,
              location: 'Salle Zürich',
              body: 'Ordre du jour : avancement, risques, café.',
              recurrence: { pattern: 'Weekly', interval: 1, daysOfWeek: ['Monday'], startDate: '2026-01-05', numberOfOccurrences: 26 },
              attendees: [
                { address: colleague, type: 'Required', response: 'Accept' },
                { address: 'partner@example.com', type: 'Optional', response: 'Tentative' },
              ],
              modifiedOccurrences: [{ originalStart: '2026-01-19T09:00:00Z', start: '2026-01-20T14:00:00Z', end: '2026-01-20T15:00:00Z', subject: 'Weekly team meeting (moved to Tuesday)' }],
              deletedOccurrences: ['2026-02-02T09:00:00Z'],
            },
          },
          {
            itemClass: 'IPM.Appointment',
            subject: 'Dentist',
            start: '2026-03-12T16:30:00Z',
            end: '2026-03-12T17:00:00Z',
            content: { uid: uid(2), organizer: address, reminderMinutes: 60, attachments: [attachment('appointment-card.pdf', 2048)] },
          },
        ],
      },
      {
        path: 'calendar/Projets',
        folderClass: 'IPF.Appointment',
        items: [{ itemClass: 'IPM.Appointment', subject: 'Kick-off projet été', start: '2026-06-01T08:00:00Z', end: '2026-06-01T09:30:00Z', content: { uid: uid(3), organizer: address, attendees: [{ address: colleague, type: 'Required', response: 'NoResponseReceived' }] } }],
      },
      {
        path: 'contacts',
        items: [
          contact('Alice', 'Martin', 'alice.martin@example.com', { companyName: 'Martin SARL', phoneNumbers: [{ key: 'BusinessPhone', number: '+33 1 23 45 67 89' }] }),
          contact('Bob', 'Durand', 'bob.durand@example.com'),
          contact('Émilie', 'Noël', 'emilie.noel@example.fr', { birthday: '1990-12-25' }),
          {
            itemClass: 'IPM.DistList',
            subject: 'Équipe projet',
            content: { displayName: 'Équipe projet', members: [{ name: 'Alice Martin', address: 'alice.martin@example.com' }, { name: 'Bob Durand', address: 'bob.durand@example.com' }, { name: 'Jane Doe', address: colleague }] },
          },
        ],
      },
      { path: 'contacts/Clients', folderClass: 'IPF.Contact', items: [contact('Carla', 'Client', 'carla@client.example'), contact('Dimitri', 'Dupont', 'dimitri@client.example')] },
      // Exchange's own recipient cache (hidden): never copied.
      { path: 'contacts/Recipient Cache', items: [contact('Auto', 'Completed', 'someone@example.net')] },
      {
        path: 'tasks',
        items: [
          { itemClass: 'IPM.Task', subject: 'Prepare the migration', content: { status: 'InProgress', percentComplete: 50, dueDate: '2026-12-15T00:00:00Z', importance: 'High' } },
          { itemClass: 'IPM.Task', subject: 'Send invoices', content: { status: 'Completed', percentComplete: 100, completeDate: '2026-11-02T00:00:00Z' } },
          { itemClass: 'IPM.Task', subject: 'Weekly report', content: { status: 'NotStarted', recurrence: { pattern: 'Weekly', interval: 1, daysOfWeek: ['Friday'] } } },
        ],
      },
      { path: 'inbox/Newsletters', folderClass: 'IPF.Note' },
    ],
    rules: [
      {
        displayName: 'Newsletters to their folder',
        priority: 1,
        isEnabled: true,
        conditions: { ContainsSubjectStrings: ['newsletter', 'lettre d’information'] },
        actions: { MoveToFolder: { path: 'inbox/Newsletters' }, StopProcessingRules: true },
      },
      {
        displayName: 'Boss is important',
        priority: 2,
        isEnabled: true,
        conditions: { FromAddresses: [{ name: 'The Boss', address: 'boss@example.com', routingType: 'SMTP' }] },
        exceptions: { ContainsSubjectStrings: ['FYI'] },
        actions: { MarkImportance: 'High', AssignCategories: ['Boss'] },
      },
    ],
    oof: {
      state: 'Scheduled',
      externalAudience: 'Known',
      duration: { start: '2026-12-21T08:00:00Z', end: '2027-01-04T08:00:00Z' },
      internalReply: { message: 'Je suis en congés jusqu’au 4 janvier. Urgent : jane.doe@mydomain.ovh.', lang: 'fr-FR' },
      externalReply: { message: 'I am away until 4 January.', lang: 'en-US' },
    },
  };
}

/** A mailbox of `count` contacts and as many appointments (`bytes` each, roughly), for volume tests and the benchmark. */
export function bulkCollaborativeData(count: number, bytes = 2048): MailboxSeed {
  const filler = (i: number) => 'x'.repeat(Math.max(0, bytes - 200)) + i;
  return {
    folders: [
      { path: 'contacts', items: Array.from({ length: count }, (_, i) => contact(`Person${i}`, `Bulk${i}`, `person${i}@example.com`, { notes: filler(i) })) },
      {
        path: 'calendar',
        items: Array.from({ length: count }, (_, i) => ({
          itemClass: 'IPM.Appointment',
          subject: `Appointment ${i}`,
          start: new Date(Date.UTC(2026, 0, 1, 8) + i * 3_600_000).toISOString().replace('.000Z', 'Z'),
          end: new Date(Date.UTC(2026, 0, 1, 9) + i * 3_600_000).toISOString().replace('.000Z', 'Z'),
          content: { body: filler(i) },
        })),
      },
    ],
  };
}
