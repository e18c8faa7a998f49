import { describe, expect, it } from 'vitest';
import type { MigrationPlan, MigrationReport, MigrationStatus } from '../../src/pipeline/migration-service.js';
import { planText, reportText } from '../../src/pipeline/report-text.js';

/** Any control character but newline and tab. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const CLEAR = '\x1b[2J';

// Every text below came from OVH or an IMAP server and carries escape sequences.
const plan: MigrationPlan = {
  jobId: 'mig-john@d.fr',
  source: { address: 'john@d.fr', platform: 'exchange', service: `hosted-1${CLEAR}` },
  destination: { address: 'john@d.fr', platform: 'emailpro', service: 'emailpro-1\x1b]0;pwned\x07' },
  temporaryAddress: 'john01@d.fr',
  sizeBytes: 1024,
  warnings: [`calendars do not migrate${CLEAR}\rOK`],
  features: [
    { kind: 'right', key: 'right:fullAccess:john@d.fr:jane@d.fr', target: `full access on john@d.fr for ${CLEAR}jane@d.fr`, verdict: 'pending', detail: `waits for ${CLEAR}jane@d.fr`, waitsFor: ['jane@d.fr'] },
    { kind: 'alias', key: 'alias:john@d.fr:j@d.fr', target: `alias j${CLEAR}@d.fr of john@d.fr`, verdict: 'create' },
    { kind: 'forwarding', key: 'forwarding:john@d.fr', target: 'forwarding of john@d.fr to x@y.z', verdict: 'byHand', detail: `no forwarding${CLEAR}`, instruction: `make a rule${CLEAR}` },
  ],
};

const report: MigrationReport = {
  copy: {
    ok: false,
    messages: { total: 3, copied: 2, skipped: 0, failed: 1 },
    bytes: 300,
    seconds: 1,
    folders: [{ from: `INBOX.${CLEAR}Evil`, to: `${CLEAR}Evil`, total: 3, copied: 2, skipped: 0, failed: 1 }],
  },
  foldersNotInSync: [{ folder: `INBOX.${CLEAR}Evil`, missing: 1 }],
  dns: [{ record: 'MX', ok: false, current: [`mx.evil${CLEAR}`], expected: ['mx1.mail.ovh.net.'], detail: '\x9b2Jrefused' }],
  clientSettings: {
    webmailUrl: `https://webmail${CLEAR}.example`,
    imap: { host: `imap${CLEAR}.example`, port: 993, security: 'tls' },
    smtp: { host: 'smtp.example', port: 587, security: 'starttls' },
  },
  features: [
    { kind: 'alias', key: 'alias:john@d.fr:j@d.fr', target: `alias j${CLEAR}@d.fr of john@d.fr`, status: 'created' },
    { kind: 'externalContact', key: 'externalContact:p@x.y', target: 'external contact p@x.y (P)', status: 'exists' },
    { kind: 'right', key: 'right:fullAccess:john@d.fr:jane@d.fr', target: 'full access on john@d.fr for jane@d.fr', status: 'pending', detail: `waits for ${CLEAR}jane@d.fr`, waitsFor: ['jane@d.fr'] },
    { kind: 'footer', key: 'footer:d.fr', target: `footer ${CLEAR}`, status: 'conflict', detail: 'content differs', instruction: 'compare both' },
    { kind: 'externalContact', key: 'externalContact:n@x.y', target: 'external contact n@x.y (N)', status: 'failed', detail: `OVH task 7 ended with status error${CLEAR}`, instruction: 'look at task 7' },
  ],
};

// Only what reportText reads: the rest of a status is irrelevant here.
const status = {
  jobId: plan.jobId,
  plan,
  state: 'done',
  undoAvailable: false,
  steps: [
    { name: 'copy', status: 'failed', detail: `IMAP NO [ALERT] ${CLEAR}\x1b[1;1H\x1b]52;c;ZWNobw==\x07quota exceeded` },
    { name: 'dns', status: 'done', detail: `checked${CLEAR}` },
  ],
} as unknown as MigrationStatus;

describe('report texts for terminals', () => {
  it('reportText prints no escape sequence or control character that came from a server', () => {
    const text = reportText(status, report);
    expect(text).not.toContain('\x1b');
    expect(text).not.toMatch(CONTROL);
    // What the values say is still there.
    expect(text).toContain('  - INBOX.Evil: 1 missing');
    expect(text).toContain('failed   copy: IMAP NO [ALERT] quota exceeded');
    expect(text).toContain('MX: now mx.evil; expected mx1.mail.ovh.net. (refused)');
    expect(text).toContain('Webmail: https://webmail.example');
  });

  it('reportText has three feature sections: recreated, pending (waiting for whom), by hand (with what to do)', () => {
    const text = reportText(status, report);
    expect(text).toContain(
      ['++++ Features recreated on the destination', '  created   alias j@d.fr of john@d.fr', '  exists    external contact p@x.y (P)'].join('\n'),
    );
    expect(text).toContain(
      ['++++ Features pending (recreated once the other mailbox is migrated to the same service)', '  pending   full access on john@d.fr for jane@d.fr: waits for jane@d.fr'].join('\n'),
    );
    expect(text).toContain(
      [
        '++++ Features to recreate by hand',
        '  conflict  footer : content differs. To do: compare both',
        '  failed    external contact n@x.y (N): OVH task 7 ended with status error. To do: look at task 7',
      ].join('\n'),
    );
  });

  it('planText prints no escape sequence or control character that came from OVH', () => {
    const text = planText(plan);
    expect(text).not.toContain('\x1b');
    expect(text).not.toMatch(CONTROL);
    expect(text).toContain('on hosted-1 (');
    expect(text).toContain('Warning:         calendars do not migrateOK');
    expect(text).toContain('Features:        3 on the source: 1 to create, 0 already there, 1 pending, 1 by hand, 0 in conflict');
    expect(text).toContain('  pending   full access on john@d.fr for jane@d.fr: waits for jane@d.fr');
    expect(text).toContain('  create    alias j@d.fr of john@d.fr');
    expect(text).toContain('  by hand   forwarding of john@d.fr to x@y.z: no forwarding. To do: make a rule');
  });
});
