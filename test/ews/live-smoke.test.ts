import { describe, expect, it } from 'vitest';
import { copyCollaborative, parseEwsUrl, planCollaborative } from '../../src/ews/index.js';

/**
 * Against two real OVH Exchange mailboxes, only when told where they are (never in CI: no network there):
 *   EWS_LIVE_FROM=https://USER@HOST EWS_LIVE_FROM_PASSWORD=... EWS_LIVE_TO=https://USER@HOST EWS_LIVE_TO_PASSWORD=...
 * It plans the copy (a dry run changes nothing) and checks that what the real servers answer reads as the double's
 * does; with EWS_LIVE_COPY=1 it also copies, then copies again and expects nothing new the second time (the
 * markers survive a real Exchange). See the README, "copy-collaborative".
 */
const live = process.env.EWS_LIVE_FROM && process.env.EWS_LIVE_TO;

describe.skipIf(!live)('EWS against real OVH mailboxes (EWS_LIVE_FROM, EWS_LIVE_TO)', () => {
  const from = () => parseEwsUrl(process.env.EWS_LIVE_FROM!, process.env.EWS_LIVE_FROM_PASSWORD ?? '');
  const to = () => parseEwsUrl(process.env.EWS_LIVE_TO!, process.env.EWS_LIVE_TO_PASSWORD ?? '');

  it('plans the copy: folders found, counts read, nothing changed', async () => {
    const plan = await planCollaborative({ from: from(), to: to() });
    expect(plan.report.folders.length).toBeGreaterThan(0);
    for (const kind of ['calendar', 'contacts', 'tasks'] as const) expect(plan.report[kind].total).toBeGreaterThanOrEqual(0);
  }, 300_000);

  it.skipIf(process.env.EWS_LIVE_COPY !== '1')('copies, then a second run copies nothing', async () => {
    const first = await copyCollaborative({ from: from(), to: to() });
    expect(first.failures).toEqual([]);
    const second = await copyCollaborative({ from: from(), to: to(), journal: first.journal });
    for (const kind of ['calendar', 'contacts', 'tasks'] as const) expect(second.report[kind].copied).toBe(0);
  }, 1_800_000);
});
