import type { CopyReport } from '../domain/copy-report.js';
import { formatBytes } from '../domain/rules.js';
import { PLATFORM_LABEL } from '../domain/platform.js';
import { terminalSafe as safe } from '../domain/terminal-text.js';
import type { FeatureVerdict, MigrationPlan, MigrationReport, MigrationStatus, PlannedFeature, ReportedFeature } from './migration-service.js';
import { featureSections } from './report.js';

const VERDICT_LABEL: Record<FeatureVerdict, string> = { create: 'create', exists: 'exists', pending: 'pending', byHand: 'by hand', conflict: 'conflict' };

/** "  by hand   forwarding of x to y: why. To do: what" */
function plannedLine(f: PlannedFeature): string {
  const why = f.verdict === 'pending' ? (f.detail ?? 'waits for another mailbox') : f.detail;
  return `  ${VERDICT_LABEL[f.verdict].padEnd(9)} ${safe(f.target)}${why ? `: ${safe(why)}` : ''}${f.instruction && f.verdict !== 'exists' && f.verdict !== 'create' ? `. To do: ${safe(f.instruction)}` : ''}`;
}

function reportedLine(f: ReportedFeature): string {
  const status = f.status === 'byHand' ? 'by hand' : f.status;
  return `  ${status.padEnd(9)} ${safe(f.target)}${f.detail ? `: ${safe(f.detail)}` : ''}${f.instruction ? `. To do: ${safe(f.instruction)}` : ''}`;
}

/**
 * The plan, for a human about to approve it. Everything that came from OVH, a server or a user goes through
 * `safe` (terminalSafe): these texts are printed on terminals.
 */
export function planText(plan: MigrationPlan): string {
  const lines = [
    `Source:          ${safe(plan.source.address)} on ${safe(plan.source.service)} (${PLATFORM_LABEL[plan.source.platform]})`,
    `Destination:     ${safe(plan.destination.address)} on ${safe(plan.destination.service)} (${PLATFORM_LABEL[plan.destination.platform]})`,
    `Temporary name:  ${safe(plan.temporaryAddress)} (the source is renamed to it${plan.order?.kind === 'staged' ? ' at the cut-over' : ''})`,
    `Order:           ${plan.order?.kind ?? 'classic'}: ${safe(plan.order?.reason ?? 'planned before the staged order existed')}`,
    `Mailbox size:    ${plan.sizeBytes === undefined ? 'unknown' : formatBytes(plan.sizeBytes)}`,
  ];
  if (plan.collaborative) lines.push(`Calendars etc.:  ${safe(plan.collaborative.detail)}`);
  for (const warning of plan.warnings) lines.push(`Warning:         ${safe(warning)}`);
  const features = plan.features ?? [];
  if (features.length) {
    const count = (verdict: FeatureVerdict) => features.filter((f) => f.verdict === verdict).length;
    lines.push(
      `Features:        ${features.length} on the source: ${count('create')} to create, ${count('exists')} already there, ${count('pending')} pending, ${count('byHand')} by hand, ${count('conflict')} in conflict`,
    );
    for (const f of features) lines.push(plannedLine(f));
  }
  return lines.join('\n');
}

function row(label: string, value: string | number): string {
  return `${label.padEnd(38)}: ${value}`;
}

/**
 * The final report, modelled on imapsync's "++++ Statistics" block: transfer time, messages transferred,
 * skipped, errors, bytes and rates, folders not in sync, then DNS records to fix and the features: recreated,
 * pending (waiting for whom), by hand (unsupported, conflicts, failures, each with what to do).
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
  if (report?.cutoverWindow) lines.push(row('Cut-over window (rename to final delta)', `${report.cutoverWindow.seconds.toFixed(1)} sec`));
  const staging = report?.staging ?? status.staging;
  if (staging) {
    lines.push(row('Staged in', safe(staging.stagedAddress)));
    lines.push(row('Delta passes while staged', `${staging.passes}: ${staging.copied} copied, ${staging.removed} removed (left the source)`));
  }
  const failed = status.steps.filter((s) => s.status === 'failed');
  lines.push(row('Detected errors', failed.length + (copy?.messages.failed ?? 0)));
  if (report?.foldersNotInSync.length) {
    lines.push('Folders not in sync:');
    for (const f of report.foldersNotInSync) lines.push(`  - ${safe(f.folder)}: ${f.missing} missing`);
  }
  const collaborative = report?.collaborative;
  if (collaborative) {
    lines.push('', '++++ Calendars, contacts, tasks, rules and out-of-office (EWS)');
    for (const kind of ['calendar', 'contacts', 'tasks', 'rules'] as const) {
      const c = collaborative[kind];
      lines.push(row(`  ${kind}`, `${c.copied} copied, ${c.skipped} already there, ${c.failed} ${kind === 'rules' ? 'refused' : 'failed'} (of ${c.total})`));
    }
    lines.push(row('  out-of-office', collaborative.oof.status));
    for (const issue of report?.collaborativeIssues ?? []) lines.push(`  - ${safe(issue)}`);
  }
  if (report?.collaborativeLeft) {
    const left = report.collaborativeLeft;
    lines.push('', `++++ Left on ${safe(status.plan.temporaryAddress)} (the destination has no calendars): ${left.calendar} calendar items, ${left.contacts} contacts, ${left.tasks} tasks; export them from the source webmail`);
  }
  lines.push('', '++++ Steps');
  for (const step of status.steps) lines.push(`  ${step.status.padEnd(8)} ${step.name}${step.detail ? `: ${safe(step.detail)}` : ''}`);
  const dns = report?.dns.filter((d) => !d.ok) ?? [];
  if (dns.length) {
    lines.push('', '++++ DNS records to change when you switch the domain over');
    for (const d of dns) lines.push(`  ${d.record}: now ${safe(d.current.join(' ')) || '(none)'}; expected ${safe(d.expected.join(' ')) || '(see the control panel)'}${d.detail ? ` (${safe(d.detail)})` : ''}`);
  }
  const sections = featureSections(report?.features ?? []);
  if (sections.recreated.length) {
    lines.push('', '++++ Features recreated on the destination');
    for (const f of sections.recreated) lines.push(reportedLine(f));
  }
  if (sections.pending.length) {
    lines.push('', '++++ Features pending (recreated once the other mailbox is migrated to the same service)');
    for (const f of sections.pending) lines.push(reportedLine(f));
  }
  if (sections.byHand.length) {
    lines.push('', '++++ Features to recreate by hand');
    for (const f of sections.byHand) lines.push(reportedLine(f));
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
