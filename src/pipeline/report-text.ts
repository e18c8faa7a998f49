import type { CopyReport } from '../domain/copy-report.js';
import { formatBytes } from '../domain/rules.js';
import { PLATFORM_LABEL } from '../domain/platform.js';
import { terminalSafe as safe } from '../domain/terminal-text.js';
import type { MigrationPlan, MigrationReport, MigrationStatus } from './migration-service.js';

/**
 * The plan, for a human about to approve it. Everything that came from OVH, a server or a user goes through
 * `safe` (terminalSafe): these texts are printed on terminals.
 */
export function planText(plan: MigrationPlan): string {
  const lines = [
    `Source:          ${safe(plan.source.address)} on ${safe(plan.source.service)} (${PLATFORM_LABEL[plan.source.platform]})`,
    `Destination:     ${safe(plan.destination.address)} on ${safe(plan.destination.service)} (${PLATFORM_LABEL[plan.destination.platform]})`,
    `Temporary name:  ${safe(plan.temporaryAddress)} (the source is renamed to it)`,
    `Mailbox size:    ${plan.sizeBytes === undefined ? 'unknown' : formatBytes(plan.sizeBytes)}`,
  ];
  for (const warning of plan.warnings) lines.push(`Warning:         ${safe(warning)}`);
  if (plan.notMigrated.length) {
    lines.push('Will not migrate (recreate by hand):');
    for (const f of plan.notMigrated) lines.push(`  - ${f.kind}: ${safe(f.description)}`);
  }
  return lines.join('\n');
}

function row(label: string, value: string | number): string {
  return `${label.padEnd(38)}: ${value}`;
}

/**
 * The final report, modelled on imapsync's "++++ Statistics" block: transfer time, messages transferred,
 * skipped, errors, bytes and rates, folders not in sync, then DNS records to fix and features to recreate.
 */
export function reportText(status: MigrationStatus, report: MigrationReport | undefined): string {
  const copy: CopyReport | undefined = report?.copy;
  const lines = ['++++ Statistics'];
  if (copy) {
    const seconds = Math.max(copy.seconds, 0.001);
    const inSync = copy.folders.filter((f) => !report!.foldersNotInSync.some((n) => n.folder === f.from)).length;
    lines.push(
      row('Transfer time', `${copy.seconds.toFixed(1)} sec`),
      row('Folders synced', `${inSync}/${copy.folders.length} synced`),
      row('Messages found on the source', copy.messages.total),
      row('Messages transferred', copy.messages.copied),
      row('Messages skipped (already there)', copy.messages.skipped),
      row('Messages in error', copy.messages.failed),
      row('Messages on the source not on the dest.', report!.foldersNotInSync.reduce((n, f) => n + f.missing, 0)),
      row('Total bytes transferred', `${copy.bytes} (${formatBytes(copy.bytes)})`),
      row('Message rate', `${(copy.messages.copied / seconds).toFixed(1)} messages/s`),
      row('Average bandwidth rate', `${(copy.bytes / 1024 / seconds).toFixed(1)} KiB/s`),
    );
  } else lines.push(row('Mailbox copy', 'not run'));
  const failed = status.steps.filter((s) => s.status === 'failed');
  lines.push(row('Detected errors', failed.length + (copy?.messages.failed ?? 0)));
  if (report?.foldersNotInSync.length) {
    lines.push('Folders not in sync:');
    for (const f of report.foldersNotInSync) lines.push(`  - ${safe(f.folder)}: ${f.missing} missing`);
  }
  lines.push('', '++++ Steps');
  for (const step of status.steps) lines.push(`  ${step.status.padEnd(8)} ${step.name}${step.detail ? `: ${safe(step.detail)}` : ''}`);
  const dns = report?.dns.filter((d) => !d.ok) ?? [];
  if (dns.length) {
    lines.push('', '++++ DNS records to change when you switch the domain over');
    for (const d of dns) lines.push(`  ${d.record}: now ${safe(d.current.join(' ')) || '(none)'}; expected ${safe(d.expected.join(' ')) || '(see the control panel)'}${d.detail ? ` (${safe(d.detail)})` : ''}`);
  }
  if (report?.aliasesRecreated.length) lines.push('', `Aliases recreated: ${safe(report.aliasesRecreated.join(', '))}`);
  if (report?.toRecreateByHand.length) {
    lines.push('', '++++ To recreate by hand');
    for (const f of report.toRecreateByHand) lines.push(`  - ${f.kind}: ${safe(f.description)}`);
  }
  if (report?.clientSettings) {
    const c = report.clientSettings;
    lines.push(
      '',
      '++++ New client settings',
      `  Webmail: ${safe(c.webmailUrl)}`,
      `  IMAP:    ${safe(c.imap.host)}:${c.imap.port} (${c.imap.security})`,
      `  SMTP:    ${safe(c.smtp.host)}:${c.smtp.port} (${c.smtp.security})`,
    );
  }
  const verdict =
    status.state === 'done' && failed.length === 0
      ? `The migration looks good: ${safe(status.plan.destination.address)} is on ${safe(status.plan.destination.service)}.`
      : status.state === 'done'
        ? 'The migration finished with problems: see the failed steps above.'
        : `The migration ${status.state === 'cancelled' ? 'was cancelled' : status.state === 'rejected' ? 'was rejected' : 'failed'}${status.undoAvailable ? '; the source can be renamed back (undo)' : ''}.`;
  lines.push('', verdict);
  return lines.join('\n');
}
