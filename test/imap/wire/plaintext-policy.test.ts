import { describe, expect, it } from 'vitest';
import { ImapHandshake } from '../../../src/imap/wire/imap-handshake.js';
import { PlaintextLoginRefused } from '../../../src/imap/wire/imap-errors.js';
import type { ImapEndpoint } from '../../../src/imap/endpoint.js';

const endpoint = (host: string, allowPlaintext?: boolean): ImapEndpoint => ({ host, port: 143, security: 'plain', user: 'u', password: 'p', allowPlaintext });
const check = (target: ImapEndpoint) => () => ImapHandshake.assertPlaintextAllowed(target, 'test');

describe('plain-text logins', () => {
  it('are refused to a remote host, with what to do instead', () => {
    expect(check(endpoint('mail.example.org'))).toThrow(PlaintextLoginRefused);
    expect(check(endpoint('mail.example.org'))).toThrow(/use imaps:\/\/ .*--allow-plaintext/);
    expect(check(endpoint('10.0.0.8'))).toThrow(PlaintextLoginRefused);
  });

  it('are allowed on loopback, or when the user said --allow-plaintext', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1']) expect(check(endpoint(host))).not.toThrow();
    expect(check(endpoint('mail.example.org', true))).not.toThrow();
  });
});
