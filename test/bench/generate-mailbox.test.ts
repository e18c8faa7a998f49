import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { DovecotServer } from '../../src/sandbox/dovecot.js';
import {
  FOLDERS,
  Rng,
  SOURCE_SPECIAL_USE,
  folderCounts,
  folderMessages,
  plan,
  seedMailbox,
  type GeneratedMessage,
} from '../../bench/generate-mailbox.js';

function all(messages: number, seed?: string): { folder: string; message: GeneratedMessage }[] {
  const out: { folder: string; message: GeneratedMessage }[] = [];
  for (const { folder, count } of plan({ messages, seed })) {
    for (const message of folderMessages(folder, count, { messages, seed })) out.push({ folder: folder.name, message });
  }
  return out;
}

function digest(items: { message: GeneratedMessage }[]): string {
  const hash = createHash('sha256');
  for (const { message } of items) hash.update(message.raw).update(message.flags.join(',')).update(message.internalDate.toISOString());
  return hash.digest('hex');
}

describe('mailbox generator', () => {
  it('is deterministic for a seed, and differs across seeds', () => {
    expect(digest(all(300))).toBe(digest(all(300)));
    expect(digest(all(300, 'another seed'))).not.toBe(digest(all(300)));
    const a = new Rng('x');
    const b = new Rng('x');
    expect(Array.from({ length: 5 }, () => a.u32())).toEqual(Array.from({ length: 5 }, () => b.u32()));
  });

  it('splits the messages over six folders, one of them non-ASCII, adding up exactly', () => {
    expect(FOLDERS).toHaveLength(6);
    expect(FOLDERS.some((f) => /[^\x00-\x7f]/.test(f.name))).toBe(true);
    expect(FOLDERS.some((f) => f.name.includes('/'))).toBe(true);
    for (const total of [1, 7, 5000, 20000]) expect(folderCounts(total).reduce((a, b) => a + b, 0)).toBe(total);
    expect(folderCounts(5000).every((n) => n > 0)).toBe(true);
  });

  it('makes about 100 MiB of mostly small messages at 5,000, with a few attachments up to 1 MB', () => {
    const items = all(5000);
    const sizes = items.map((i) => i.message.raw.length).sort((a, b) => a - b);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(total / 2 ** 20).toBeGreaterThan(90);
    expect(total / 2 ** 20).toBeLessThan(115);
    expect(sizes[Math.floor(sizes.length / 2)]).toBeLessThan(16_000);
    // 1 MB decoded is at most ~1.37 MB once base64-encoded with headers.
    expect(sizes[sizes.length - 1]).toBeLessThan(1_400_000);
    const withAttachment = items.filter((i) => i.message.hasAttachment).length / items.length;
    expect(withAttachment).toBeGreaterThan(0.03);
    expect(withAttachment).toBeLessThan(0.08);
    const noId = items.filter((i) => !i.message.messageId).length / items.length;
    expect(noId).toBeGreaterThan(0.01);
    expect(noId).toBeLessThan(0.06);
    // Message-IDs that exist are unique.
    const ids = items.map((i) => i.message.messageId).filter(Boolean);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('mixes flags and spreads dates over years, oldest first in each folder', () => {
    const items = all(2000);
    const share = (flag: string): number => items.filter((i) => i.message.flags.includes(flag)).length / items.length;
    expect(share('\\Seen')).toBeGreaterThan(0.8);
    expect(share('\\Seen')).toBeLessThan(1);
    expect(share('\\Answered')).toBeGreaterThan(0.05);
    expect(share('\\Flagged')).toBeGreaterThan(0.02);
    expect(share('$Label1') + share('Projet-X')).toBeGreaterThan(0.02);
    const drafts = items.filter((i) => i.folder === 'Brouillons');
    expect(drafts.every((i) => i.message.flags.includes('\\Draft'))).toBe(true);
    const years = new Set(items.map((i) => i.message.internalDate.getUTCFullYear()));
    expect(years.size).toBeGreaterThanOrEqual(5);
    for (const folder of FOLDERS) {
      const dates = items.filter((i) => i.folder === folder.name).map((i) => i.message.internalDate.getTime());
      expect(dates).toEqual([...dates].sort((a, b) => a - b));
    }
  });

  it('writes well-formed messages: CRLF line ends only, headers then a blank line', () => {
    for (const { message } of all(200)) {
      const text = message.raw.toString('latin1');
      expect(/(^|[^\r])\n/.test(text)).toBe(false);
      expect(text.endsWith('\r\n')).toBe(true);
      const head = text.slice(0, text.indexOf('\r\n\r\n'));
      expect(head).toMatch(/^From: /m);
      expect(head).toMatch(/^Date: /m);
      expect(head).toMatch(/^MIME-Version: 1\.0$/m);
      if (message.messageId) expect(head).toContain(`Message-ID: ${message.messageId}`);
      else expect(head).not.toMatch(/^Message-ID:/im);
    }
  });

  describe('seeding a real Dovecot', () => {
    let server: DovecotServer | undefined;
    afterAll(async () => server?.destroy());

    it('puts every message in its folder, with the special-use names the source advertises', async () => {
      server = await DovecotServer.start({ separator: '/', prefix: '', specialUse: SOURCE_SPECIAL_USE });
      await server.addUser('bench@mydomain.ovh', { password: 'pw' });
      const summary = await seedMailbox(server, 'bench@mydomain.ovh', { messages: 120 });
      expect(summary.messages).toBe(120);
      const client = new ImapFlow({ host: server.host, port: server.port, secure: false, doSTARTTLS: false, auth: { user: 'bench@mydomain.ovh', pass: 'pw' }, logger: false });
      await client.connect();
      const folders = await client.list({ statusQuery: { messages: true } });
      await client.logout();
      for (const f of summary.folders) expect(folders.find((l) => l.path === f.name)?.status?.messages).toBe(f.messages);
      expect(folders.find((l) => l.specialUse === '\\Sent')?.path).toBe('Éléments envoyés');
    });
  });
});
