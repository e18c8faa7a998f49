import { describe, expect, it } from 'vitest';
import { mapFolders, type AccountFolders, type ListedFolder } from '../../src/imap/folder-mapping.js';

const folder = (path: string, extra: Partial<ListedFolder> = {}): ListedFolder => ({ path, flags: [], subscribed: true, ...extra });

const frenchDotted = (folders: ListedFolder[]): AccountFolders => ({ prefix: 'INBOX.', delimiter: '.', folders, canCreateSpecialUse: false });
const englishSlash = (folders: ListedFolder[], canCreateSpecialUse = false): AccountFolders => ({ prefix: '', delimiter: '/', folders, canCreateSpecialUse });

const englishDefaults = [
  folder('INBOX'),
  folder('Sent', { specialUse: '\\Sent' }),
  folder('Drafts', { specialUse: '\\Drafts' }),
  folder('Trash', { specialUse: '\\Trash' }),
  folder('Junk', { specialUse: '\\Junk' }),
  folder('Archive', { specialUse: '\\Archive' }),
];

const pairs = (mappings: ReturnType<typeof mapFolders>) => Object.fromEntries(mappings.map((m) => [m.from, m.to]));

describe('mapFolders', () => {
  it('translates separators and prefixes from a dotted INBOX. server to a slash server', () => {
    const source = frenchDotted([folder('INBOX'), folder('INBOX.Projets'), folder('INBOX.Projets.2024'), folder('INBOX.a/b')]);
    const mappings = mapFolders(source, englishSlash(englishDefaults));
    expect(pairs(mappings)).toEqual({ INBOX: 'INBOX', 'INBOX.Projets': 'Projets', 'INBOX.Projets.2024': 'Projets/2024', 'INBOX.a/b': 'a_b' });
    expect(mappings.find((m) => m.from === 'INBOX')?.create).toBe(false);
    expect(mappings.find((m) => m.from === 'INBOX.Projets.2024')?.create).toBe(true);
  });

  it('translates back from a slash server to a dotted INBOX. server', () => {
    const source = englishSlash([folder('INBOX'), folder('Projets'), folder('Projets/2024'), folder('v1.2'), folder('INBOX/Sub')]);
    const mappings = mapFolders(source, frenchDotted([folder('INBOX')]));
    expect(pairs(mappings)).toEqual({ INBOX: 'INBOX', Projets: 'INBOX.Projets', 'Projets/2024': 'INBOX.Projets.2024', 'v1.2': 'INBOX.v1_2', 'INBOX/Sub': 'INBOX.Sub' });
  });

  it('maps special-use folders across languages and never makes a second Sent', () => {
    const source = frenchDotted([
      folder('INBOX'),
      folder('INBOX.Éléments envoyés', { specialUse: '\\Sent' }),
      folder('INBOX.Éléments envoyés.2023'),
      folder('INBOX.Brouillons', { specialUse: '\\Drafts' }),
      folder('INBOX.Corbeille', { specialUse: '\\Trash' }),
      folder('INBOX.Sent'),
    ]);
    const mappings = mapFolders(source, englishSlash(englishDefaults));
    expect(pairs(mappings)).toEqual({
      INBOX: 'INBOX',
      'INBOX.Éléments envoyés': 'Sent',
      'INBOX.Éléments envoyés.2023': 'Sent/2023',
      'INBOX.Brouillons': 'Drafts',
      'INBOX.Corbeille': 'Trash',
      'INBOX.Sent': 'Sent (2)',
    });
    expect(mappings.filter((m) => m.to === 'Sent')).toHaveLength(1);
    expect(mappings.find((m) => m.to === 'Sent')).toMatchObject({ specialUse: '\\Sent', create: false });
  });

  it('maps English special folders onto French names', () => {
    const source = englishSlash(englishDefaults);
    const destination = frenchDotted([folder('INBOX'), folder('INBOX.Éléments envoyés', { specialUse: '\\Sent' }), folder('INBOX.Corbeille', { specialUse: '\\Trash' })]);
    const mappings = mapFolders(source, destination);
    expect(pairs(mappings)).toMatchObject({ Sent: 'INBOX.Éléments envoyés', Trash: 'INBOX.Corbeille', Drafts: 'INBOX.Drafts', Junk: 'INBOX.Junk' });
  });

  it('creates a missing special folder under the source name, with its attribute when supported', () => {
    const source = frenchDotted([folder('INBOX'), folder('INBOX.Archives', { specialUse: '\\Archive' })]);
    const [, withAttribute] = mapFolders(source, englishSlash([folder('INBOX')], true));
    expect(withAttribute).toMatchObject({ to: 'Archives', create: true, createSpecialUse: '\\Archive' });
    const [, without] = mapFolders(source, englishSlash([folder('INBOX')], false));
    expect(without.createSpecialUse).toBeUndefined();
  });

  it('keeps Unicode names and handles \\Noselect parents and subscriptions', () => {
    const source = englishSlash([
      folder('INBOX'),
      folder('Père', { flags: ['\\Noselect', '\\HasChildren'], subscribed: false }),
      folder('Père/日本語'),
      folder('Unsubscribed', { subscribed: false }),
    ]);
    const destination = frenchDotted([folder('INBOX'), folder('INBOX.Père', { flags: ['\\Noselect'] })]);
    const mappings = mapFolders(source, destination);
    expect(mappings.find((m) => m.from === 'Père')).toMatchObject({ to: 'INBOX.Père', selectable: false, create: false, subscribe: false });
    expect(mappings.find((m) => m.from === 'Père/日本語')).toMatchObject({ to: 'INBOX.Père.日本語', selectable: true, create: true, subscribe: true });
    expect(mappings.find((m) => m.from === 'Unsubscribed')).toMatchObject({ subscribe: false });
  });

  it('creates a folder over a destination \\Noselect placeholder and does not resubscribe', () => {
    const source = englishSlash([folder('INBOX'), folder('A')]);
    const destination = englishSlash([folder('INBOX'), folder('A', { flags: ['\\Noselect'], subscribed: true })]);
    expect(mapFolders(source, destination)[1]).toMatchObject({ to: 'A', create: true, subscribe: false });
  });

  it('applies --exclude to source paths', () => {
    const source = englishSlash([folder('INBOX'), folder('Junk', { specialUse: '\\Junk' }), folder('Old'), folder('Old/2019'), folder('Keep')]);
    const mappings = mapFolders(source, englishSlash(englishDefaults), { exclude: /^(Junk|Old)/ });
    expect(mappings.map((m) => m.from)).toEqual(['INBOX', 'Keep']);
  });
});
