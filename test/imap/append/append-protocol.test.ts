import { afterEach, describe, expect, it } from 'vitest';
import { openAppendSession } from '../../../src/imap/append/open-append-session.js';
import { ImapConnectionLost } from '../../../src/imap/wire/imap-errors.js';
import { ScriptedImapServer } from './scripted-imap-server.js';
import { item } from './support.js';

const BASE = 'IMAP4rev1 AUTH=PLAIN SASL-IR UIDPLUS';
let server: ScriptedImapServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

function endpoint(port: number) {
  return { host: '127.0.0.1', port, security: 'plain' as const, user: 'u', password: 'p' };
}

describe('APPEND on the wire (scripted server)', () => {
  it('plain mode: sends nothing of a literal before the `+`, and pipelines the next command right after', async () => {
    let uid = 0;
    server = await ScriptedImapServer.start({
      capabilities: BASE,
      onSyncLiteral: () => new Promise((resolve) => setTimeout(() => resolve(undefined), 30)),
      onCommand: (command, socket) => void socket.write(`${command.tag} OK [APPENDUID 9 ${++uid}] done\r\n`),
    });
    const session = await openAppendSession(endpoint(server.port));
    expect(session.mode).toBe('plain');
    const items = [item('a', { flags: ['\\Seen', 'Work'] }), item('b'), item('c')];
    const outcomes = await session.append('Boîte "x"', items);
    await session.close();
    expect(outcomes).toEqual([
      { ok: true, uid: 1 },
      { ok: true, uid: 2 },
      { ok: true, uid: 3 },
    ]);
    expect(server.bytesBeforeContinuation).toBe(0);
    expect(server.appends).toHaveLength(3);
    expect(server.appends[0]!.text).toBe(`APPEND "Bo&AO4-te \\"x\\"" (\\Seen Work) "04-Mar-2021 05:06:07 +0000" <literal ${items[0]!.raw.length}>`);
    expect(server.appends.map((c) => c.literals[0]!.equals(items[server!.appends.indexOf(c)]!.raw))).toEqual([true, true, true]);
    expect(server.appends[0]!.announcements).toEqual([String(items[0]!.raw.length)]);
  });

  it('plain mode: a command refused instead of `+` sends no literal, and the next one goes on', async () => {
    server = await ScriptedImapServer.start({
      capabilities: BASE,
      onSyncLiteral: (_tag, text) => (/ \(\\Flagged\) /.test(text) ? 'NO [TOOBIG] Message too large' : undefined),
      onCommand: (command, socket) => void socket.write(`${command.tag} OK done\r\n`),
    });
    const session = await openAppendSession(endpoint(server.port));
    const outcomes = await session.append('INBOX', [item('a'), item('big', { flags: ['\\Flagged'] }), item('c')]);
    await session.close();
    expect(outcomes[0]).toEqual({ ok: true });
    expect(outcomes[1]).toMatchObject({ ok: false, permanent: true, code: 'TOOBIG', reason: 'too big: NO [TOOBIG] Message too large' });
    expect(outcomes[2]).toEqual({ ok: true });
    expect(server.appends.map((c) => c.literals.length)).toEqual([1, 1]);
  });

  it('multiappend mode: one command per batch with non-synchronising literals, UIDs from the APPENDUID range', async () => {
    server = await ScriptedImapServer.start({
      capabilities: `${BASE} MULTIAPPEND LITERAL+`,
      onCommand: (command, socket) => void socket.write(`${command.tag} OK [APPENDUID 7 10:11,20] done\r\n`),
    });
    const session = await openAppendSession(endpoint(server.port), { batchSize: 3 });
    expect(session.mode).toBe('multiappend');
    const items = [item('a'), item('b', { flags: ['$Junk'] }), item('c', { internalDate: new Date('1999-01-09T23:00:00+02:00') })];
    expect(await session.append('INBOX', items)).toEqual([
      { ok: true, uid: 10 },
      { ok: true, uid: 11 },
      { ok: true, uid: 20 },
    ]);
    await session.close();
    expect(server.appends).toHaveLength(1);
    const sizes = items.map((m) => m.raw.length);
    expect(server.appends[0]!.announcements).toEqual(sizes.map((n) => `${n}+`));
    expect(server.appends[0]!.text).toBe(
      `APPEND "INBOX" () "04-Mar-2021 05:06:07 +0000" <literal ${sizes[0]}> ($Junk) "04-Mar-2021 05:06:07 +0000" <literal ${sizes[1]}> () "09-Jan-1999 21:00:00 +0000" <literal ${sizes[2]}>`,
    );
  });

  it('ignores untagged noise (EXISTS, literals that look like responses), passes alerts on', async () => {
    const alerts: string[] = [];
    server = await ScriptedImapServer.start({
      capabilities: `${BASE} MULTIAPPEND LITERAL+`,
      onCommand: (command, socket) => {
        const lookalike = `${command.tag} OK fake\r\n`;
        socket.write(
          `* 3 EXISTS\r\n* 1 FETCH (BODY[] {${lookalike.length}}\r\n${lookalike})\r\n* OK [ALERT] Mailbox almost full\r\n+ stray continuation\r\n` +
            `${command.tag} OK [APPENDUID 1 5:6] done\r\n`,
        );
      },
    });
    const session = await openAppendSession(endpoint(server.port), { onAlert: (text) => alerts.push(text) });
    expect(await session.append('INBOX', [item('a'), item('b')])).toEqual([
      { ok: true, uid: 5 },
      { ok: true, uid: 6 },
    ]);
    await session.close();
    expect(alerts).toEqual(['Mailbox almost full']);
  });

  it('splits a refused MULTIAPPEND batch until the refused message is alone', async () => {
    server = await ScriptedImapServer.start({
      capabilities: `${BASE} MULTIAPPEND LITERAL+`,
      onCommand: (command, socket) => {
        const bad = command.literals.some((l) => l.includes('Subject: message bad'));
        socket.write(bad ? `${command.tag} NO Invalid message\r\n` : `${command.tag} OK done\r\n`);
      },
    });
    const session = await openAppendSession(endpoint(server.port), { batchSize: 8 });
    const items = Array.from({ length: 8 }, (_, i) => item(i === 5 ? 'bad' : `m${i}`));
    const outcomes = await session.append('INBOX', items);
    await session.close();
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, true, true, false, true, true]);
    expect(outcomes[5]).toEqual({ ok: false, permanent: true, code: 'NO', reason: 'refused: NO Invalid message' });
    const landedOnce = server.appends.filter((c) => c.text.startsWith('APPEND') && !c.literals.some((l) => l.includes('message bad')));
    expect(landedOnce.flatMap((c) => c.literals).length).toBe(7);
    // 8 -> 4 ok + 4 refused; 4 -> 2 ok + 2 refused; 2 -> 1 ok + 1 refused.
    expect(server.appends).toHaveLength(7);
  });

  it('multiappend without LITERAL+: waits for `+` per message, and splits a batch refused before a literal', async () => {
    server = await ScriptedImapServer.start({
      capabilities: `${BASE} MULTIAPPEND`,
      onSyncLiteral: (_tag, text) => (/\(\\Flagged\) "[^"]*" $/.test(text) ? 'NO [LIMIT] Message too large' : undefined),
      onCommand: (command, socket) => void socket.write(`${command.tag} OK done\r\n`),
    });
    const session = await openAppendSession(endpoint(server.port), { batchSize: 4 });
    expect(session.mode).toBe('multiappend');
    const outcomes = await session.append('INBOX', [item('a'), item('b'), item('big', { flags: ['\\Flagged'] }), item('d')]);
    await session.close();
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, false, true]);
    expect(outcomes[2]).toMatchObject({ code: 'TOOBIG', permanent: true });
    expect(server.bytesBeforeContinuation).toBe(0);
    // 4 refused at its third literal; [a b] lands; [big d] refused at its first; [big] refused; [d] lands.
    const completed = server.appends.map((c) => c.literals.length);
    expect(completed).toEqual([2, 1]);
  });

  it('rejects pending appends with the server BYE text when it hangs up', async () => {
    server = await ScriptedImapServer.start({
      capabilities: `${BASE} LITERAL+`,
      onCommand: (command, socket) => {
        if (command.literals[0]!.includes('message 2')) socket.end('* BYE Server shutting down\r\n');
        else socket.write(`${command.tag} OK done\r\n`);
      },
    });
    const session = await openAppendSession(endpoint(server.port));
    const result = session.append('INBOX', Array.from({ length: 5 }, (_, i) => item(`${i}`)));
    await expect(result).rejects.toThrow(ImapConnectionLost);
    await expect(result).rejects.toThrow(/the server said "Server shutting down"/);
    await session.close();
  });

  it('does not wait for the socket to close after an unsolicited BYE', async () => {
    server = await ScriptedImapServer.start({
      capabilities: `${BASE} LITERAL+`,
      onCommand: (command, socket) => void socket.write(command.literals[0]!.includes('message 1') ? '* BYE Autologout; idle for too long\r\n' : `${command.tag} OK done\r\n`),
    });
    const session = await openAppendSession(endpoint(server.port), { responseTimeoutMs: 60_000 });
    const started = Date.now();
    await expect(session.append('INBOX', [item('0'), item('1'), item('2')])).rejects.toThrow(/the server said "Autologout; idle for too long"/);
    expect(Date.now() - started).toBeLessThan(5_000);
    await session.close();
  });

  it('treats a silent server as lost after responseTimeoutMs', async () => {
    server = await ScriptedImapServer.start({ capabilities: `${BASE} LITERAL+`, onCommand: () => undefined });
    const session = await openAppendSession(endpoint(server.port), { responseTimeoutMs: 300 });
    await expect(session.append('INBOX', [item('a')])).rejects.toThrow(/no response from the server for 0 s|no response from the server/);
    await session.close();
  });

  it('refuses to force a mode the server cannot do, and refuses invalid items without sending them', async () => {
    server = await ScriptedImapServer.start({ capabilities: `${BASE} LITERAL+`, onCommand: (c, socket) => void socket.write(`${c.tag} OK done\r\n`) });
    await expect(openAppendSession(endpoint(server.port), { mode: 'multiappend' })).rejects.toThrow(/multiappend needs capabilities/);
    const session = await openAppendSession(endpoint(server.port));
    expect(session.mode).toBe('pipelined');
    const outcomes = await session.append('INBOX', [item('a', { flags: ['bad flag'] }), item('b', { internalDate: new Date(NaN) }), item('c', { flags: ['\\Recent', '\\seen'] })]);
    await session.close();
    expect(outcomes[0]).toMatchObject({ ok: false, permanent: true, code: 'INVALID' });
    expect(outcomes[1]).toMatchObject({ ok: false, permanent: true, code: 'INVALID' });
    expect(outcomes[2]).toEqual({ ok: true });
    expect(server.appends.map((c) => c.text.split(' (')[1]?.split(')')[0])).toEqual(['\\Seen']);
  });

  it('refuses messages over APPENDLIMIT and mailbox names with line breaks without sending them', async () => {
    server = await ScriptedImapServer.start({ capabilities: `${BASE} MULTIAPPEND LITERAL+ APPENDLIMIT=1000`, onCommand: (c, socket) => void socket.write(`${c.tag} OK done\r\n`) });
    const session = await openAppendSession(endpoint(server.port));
    const outcomes = await session.append('INBOX', [item('small', { bodyBytes: 100 }), item('large', { bodyBytes: 5_000 })]);
    expect(outcomes[0]).toEqual({ ok: true });
    expect(outcomes[1]).toMatchObject({ ok: false, permanent: true, code: 'TOOBIG', reason: expect.stringMatching(/APPENDLIMIT of 1000 \(not sent\)/) });
    const broken = await session.append('bad\r\nname', [item('x')]);
    expect(broken).toEqual([{ ok: false, permanent: true, code: 'INVALID', reason: expect.stringMatching(/line break/) }]);
    await session.close();
    expect(server.appends).toHaveLength(1);
    expect(server.appends[0]!.literals).toHaveLength(1);
  });

  it('falls back to LOGIN without AUTH=PLAIN, sending a non-ASCII password as a literal', async () => {
    server = await ScriptedImapServer.start({ capabilities: 'IMAP4rev1 LITERAL+', onCommand: (c, socket) => void socket.write(`${c.tag} OK done\r\n`) });
    const session = await openAppendSession({ ...endpoint(server.port), user: 'jo\\hn "x"', password: 'pässwörd' });
    await session.close();
    const login = server.received.find((c) => c.text.startsWith('LOGIN'))!;
    expect(login.text).toBe('LOGIN "jo\\\\hn \\"x\\"" <literal 10>');
    expect(login.literals[0]!.toString('utf8')).toBe('pässwörd');
    expect(login.announcements).toEqual(['10']);
  });
});
