import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DovecotServer } from '../../src/sandbox/dovecot.js';
import { copyMailbox, planCopy } from '../../src/imap/copy-mailbox.js';
import { endpointOf, fingerprint, listFolders, readFolder, seedMessages, startServer, textMessage } from './support.js';

// A French platform (INBOX. prefix, '.' separator) copied to an English one ('/' separator, no prefix), and back.
describe('copyMailbox across namespaces and languages', () => {
  let french: DovecotServer;
  let english: DovecotServer;
  const SENT_FR = 'INBOX.Éléments envoyés';
  const draftNoId = textMessage({ subject: 'brouillon', id: false });

  beforeAll(async () => {
    [french, english] = await Promise.all([
      startServer({ separator: '.', prefix: 'INBOX.', specialUse: { sent: 'Éléments envoyés', drafts: 'Brouillons', trash: 'Corbeille', junk: 'Indésirables', archive: 'Archives' } }, [{ name: 'jean@fr.example' }, { name: 'back@fr.example' }]),
      startServer({ separator: '/', prefix: '' }, [{ name: 'john@en.example' }]),
    ]);
    await french.seed('jean@fr.example', 'INBOX', seedMessages(30, 'inbox'));
    await french.seed('jean@fr.example', SENT_FR, seedMessages(12, 'envoyé'));
    await french.seed('jean@fr.example', 'INBOX.Brouillons', [
      { raw: draftNoId, flags: ['\\Draft'], internalDate: new Date('2024-02-03T04:05:06Z') },
      { raw: draftNoId, flags: ['\\Draft'], internalDate: new Date('2024-02-03T04:05:06Z') },
      { raw: textMessage({ subject: 'autre brouillon', id: false }), flags: ['\\Draft', '\\Seen'] },
    ]);
    await french.seed('jean@fr.example', 'INBOX.Projets.2024', seedMessages(7, 'projet', { flags: ['$Label1', 'Client-A'] }));
    await french.seed('jean@fr.example', 'INBOX.Réunions & comptes-rendus', seedMessages(5, 'réunion'));
    await french.seed('jean@fr.example', 'INBOX.日本語', seedMessages(2, 'nihongo'));
  });
  afterAll(async () => Promise.all([french?.destroy(), english?.destroy()]));

  it('plans without writing anything', async () => {
    const plan = await planCopy({ from: endpointOf(french, 'jean@fr.example'), to: endpointOf(english, 'john@en.example') });
    const sent = plan.folders.find((folder) => folder.from === SENT_FR);
    expect(sent).toMatchObject({ to: 'Sent', create: false, toCopy: 12, specialUse: '\\Sent' });
    expect(plan.folders.find((folder) => folder.from === 'INBOX.Projets.2024')).toMatchObject({ to: 'Projets/2024', create: true, toCopy: 7 });
    expect(plan.toCopy).toBe(59);
    expect((await listFolders(english, 'john@en.example')).map((f) => f.path)).not.toContain('Projets/2024');
  });

  it('maps folders and copies exact bytes, flags and dates; a second run copies nothing', async () => {
    const from = endpointOf(french, 'jean@fr.example');
    const to = endpointOf(english, 'john@en.example');
    const progress: string[] = [];
    const { report, failures, mismatches } = await copyMailbox({ from, to, connections: 3, onProgress: (p) => progress.push(p.phase) });
    expect(failures).toEqual([]);
    expect(mismatches).toEqual([]);
    expect(report).toMatchObject({ ok: true, messages: { total: 59, copied: 59, skipped: 0, failed: 0 } });
    expect(report.folders.map((f) => [f.from, f.to]).sort()).toEqual(
      [
        ['INBOX', 'INBOX'],
        [SENT_FR, 'Sent'],
        ['INBOX.Brouillons', 'Drafts'],
        ['INBOX.Corbeille', 'Trash'],
        ['INBOX.Indésirables', 'Junk'],
        ['INBOX.Archives', 'Archive'],
        ['INBOX.Projets.2024', 'Projets/2024'],
        ['INBOX.Réunions & comptes-rendus', 'Réunions & comptes-rendus'],
        ['INBOX.日本語', '日本語'],
      ].sort(),
    );
    expect(progress).toContain('copying');
    expect(progress.at(-1)).toBe('done');

    for (const [source, target] of [['INBOX', 'INBOX'], [SENT_FR, 'Sent'], ['INBOX.Brouillons', 'Drafts'], ['INBOX.Projets.2024', 'Projets/2024'], ['INBOX.日本語', '日本語']]) {
      expect(fingerprint(await readFolder(english, 'john@en.example', target)), target).toEqual(fingerprint(await readFolder(french, 'jean@fr.example', source)));
    }
    const folders = await listFolders(english, 'john@en.example');
    expect(folders.filter((f) => f.specialUse === '\\Sent').map((f) => f.path)).toEqual(['Sent']);
    expect(folders.find((f) => f.path === 'Réunions & comptes-rendus')?.subscribed).toBe(true);
    expect(folders.some((f) => /envoy/i.test(f.path))).toBe(false);

    const again = await copyMailbox({ from, to });
    expect(again.report).toMatchObject({ ok: true, messages: { total: 59, copied: 0, skipped: 59, failed: 0 } });
  });

  it('re-syncs flags changed at the source, and copies new mail only', async () => {
    await french.doveadm(['flags', 'replace', '-u', 'jean@fr.example', '\\Answered', 'mailbox', 'INBOX', 'ALL']);
    await french.seed('jean@fr.example', 'INBOX', seedMessages(2, 'late'));
    const { report, failures, mismatches } = await copyMailbox({ from: endpointOf(french, 'jean@fr.example'), to: endpointOf(english, 'john@en.example') });
    expect({ failures, mismatches }).toEqual({ failures: [], mismatches: [] });
    expect(report.folders.find((f) => f.from === 'INBOX')).toMatchObject({ total: 32, copied: 2, skipped: 30 });
    const inbox = await readFolder(english, 'john@en.example', 'INBOX');
    expect(inbox).toHaveLength(32);
    expect(inbox.filter((m) => m.flags.join() !== '\\Answered')).toHaveLength(2);
  });

  it('copies back from the slash server to a dotted INBOX. server', async () => {
    const { report } = await copyMailbox({ from: endpointOf(english, 'john@en.example'), to: endpointOf(french, 'back@fr.example'), exclude: /^Junk$/ });
    expect(report.ok).toBe(true);
    const pairs = Object.fromEntries(report.folders.map((f) => [f.from, f.to]));
    expect(pairs).toMatchObject({ Sent: SENT_FR, Drafts: 'INBOX.Brouillons', 'Projets/2024': 'INBOX.Projets.2024', '日本語': 'INBOX.日本語' });
    expect(pairs.Junk).toBeUndefined();
    expect(fingerprint(await readFolder(french, 'back@fr.example', 'INBOX.Projets.2024'))).toEqual(fingerprint(await readFolder(french, 'jean@fr.example', 'INBOX.Projets.2024')));
    expect(await readFolder(french, 'back@fr.example', 'INBOX.Brouillons')).toHaveLength(3);
  });
});

