import { describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBatchCsv } from '../../src/pipeline/batch-csv.js';
import { matchService } from '../../src/pipeline/directory.js';
import { CancelledError, PermanentError, TransientError, describeError, isTransient } from '../../src/pipeline/errors.js';
import { rateLimiter } from '../../src/pipeline/events.js';
import { createImapEndpointResolver, parseImapEndpoints } from '../../src/pipeline/imap-endpoints.js';
import { mergeReports } from '../../src/pipeline/report.js';
import { SecretBox } from '../../src/pipeline/secret-box.js';
import type { MailPlatform } from '../../src/ovh/mail-platform.js';
import { OvhPreconditionFailed, OvhWaitTimeout } from '../../src/ovh/errors.js';
import { ImapAuthenticationFailed, ImapTimeout, QuotaExceededError } from '../../src/imap/index.js';

describe('SecretBox', () => {
  it('seals with AES-256-GCM, bound to its purpose, and never shows its key', () => {
    const box = SecretBox.fromText('00'.repeat(32));
    const sealed = box.seal('S3cret!', 'job-1:destination');
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain('S3cret');
    expect(box.open(sealed, 'job-1:destination')).toBe('S3cret!');
    expect(() => box.open(sealed, 'job-2:destination')).toThrow(/SECRETS_KEY differs|altered/);
    expect(() => SecretBox.random().open(sealed, 'job-1:destination')).toThrow();
    expect(box.seal('S3cret!')).not.toBe(box.seal('S3cret!'));
    expect(JSON.stringify({ box })).toBe('{"box":"[SecretBox]"}');
    expect(inspect(box)).toBe('[SecretBox]');
  });
});

describe('error classes', () => {
  it('retries network trouble and OVH 429/5xx, not refusals', () => {
    expect(isTransient(new TransientError('x'))).toBe(true);
    expect(isTransient(new PermanentError('x'))).toBe(false);
    expect(isTransient(new CancelledError('u'))).toBe(false);
    expect(isTransient(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient({ status: 429, retryable: true })).toBe(true);
    expect(isTransient({ status: 503 })).toBe(true);
    // the error's own verdict wins over anything guessed from its fields
    expect(isTransient({ status: 503, retryable: false })).toBe(false);
    expect(isTransient(Object.assign(new Error('login refused'), { retryable: true }))).toBe(true);
    expect(isTransient({ status: 404, retryable: false })).toBe(false);
    expect(isTransient({ status: 400, retryable: false })).toBe(false);
    expect(isTransient(new TypeError('bug'))).toBe(false);
    expect(describeError({ describe: () => 'OVH GET /x: 404' })).toBe('OVH GET /x: 404');
  });

  it("decides by the error's type, never its wording: an IMAP login timeout is retried, refused credentials are not", () => {
    expect(isTransient(new ImapTimeout('LOGIN to imap://a@h:993 timed out: authentication took too long'))).toBe(true);
    expect(isTransient(new ImapAuthenticationFailed('login failed', 'NO [AUTHENTICATIONFAILED]'))).toBe(false);
    expect(isTransient(new QuotaExceededError(10, 1, 5))).toBe(false);
    expect(isTransient(new OvhPreconditionFailed('noFreeSlot', 'no free slot', 'order one'))).toBe(false);
    expect(isTransient(new OvhWaitTimeout('the rename', 60_000))).toBe(true);
  });
});

describe('batch CSV reading', () => {
  it('reads commas or semicolons, a BOM, quoted cells and CRLF, with file line numbers', () => {
    const result = parseBatchCsv('\uFEFFsource;destination_service;password\r\n"a@d.fr";pro-1;"p;w""d1Aa"\r\n\r\nb@d.fr;pro-1;\r\n');
    expect(result).toMatchObject({ ok: true, rows: [{ row: 2, source: 'a@d.fr', password: 'p;w"d1Aa' }, { row: 4, source: 'b@d.fr', password: undefined }] });
  });

  it('names rows with too many cells and unreadable files', () => {
    const result = parseBatchCsv('source,destination_service\na@d.fr,pro-1,extra\nb@d.fr,pro-1\n');
    expect(result).toMatchObject({ ok: false, errors: [{ row: 2, message: expect.stringContaining('more cells') }], rows: [{ source: 'b@d.fr' }] });
    expect(parseBatchCsv('source,destination_service\n"a@d.fr,pro-1\n')).toMatchObject({ ok: false, errors: [{ message: expect.stringContaining('not a readable CSV') }] });
    expect(parseBatchCsv('')).toMatchObject({ ok: false, errors: [{ row: 1 }] });
  });
});

describe('small pipeline helpers', () => {
  it('matches services as typed, Exchange by its service name when unambiguous', () => {
    const services = [
      { platform: 'exchange' as const, name: 'org-1/hosted-1' },
      { platform: 'emailpro' as const, name: 'pro-1' },
    ];
    expect(matchService(services, ' PRO-1 ')).toEqual(services[1]);
    expect(matchService(services, 'hosted-1')).toEqual(services[0]);
    expect(matchService(services, 'nope')).toBeUndefined();
  });

  it('rate-limits progress but lets the last one through', () => {
    const gate = rateLimiter(60_000);
    expect(gate()).toBe(true);
    expect(gate()).toBe(false);
    expect(gate(true)).toBe(true);
  });

  it('maps an IMAP host to where to connect (IMAP_ENDPOINTS)', async () => {
    const platform = { clientSettings: async () => ({ imap: { host: 'ex1.sandbox.local', port: 993, security: 'tls' } }) } as unknown as MailPlatform;
    const resolve = createImapEndpointResolver({ endpoints: parseImapEndpoints('{"ex1.sandbox.local":"127.0.0.1:4993"}'), ca: 'PEM' });
    expect(await resolve(platform, 'a@d.fr', 'pw')).toEqual({ host: '127.0.0.1', port: 4993, security: 'tls', user: 'a@d.fr', password: 'pw', ca: 'PEM' });
    expect(await createImapEndpointResolver()(platform, 'a@d.fr', 'pw')).toMatchObject({ host: 'ex1.sandbox.local', port: 993 });
    expect(() => parseImapEndpoints('[1]')).toThrow(/JSON object/);
  });

  it('sees the copy and the delta pass as one transfer', () => {
    const folder = (copied: number, total: number) => ({ from: 'INBOX', to: 'INBOX', total, copied, skipped: total - copied, failed: 0 });
    const merged = mergeReports(
      { ok: true, messages: { total: 10, copied: 10, skipped: 0, failed: 0 }, bytes: 100, seconds: 2, folders: [folder(10, 10)] },
      { ok: true, messages: { total: 12, copied: 2, skipped: 10, failed: 0 }, bytes: 20, seconds: 1, folders: [folder(2, 12)] },
    );
    expect(merged).toEqual({ ok: true, messages: { total: 12, copied: 12, skipped: 0, failed: 0 }, bytes: 120, seconds: 3, folders: [{ ...folder(12, 12), skipped: 0 }] });
  });
});
