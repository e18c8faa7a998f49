import type { MigrationReport } from '../../pipeline/migration-service.js';
import { ACTION, buttonValue } from '../ids.js';
import { code as codeSpan, escapeFit } from './mrkdwn.js';
import type { SlackMessage } from './request-message.js';
import { reportedFeatureBlocks } from './features.js';
import { formatBytes, formatCount, formatDuration } from './format.js';
import {
  actions,
  button,
  composeMessage,
  confirm,
  context,
  escapeMrkdwn,
  fallbackText,
  fields,
  fit,
  header,
  joinWithMore,
  pageLines,
  section,
  type KnownBlock,
} from './limits.js';

/** Pages per long list (folders, DNS): the whole report must stay far below 50 blocks and ~10k characters. */
const LIST_PAGE_CHARS = 1500;
const LIST_PAGES = 2;

function code(value: string): string {
  return codeSpan(value, 1000);
}

export interface FinalReportInput {
  jobId: string;
  /** The request's nonce, carried by the reset button. */
  nonce: string;
  source: string;
  report: MigrationReport;
  /** Offer the reset button (not when the pipeline already reset the source). */
  offerReset?: boolean;
}

/** The final report posted in the request's thread. */
export function finalReportMessage(input: FinalReportInput): SlackMessage {
  const { report } = input;
  const body: KnownBlock[] = [header(`Migration finished: ${input.source}`)];

  const copy = report.copy;
  if (copy) {
    body.push(
      fields([
        `*Messages*\n${formatCount(copy.messages.copied)} copied, ${formatCount(copy.messages.skipped)} already there, ${formatCount(copy.messages.failed)} failed (of ${formatCount(copy.messages.total)})`,
        `*Data*\n${formatBytes(copy.bytes)} in ${formatDuration(copy.seconds)}`,
        `*Folders*\n${formatCount(copy.folders.length)}`,
        `*Result*\n${copy.ok ? ':white_check_mark: complete' : ':warning: incomplete'}`,
      ]),
    );
    if (report.cutoverWindow) {
      const staged = report.staging ? ` · staged in ${code(report.staging.stagedAddress)}, ${formatCount(report.staging.passes)} delta pass(es) before it` : '';
      body.push(context([`:stopwatch: Cut-over window (source renamed to final delta done): ${formatDuration(report.cutoverWindow.seconds)}${staged}`]));
    }
    const withFailures = copy.folders.filter((f) => f.failed > 0);
    if (withFailures.length > 0) {
      const lines = withFailures.map((f) => `• ${code(f.from)}: ${formatCount(f.failed)} failed of ${formatCount(f.total)}`);
      pageLines(lines, LIST_PAGE_CHARS, 1).forEach((page, i) => body.push(section(`${i === 0 ? '*Folders with failed messages*\n' : ''}${page}`)));
    }
  }

  if (report.foldersNotInSync.length > 0) {
    // worst first: when the list is cut, what is left out matters least
    const worstFirst = [...report.foldersNotInSync].sort((a, b) => b.missing - a.missing);
    const lines = worstFirst.map((f) => `• ${code(f.folder)}: ${formatCount(f.missing)} missing`);
    pageLines(lines, LIST_PAGE_CHARS, LIST_PAGES).forEach((page, i) =>
      body.push(section(`${i === 0 ? `:warning: *Folders not in sync (${report.foldersNotInSync.length})*\n` : ''}${page}`)),
    );
  } else if (copy) {
    body.push(context([':white_check_mark: Every folder holds every source message.']));
  }

  const toFix = report.dns.filter((c) => !c.ok);
  const fine = report.dns.filter((c) => c.ok).map((c) => c.record);
  if (toFix.length > 0) {
    const lines = toFix.map(
      (c) =>
        `• *${escapeMrkdwn(String(c.record))}*: now ${c.current.length > 0 ? c.current.map(code).join(', ') : '_nothing_'}; ` +
        `expected ${c.expected.length > 0 ? c.expected.map(code).join(', ') : '_see the OVH diagnostic_'}` +
        (c.detail ? ` (${escapeMrkdwn(c.detail)})` : ''),
    );
    pageLines(lines, LIST_PAGE_CHARS, LIST_PAGES).forEach((page, i) =>
      body.push(section(`${i === 0 ? ':globe_with_meridians: *DNS records to fix*\n' : ''}${page}`)),
    );
  }
  if (fine.length > 0) body.push(context([`DNS already right: ${escapeMrkdwn([...new Set(fine)].join(', '))}`]));

  const settings = report.clientSettings;
  if (settings) {
    body.push(
      fields([
        `*IMAP*\n${code(settings.imap.host)} port ${escapeMrkdwn(String(settings.imap.port))} (${escapeMrkdwn(String(settings.imap.security).toUpperCase())})`,
        `*SMTP*\n${code(settings.smtp.host)} port ${escapeMrkdwn(String(settings.smtp.port))} (${escapeMrkdwn(String(settings.smtp.security).toUpperCase())})`,
        // a bare URL is linked by Slack; escaped, it cannot carry a label of its own (<url|click here>)
        `*Webmail*\n${escapeFit(settings.webmailUrl, 1000)}`,
      ]),
    );
  }

  const collaborative = report.collaborative;
  if (collaborative) {
    const kinds = (['calendar', 'contacts', 'tasks'] as const).map((k) => `*${k === 'calendar' ? 'Calendar' : k === 'contacts' ? 'Contacts' : 'Tasks'}*\n${formatCount(collaborative[k].copied)} copied, ${formatCount(collaborative[k].skipped)} already there, ${formatCount(collaborative[k].failed)} failed`);
    body.push(fields([...kinds, `*Rules, out-of-office*\n${formatCount(collaborative.rules.copied)} rules copied, ${formatCount(collaborative.rules.failed)} refused; out-of-office ${escapeMrkdwn(collaborative.oof.status)}`]));
    const issues = report.collaborativeIssues ?? [];
    if (issues.length > 0) body.push(section(`*Calendars, contacts, tasks: to look at*\n${joinWithMore(issues.map((i) => `• ${escapeMrkdwn(i)}`), LIST_PAGE_CHARS, 20)}`));
  }
  if (report.collaborativeLeft) {
    const left = report.collaborativeLeft;
    body.push(context([`:calendar: Left on the source account (the destination has no calendars): ${formatCount(left.calendar)} calendar items, ${formatCount(left.contacts)} contacts, ${formatCount(left.tasks)} tasks: export them from its webmail.`]));
  }

  body.push(...reportedFeatureBlocks(report.features ?? []));

  const footer: KnownBlock[] = [];
  if (input.offerReset !== false) {
    footer.push(
      actions(
        [
          button({
            text: 'Reset the temporary source account',
            actionId: ACTION.resetSource,
            value: buttonValue(input.jobId, input.nonce),
            style: 'danger',
            confirm: confirm({
              title: 'Reset the old account?',
              text: 'Its mail is deleted for good. Do this only once the user confirmed everything is in the new mailbox.',
              confirm: 'Reset it',
              danger: true,
            }),
          }),
        ],
        `report-${input.jobId}`.slice(0, 255),
      ),
    );
  }

  const summary = copy
    ? `${formatCount(copy.messages.copied)} messages copied, ${report.foldersNotInSync.length} folder(s) not in sync, ${toFix.length} DNS record(s) to fix`
    : `${toFix.length} DNS record(s) to fix`;
  return { text: fallbackText(`Migration of ${escapeMrkdwn(input.source)} finished: ${summary}`), blocks: composeMessage(body, footer) };
}
