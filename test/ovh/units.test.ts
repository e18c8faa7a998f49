import { describe, expect, it } from 'vitest';
import { clientSettingsFor, parseImapHosts } from '../../src/ovh/client-settings.js';
import { fullDnsChecks, spfValue } from '../../src/ovh/hosted-platform.js';
import { CURRENT_USAGE_UNIT_BYTES, currentUsageToBytes, pickQuota, QUOTA_GB_BYTES, quotaGbToBytes } from '../../src/ovh/units.js';

describe('units', () => {
  it('converts OVH units to bytes in one place', () => {
    expect(quotaGbToBytes(10)).toBe(10 * 1024 ** 3);
    expect(quotaGbToBytes(2.5)).toBe(2.5 * 1024 ** 3);
    expect(currentUsageToBytes(2048)).toBe(2048 * CURRENT_USAGE_UNIT_BYTES);
    expect(currentUsageToBytes(null)).toBeUndefined();
  });

  it('picks the smallest quota holding the mailbox plus headroom', () => {
    const allowed = [1, 2.5, 5].map((gb) => gb * QUOTA_GB_BYTES);
    expect(pickQuota(allowed, 0.5 * QUOTA_GB_BYTES)).toBe(1 * QUOTA_GB_BYTES);
    expect(pickQuota(allowed, 0.95 * QUOTA_GB_BYTES)).toBe(2.5 * QUOTA_GB_BYTES);
    expect(pickQuota(allowed, 4.9 * QUOTA_GB_BYTES)).toBeUndefined();
  });
});

describe('client settings', () => {
  it('uses the service hostname, ports 993 and 587 STARTTLS on Exchange / E-mail Pro', () => {
    expect(clientSettingsFor({ platform: 'exchange', service: 'o/s', hostname: 'ex5.mail.ovh.net', webUrl: 'https://ex5.mail.ovh.net/owa' })).toEqual({
      imap: { host: 'ex5.mail.ovh.net', port: 993, security: 'tls' },
      smtp: { host: 'ex5.mail.ovh.net', port: 587, security: 'starttls' },
      webmailUrl: 'https://ex5.mail.ovh.net/owa',
    });
  });

  it('uses ssl0.ovh.net 465 SSL for MX Plan and the default webmail', () => {
    expect(clientSettingsFor({ platform: 'mxplan-legacy', service: 'd.ovh' })).toEqual({
      imap: { host: 'ssl0.ovh.net', port: 993, security: 'tls' },
      smtp: { host: 'ssl0.ovh.net', port: 465, security: 'tls' },
      webmailUrl: 'https://www.ovhcloud.com/fr/mail/',
    });
  });

  it('lets IMAP_HOSTS override by service, then by platform, with an optional port', () => {
    const overrides = parseImapHosts('{"emailpro":"pro9.mail.ovh.net","svc-1":"127.0.0.1:10993"}');
    expect(clientSettingsFor({ platform: 'emailpro', service: 'svc-2', hostname: 'pro1.mail.ovh.net', overrides }).imap).toEqual({ host: 'pro9.mail.ovh.net', port: 993, security: 'tls' });
    expect(clientSettingsFor({ platform: 'emailpro', service: 'svc-1', hostname: 'pro1.mail.ovh.net', overrides }).imap).toEqual({ host: '127.0.0.1', port: 10993, security: 'tls' });
    expect(() => parseImapHosts('[1]')).toThrow(/JSON object/);
    expect(() => parseImapHosts('{')).toThrow(/JSON object/);
    expect(() => clientSettingsFor({ platform: 'exchange', service: 'o/s', hostname: null })).toThrow(/IMAP_HOSTS/);
  });
});

describe('DNS checks', () => {
  it('extracts the SPF value the way the control panel does and orders checks', () => {
    expect(spfValue('IN TXT v=spf1 include:mx.ovh.com ~all')).toBe('v=spf1 include:mx.ovh.com ~all');
    const checks = fullDnsChecks(
      [
        { record: 'MX', ok: true, current: ['mx1.mail.ovh.net.'], expected: ['mx1.mail.ovh.net.'] },
        { record: 'SRV', ok: false, current: [], expected: [] },
        { record: 'CNAME', ok: true, current: [], expected: [] },
      ],
      { expectedAutodiscoverSRV: '_autodiscover._tcp.d.ovh SRV 0 0 443 ex.', spfIsValid: false, spfRecord: null, expectedSPF: 'IN TXT v=spf1 include:mx.ovh.com ~all', dkimDiagnostics: { state: 'disabled' } },
    );
    expect(checks.map((c) => c.record)).toEqual(['MX', 'SRV', 'SPF', 'DKIM', 'CNAME']);
    expect(checks[1]!.expected).toEqual(['_autodiscover._tcp.d.ovh SRV 0 0 443 ex.']);
    expect(checks[2]).toMatchObject({ ok: false, expected: ['v=spf1 include:mx.ovh.com ~all'] });
    expect(checks[3]).toMatchObject({ ok: false, detail: 'DKIM disabled' });
  });
});
