import { describe, expect, it } from 'vitest';
import { describeEndpoint, isLoopback, parseImapUrl } from '../../src/imap/endpoint.js';

describe('parseImapUrl', () => {
  it('decodes a percent-encoded user and picks TLS and the port from the scheme', () => {
    expect(parseImapUrl('imaps://john.smith%40mydomain.ovh@ex5.mail.ovh.net', 'pw')).toEqual({
      host: 'ex5.mail.ovh.net',
      port: 993,
      security: 'tls',
      user: 'john.smith@mydomain.ovh',
      password: 'pw',
      allowPlaintext: undefined,
      ca: undefined,
    });
    const starttls = parseImapUrl('imap://u@127.0.0.1:1143', 'pw', { allowPlaintext: true });
    expect(starttls).toMatchObject({ port: 1143, security: 'starttls', allowPlaintext: true });
  });

  it('refuses what it cannot use, saying how to write it', () => {
    expect(() => parseImapUrl('pop3://u@h', 'pw')).toThrow(/must start with imap:\/\/ or imaps:\/\//);
    expect(() => parseImapUrl('imaps://ex5.mail.ovh.net', 'pw')).toThrow(/has no user/);
    expect(() => parseImapUrl('imaps://u:secret@h', 'pw')).toThrow(/do not put the password in the URL/);
  });

  it('knows loopback hosts and never prints the password', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('127.3.2.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
    expect(describeEndpoint(parseImapUrl('imaps://a%40b.c@h:993', 'secret'))).toBe('imaps://a%40b.c@h:993');
  });
});
