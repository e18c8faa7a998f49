import type { Platform } from '../../domain/platform.js';
import { PLATFORM_LABEL } from '../../domain/platform.js';
import { STEP_LABEL, type StepName } from '../../domain/steps.js';
import { escapeMrkdwn } from './mrkdwn.js';

const MIB = 1024 * 1024;

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return 'unknown';
  if (bytes >= 1024 * MIB) return `${(bytes / (1024 * MIB)).toFixed(2)} GiB`;
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

export function formatMiB(bytes: number): string {
  return (bytes / MIB).toFixed(1);
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return 'unknown';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** A text progress bar: `[██████░░░░] 60%`. */
export function textBar(fraction: number, width = 20): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const full = Math.round(f * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${Math.floor(f * 100)}%`;
}

/** Slack renders this in each reader's time zone; the fallback is ISO 8601 UTC. */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} at {time}|${new Date(ms).toISOString()}>`;
}

/** Safe in mrkdwn: an unknown platform name from a server is escaped. */
export function platformLabel(platform: Platform): string {
  return PLATFORM_LABEL[platform] ?? escapeMrkdwn(String(platform));
}


/** Safe in mrkdwn: an unknown step name is escaped. */
export function stepLabel(step: StepName): string {
  return STEP_LABEL[step] ?? escapeMrkdwn(String(step));
}
