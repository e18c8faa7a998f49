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
  notMigrated: [{ kind: 'delegation', description: `full access to ${CLEAR}jane@d.fr` }],
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
  aliasesRecreated: [`alias${CLEAR}@d.fr`],
  toRecreateByHand: [{ kind: 'footer', description: `footer ${CLEAR}` }],
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

  it('planText prints no escape sequence or control character that came from OVH', () => {
    const text = planText(plan);
    expect(text).not.toContain('\x1b');
    expect(text).not.toMatch(CONTROL);
    expect(text).toContain('on hosted-1 (');
    expect(text).toContain('Warning:         calendars do not migrateOK');
    expect(text).toContain('  - delegation: full access to jane@d.fr');
  });
});