// Exchange's IMAP reports no special-use attributes: its folders are recognised by their (localised) names.
describe('copyMailbox from a server without SPECIAL-USE', () => {
  let exchangeLike: DovecotServer;
  let destination: DovecotServer;

  beforeAll(async () => {
    [exchangeLike, destination] = await Promise.all([
      startServer({ separator: '/', prefix: '', hideCapabilities: ['SPECIAL-USE'], specialUse: { sent: 'Éléments envoyés', drafts: 'Brouillons', trash: 'Éléments supprimés', junk: 'Courrier indésirable', archive: 'Archive' } }, [{ name: 'marie@ex.example' }]),
      startServer({ separator: '.', prefix: 'INBOX.' }, [{ name: 'marie@pro.example' }]),
    ]);
    await exchangeLike.seed('marie@ex.example', 'Éléments envoyés', seedMessages(4, 'envoyé'));
    await exchangeLike.seed('marie@ex.example', 'Courrier indésirable', seedMessages(2, 'spam'));
    await exchangeLike.seed('marie@ex.example', 'Clients/Éléments envoyés', seedMessages(1, 'pas spécial'));
  });
  afterAll(async () => Promise.all([exchangeLike?.destroy(), destination?.destroy()]));

  it('maps its folders by name onto the destination special-use folders, and only the top-level ones', async () => {
    const { report } = await copyMailbox({ from: endpointOf(exchangeLike, 'marie@ex.example'), to: endpointOf(destination, 'marie@pro.example') });
    expect(report.ok).toBe(true);
    const pairs = Object.fromEntries(report.folders.map((f) => [f.from, f.to]));
    expect(pairs).toMatchObject({
      'Éléments envoyés': 'INBOX.Sent',
      'Courrier indésirable': 'INBOX.Junk',
      'Éléments supprimés': 'INBOX.Trash',
      Brouillons: 'INBOX.Drafts',
      'Clients/Éléments envoyés': 'INBOX.Clients.Éléments envoyés',
    });
    expect(await readFolder(destination, 'marie@pro.example', 'INBOX.Sent')).toHaveLength(4);
    expect((await listFolders(destination, 'marie@pro.example')).map((f) => f.path)).not.toContain('INBOX.Éléments envoyés');
  });

  it('a re-run with 8 connections (lanes sharing a destination scan connection) copies only the new mail', async () => {
    await exchangeLike.seed('marie@ex.example', 'INBOX', seedMessages(3, 'nouveau'));
    const { report } = await copyMailbox({ from: endpointOf(exchangeLike, 'marie@ex.example'), to: endpointOf(destination, 'marie@pro.example'), connections: 8 });
    expect(report).toMatchObject({ ok: true, messages: { total: 10, copied: 3, skipped: 7, failed: 0 } });
    expect(await readFolder(destination, 'marie@pro.example', 'INBOX.Sent')).toHaveLength(4);
    expect(await readFolder(destination, 'marie@pro.example', 'INBOX.Clients.Éléments envoyés')).toHaveLength(1);
  });
});
