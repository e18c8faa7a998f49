import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as runCopy } from '../../src/cli/commands/copy.js';

/** Any control character but newline and tab. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const HOSTILE = '\x1b[2J\x1b[H\x1b]0;pwned\x07\x9b31mgo away\rFAKE';

/** A server that greets every IMAP connection with a BYE carrying escape sequences, then hangs up. */
let server: Server;
let port: number;
const sockets = new Set<Socket>();
beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.end(Buffer.from(`* BYE ${HOSTILE}\r\n`, 'utf8'));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((done) => server.close(done));
});

async function runInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, { MIGRATE_FROM_PASSWORD: 'x', MIGRATE_TO_PASSWORD: 'x', LOG_LEVEL: 'silent' });
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { code: await runCopy(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.env = saved;
  }
}

describe('copy: what a server says reaches the terminal without control characters', () => {
  it('prints a hostile greeting in the error line without its escape sequences', async () => {
    const result = await runInProcess(['--from', `imap://a@127.0.0.1:${port}`, '--to', `imap://b@127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^migrate-mailbox copy: .*go awayFAKE\n$/);
    expect(result.stderr.slice(0, -1)).not.toMatch(CONTROL);
  });

  it('leaves --json output as JSON (it escapes control characters itself)', async () => {
    const result = await runInProcess(['--json', '--from', `imap://a@127.0.0.1:${port}`, '--to', `imap://b@127.0.0.1:${port}`]);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false });
    expect(result.stderr.slice(0, -1)).not.toMatch(CONTROL);
  });
});
