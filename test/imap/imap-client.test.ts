import { describe, expect, it } from 'vitest';
import { starttlsPolicy } from '../../src/imap/imap-client.js';
import type { ImapEndpoint } from '../../src/imap/endpoint.js';

const endpoint = (host: string, security: ImapEndpoint['security'], allowPlaintext?: boolean): ImapEndpoint => ({ host, port: 143, security, user: 'u', password: 'p', allowPlaintext });

describe('starttlsPolicy (plain-text logins)', () => {
  it('requires STARTTLS for imap:// to a remote host unless --allow-plaintext', () => {
    expect(starttlsPolicy(endpoint('mail.example.org', 'starttls'))).toBe(true);
    expect(starttlsPolicy(endpoint('mail.example.org', 'starttls', true))).toBeUndefined();
  });

  it('uses STARTTLS when offered on loopback, and never forces it with implicit TLS', () => {
    expect(starttlsPolicy(endpoint('127.0.0.1', 'starttls'))).toBeUndefined();
    expect(starttlsPolicy(endpoint('localhost', 'starttls'))).toBeUndefined();
    expect(starttlsPolicy(endpoint('mail.example.org', 'tls'))).toBeUndefined();
  });

  it('refuses a plain connection to a remote host with a message saying what to do', () => {
    expect(() => starttlsPolicy(endpoint('mail.example.org', 'plain'))).toThrow(/use imaps:\/\/ or pass --allow-plaintext/);
    expect(starttlsPolicy(endpoint('mail.example.org', 'plain', true))).toBe(false);
    expect(starttlsPolicy(endpoint('::1', 'plain'))).toBe(false);
  });
});
