import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyCollaborative, planCollaborative, type CollaborativeProgress } from '../../src/ews/index.js';
import { collaborativeReportSchema } from '../../src/domain/collaborative-report.js';
import { bulkCollaborativeData, ensureFolder, seedMailbox, type EwsDouble } from '../../src/sandbox/ews/index.js';
import { SOURCE, contentByFolder, expectedCopy, newDestination, sourceEndpoint, startDouble, uploads } from './support.js';

const FAST = { retry: { baseDelayMs: 10, maxDelayMs: 50 } };

describe('copyCollaborative against the EWS double', () => {
  let double: EwsDouble;
  beforeAll(async () => {
    double = await startDouble();
  });
  afterEach(() => double.faults.clear());
  // stop() fails the suite if any request or answer broke the EWS schemas.
  afterAll(async () => double?.stop());

  it('copies every kind: calendars with their recurrence, exception and attendees, contacts, a contact group, tasks, rules, out-of-office', async () => {
    const dest = newDestination(double);
    const progress: CollaborativeProgress[] = [];
    const outcome = await copyCollaborative({ from: sourceEndpoint(double), to: dest.endpoint, onProgress: (p) => progress.push(p), progressIntervalMs: 0, ...FAST });
    expect(collaborativeReportSchema.parse(outcome.report)).toEqual(outcome.report);
    expect(outcome.report).toMatchObject({
      ok: true,
      calendar: { total: 3, copied: 3, skipped: 0, failed: 0 },
      contacts: { total: 6, copied: 6, skipped: 0, failed: 0 },
      tasks: { total: 3, copied: 3, skipped: 0, failed: 0 },
      rules: { total: 2, copied: 2, skipped: 0, failed: 0 },
      oof: { status: 'copied', state: 'Scheduled' },
    });
    const source = double.mailbox(SOURCE);
    // Same folders (localized default folders mapped onto each other, sub-folders created), same items; the
    // hidden recipient cache and the birthdays calendar are not copied.
    expect(contentByFolder(dest.store)).toEqual(expectedCopy(source));
    expect(outcome.report.folders.map((f) => [f.from, f.to, f.kind])).toEqual([
      ['Calendar', 'Calendrier', 'calendar'],
      ['Contacts', 'Contacts', 'contacts'],
      ['Tasks', 'Tâches', 'tasks'],
      ['Calendar/Projets', 'Calendrier/Projets', 'calendar'],
      ['Contacts/Clients', 'Contacts/Clients', 'contacts'],
    ]);
    const projets = [...dest.store.folders.values()].find((f) => f.displayName === 'Projets')!;
    expect(projets.folderClass).toBe('IPF.Appointment');
    // Full fidelity: the stream carried everything; the copy has a new id and a new creation time.
    const meeting = (store: typeof source) => [...store.items.values()].find((i) => i.subject === 'Weekly team meeting')!;
    const original = meeting(source);
    const copy = meeting(dest.store);
    expect(copy.content).toEqual(original.content);
    expect(copy.content).toMatchObject({ recurrence: { pattern: 'Weekly' }, modifiedOccurrences: [expect.any(Object)], deletedOccurrences: ['2026-02-02T09:00:00Z'], attendees: [expect.objectContaining({ response: 'Accept' }), expect.objectContaining({ response: 'Tentative' })] });
    expect(copy.id).not.toBe(original.id);
    expect([copy.start, copy.end]).toEqual([original.start, original.end]);
    const group = [...dest.store.items.values()].find((i) => i.itemClass === 'IPM.DistList')!;
    expect((group.content.members as unknown[]).length).toBe(3);
    const dentist = [...dest.store.items.values()].find((i) => i.subject === 'Dentist')!;
    expect((dentist.content.attachments as Array<{ content: string }>)[0].content.length).toBeGreaterThan(2000);
    // Rules: the folder id of MoveToFolder is the destination's Inbox/Newsletters.
    const newsletters = dest.store.folderByPath(`${dest.store.folders.get(dest.store.distinguished.get('inbox')!)!.displayName}/Newsletters`)!;
    expect(dest.store.rules.map((r) => r.rule.displayName)).toEqual(['Newsletters to their folder', 'Boss is important']);
    expect(dest.store.rules[0].rule.actions?.MoveToFolder).toEqual({ id: newsletters.id });
    expect(dest.store.oof).toEqual(source.oof);
    expect(outcome.journal.pending).toEqual({});
    expect(progress.at(-1)).toMatchObject({ phase: 'done', itemsDone: 12, itemsTotal: 12 });
  });

  it('a second run uploads nothing and reports everything as already there', async () => {
    const dest = newDestination(double);
    await copyCollaborative({ from: sourceEndpoint(double), to: dest.endpoint, ...FAST });
    const before = uploads(double, dest.address);
    const logged = double.requests.length;
    const again = await copyCollaborative({ from: sourceEndpoint(double), to: dest.endpoint, ...FAST });
    expect(uploads(double, dest.address)).toBe(before);
    const writes = double.requests.slice(logged).filter((r) => ['UploadItems', 'UpdateItem', 'CreateFolder', 'UpdateInboxRules', 'SetUserOofSettings'].includes(r.operation ?? ''));
    expect(writes).toEqual([]);
    expect(again.report).toMatchObject({ ok: true, calendar: { copied: 0, skipped: 3 }, contacts: { copied: 0, skipped: 6 }, tasks: { copied: 0, skipped: 3 }, rules: { copied: 0, skipped: 2 }, oof: { status: 'skipped' } });
    expect(contentByFolder(dest.store)).toEqual(expectedCopy(double.mailbox(SOURCE)));
  });

  it('a dry run reads both sides and changes nothing', async () => {
    const dest = newDestination(double);
    const plan = await planCollaborative({ from: sourceEndpoint(double), to: dest.endpoint, ...FAST });
    expect(plan.report).toMatchObject({ calendar: { total: 3, copied: 0, skipped: 0 }, contacts: { total: 6 }, tasks: { total: 3 } });
    expect(plan.createdFolders.sort()).toEqual(['Calendrier/Projets', 'Contacts/Clients']);
    expect(plan.rules.map((r) => r.status)).toEqual(['copied', 'copied']);
    const writes = double.requests.filter((r) => r.mailbox === dest.address && ['UploadItems', 'UpdateItem', 'CreateFolder', 'UpdateInboxRules', 'SetUserOofSettings'].includes(r.operation ?? ''));
    expect(writes).toEqual([]);
    expect(contentByFolder(dest.store)).toEqual({});
  });

  it('a rule that cannot be recreated is reported with the reason, and the others are still copied', async () => {
    const source = double.addMailbox('rules.source@mydomain.ovh', 'Rules-Pass-1');
    seedMailbox(source, {
      folders: [{ path: 'inbox/Factures', folderClass: 'IPF.Note' }],
      rules: [
        { displayName: 'Invoices', priority: 1, isEnabled: true, conditions: { ContainsSubjectStrings: ['facture'] }, actions: { MoveToFolder: { path: 'inbox/Factures' } } },
        { displayName: 'SMS for the boss', priority: 2, isEnabled: true, conditions: { FromAddresses: [{ address: 'boss@example.com' }] }, actions: { SendSMSAlertToRecipients: [{ address: '+33600000000', routingType: 'MOBILE' }] } },
        { displayName: 'Outlook-only rule', priority: 3, isEnabled: true, isNotSupported: true, actions: { Delete: true } },
        { displayName: 'Forward to the old assistant', priority: 4, isEnabled: true, actions: { ForwardToRecipients: [{ address: 'gone@mydomain.ovh' }] } },
      ],
    });
    const strict = await startDouble({ rulePolicy: { unsupportedActions: ['SendSMSAlertToRecipients'], unknownRecipients: ['gone@mydomain.ovh'] } });
    try {
      // Source on one server, destination on another (as between two OVH services).
      const dest = newDestination(strict);
      const outcome = await copyCollaborative({ from: { url: double.url, username: source.address, password: 'Rules-Pass-1', mailbox: source.address, ca: double.caCertificate }, to: dest.endpoint, ...FAST });
      expect(outcome.report.rules).toEqual({ total: 4, copied: 1, skipped: 0, failed: 3 });
      expect(outcome.report.ok).toBe(false);
      expect(outcome.rules).toEqual([
        { name: 'Invoices', status: 'copied' },
        { name: 'SMS for the boss', status: 'refused', reason: expect.stringMatching(/SendSMSAlertToRecipients: UnsupportedRule/) },
        { name: 'Outlook-only rule', status: 'refused', reason: expect.stringMatching(/client-only rule/) },
        { name: 'Forward to the old assistant', status: 'refused', reason: expect.stringMatching(/RecipientDoesNotExist/) },
      ]);
      expect(dest.store.rules.map((r) => r.rule.displayName)).toEqual(['Invoices']);
      // Running again does not create it twice, and still reports the others.
      const again = await copyCollaborative({ from: { url: double.url, username: source.address, password: 'Rules-Pass-1', mailbox: source.address, ca: double.caCertificate }, to: dest.endpoint, ...FAST });
      expect(again.report.rules).toEqual({ total: 4, copied: 0, skipped: 1, failed: 3 });
      expect(dest.store.rules).toHaveLength(1);
    } finally {
      await strict.stop();
    }
  });

  it('one item refused inside a full batch of 100: the 99 others land once, the refused one is reported, and the next run copies it', async () => {
    const source = double.addMailbox('bulk.source@mydomain.ovh', 'Bulk-Pass-1');
    seedMailbox(source, bulkCollaborativeData(150, 512));
    const from = { url: double.url, username: source.address, password: 'Bulk-Pass-1', mailbox: source.address, ca: double.caCertificate };
    const dest = newDestination(double, 'en');
    double.faults.itemError({ operation: 'UploadItems', mailbox: dest.address, minBatch: 100, index: 37, code: 'ErrorQuotaExceeded', message: 'over quota (injected)', times: 1 });
    const outcome = await copyCollaborative({ from, to: dest.endpoint, kinds: ['contacts'], rules: false, oof: false, ...FAST });
    expect(outcome.report.contacts).toEqual({ total: 150, copied: 149, skipped: 0, failed: 1 });
    expect(outcome.failures).toEqual([expect.objectContaining({ folder: 'Contacts', reason: expect.stringMatching(/ErrorQuotaExceeded/) })]);
    const contacts = dest.store.distinguished.get('contacts')!;
    expect(dest.store.itemsIn(contacts)).toHaveLength(149);
    expect(new Set(dest.store.itemsIn(contacts).map((i) => i.subject)).size).toBe(149);
    const again = await copyCollaborative({ from, to: dest.endpoint, kinds: ['contacts'], rules: false, oof: false, ...FAST });
    expect(again.report.contacts).toEqual({ total: 150, copied: 1, skipped: 149, failed: 0 });
    expect(new Set(dest.store.itemsIn(contacts).map((i) => i.subject)).size).toBe(150);
    expect(dest.store.itemsIn(contacts)).toHaveLength(150);
  });

  it('a transient per-item error (busy, with its back-off) is retried within the run', async () => {
    const dest = newDestination(double);
    double.faults.itemError({ operation: 'ExportItems', index: 0, code: 'ErrorServerBusy', backOffMs: 50, times: 2 });
    const outcome = await copyCollaborative({ from: sourceEndpoint(double), to: dest.endpoint, rules: false, oof: false, ...FAST });
    expect(outcome.report.ok).toBe(true);
    expect(contentByFolder(dest.store)).toEqual(expectedCopy(double.mailbox(SOURCE)));
  });

  it('throttled throughout (busy answers, 503s): everything lands once, never more than 2 requests in flight per mailbox', async () => {
    const dest = newDestination(double);
    double.clearLog();
    double.faults.serverBusy({ operation: 'ExportItems', backOffMs: 200, times: 2 });
    double.faults.serverBusy({ operation: 'UploadItems', mailbox: dest.address, backOffMs: 200, times: 1 });
    double.faults.httpError({ operation: 'UpdateItem', status: 503, times: 2 });
    const outcome = await copyCollaborative({ from: sourceEndpoint(double), to: dest.endpoint, batch: { items: 2 }, ...FAST });
    expect(outcome.report.ok).toBe(true);
    expect(contentByFolder(dest.store)).toEqual(expectedCopy(double.mailbox(SOURCE)));
    for (const [, max] of double.maxInFlight) expect(max).toBeLessThanOrEqual(2);
    expect(double.backOffViolations(150)).toEqual([]);
  });

  it('batches hold at most 100 items and about batchBytes of estimated payload', async () => {
    const source = double.addMailbox('sizes.source@mydomain.ovh', 'Sizes-Pass-1');
    seedMailbox(source, bulkCollaborativeData(120, 4096));
    const dest = newDestination(double, 'en');
    double.clearLog();
    await copyCollaborative({ from: { url: double.url, username: source.address, password: 'Sizes-Pass-1', mailbox: source.address, ca: double.caCertificate }, to: dest.endpoint, kinds: ['contacts'], rules: false, oof: false, ...FAST });
    const exports = double.requests.filter((r) => r.operation === 'ExportItems' && r.status === 200);
    expect(Math.max(...exports.map((r) => r.items))).toBe(100);
    double.clearLog();
    const dest2 = newDestination(double, 'en');
    await copyCollaborative({ from: { url: double.url, username: source.address, password: 'Sizes-Pass-1', mailbox: source.address, ca: double.caCertificate }, to: dest2.endpoint, kinds: ['contacts'], rules: false, oof: false, batch: { bytes: 64 * 1024 }, ...FAST });
    const uploadsLog = double.requests.filter((r) => r.operation === 'UploadItems' && r.status === 200);
    expect(Math.max(...uploadsLog.map((r) => r.bytesIn))).toBeLessThan(64 * 1024 + 8 * 1024);
    expect(uploadsLog.reduce((sum, r) => sum + r.items, 0)).toBe(120);
  });

  it('hidden folders and Exchange system folders are never copied, wherever they are', async () => {
    const source = double.addMailbox('hidden.source@mydomain.ovh', 'Hidden-Pass-1');
    seedMailbox(source, { folders: [{ path: 'contacts/Visible', folderClass: 'IPF.Contact', items: [{ itemClass: 'IPM.Contact', subject: 'Shown' }] }, { path: 'contacts/Secret', folderClass: 'IPF.Contact', hidden: true, items: [{ itemClass: 'IPM.Contact', subject: 'Hidden' }] }] });
    ensureFolder(source, 'contacts/Secret/Below', 'IPF.Contact');
    const dest = newDestination(double, 'en');
    const outcome = await copyCollaborative({ from: { url: double.url, username: source.address, password: 'Hidden-Pass-1', mailbox: source.address, ca: double.caCertificate }, to: dest.endpoint, rules: false, oof: false, ...FAST });
    expect(outcome.report.folders.map((f) => f.from)).toEqual(['Calendar', 'Contacts', 'Tasks', 'Contacts/Visible']);
    expect(contentByFolder(dest.store)).toEqual({ 'contacts/Visible': ['Shown'] });
  });
});
