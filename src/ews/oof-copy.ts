import type { OofReport } from '../domain/collaborative-report.js';
import type { EwsClient } from './client.js';
import type { OofReply, OofSettings } from './types.js';

/**
 * Out-of-office: the source's state, schedule, external audience and internal/external replies written to the
 * destination (last writer wins: run it at cut-over). Settings already equal at the destination are left alone.
 */
export async function copyOof(source: EwsClient, destination: EwsClient, dryRun = false): Promise<OofReport & { reason?: string }> {
  let settings: OofSettings;
  try {
    settings = await source.getOofSettings();
  } catch (error) {
    return { status: 'failed', state: null, reason: `could not read the source's settings: ${(error as Error).message}` };
  }
  try {
    const current = await destination.getOofSettings();
    if (sameOof(settings, current)) return { status: 'skipped', state: settings.state };
    if (!dryRun) await destination.setOofSettings(settings);
    return { status: 'copied', state: settings.state };
  } catch (error) {
    return { status: 'failed', state: settings.state, reason: (error as Error).message };
  }
}

function reply(value: OofReply | undefined): string {
  return (value?.message ?? '').trim();
}

export function sameOof(a: OofSettings, b: OofSettings): boolean {
  const duration = (s: OofSettings) => (s.state === 'Scheduled' && s.duration ? `${Date.parse(s.duration.start)}-${Date.parse(s.duration.end)}` : '');
  return a.state === b.state && a.externalAudience === b.externalAudience && duration(a) === duration(b) && reply(a.internalReply) === reply(b.internalReply) && reply(a.externalReply) === reply(b.externalReply);
}
