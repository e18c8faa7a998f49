import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The pair tests, split over two files to keep each under a minute on a busy machine. */
import type { Platform } from '../../src/domain/platform.js';
import { pairsFixture } from './fixtures.js';
import { CLI, Harness, waitForState, destinationPassword } from './harness.js';


const EXCHANGE = 'hosted-sb11111-1/hosted-sb11111-1';
export const PAIR_CASES: { pair: string; source: string; password: string; sourceService: string; to: string; platform: Platform; aliases: string[] }[] = [
  { pair: 'Exchange -> E-mail Pro', source: 'john.smith@mydomain.ovh', password: 'Exchange-Pass-01', sourceService: `exchange:${EXCHANGE}`, to: 'emailpro-sb22222-1', platform: 'emailpro', aliases: ['j.smith@mydomain.ovh', 'john@mydomain.ovh'] },
  { pair: 'E-mail Pro -> Exchange', source: 'alice@pro-domain.ovh', password: 'EmailPro-Pass-01', sourceService: 'emailpro:emailpro-sb22222-1', to: EXCHANGE, platform: 'exchange', aliases: ['contact@pro-domain.ovh'] },
  { pair: 'Exchange -> MX Plan', source: 'jane.doe@mydomain.ovh', password: 'Exchange-Pass-02', sourceService: `exchange:${EXCHANGE}`, to: 'mxplan-sb33333-1', platform: 'mxplan', aliases: [] },
  { pair: 'E-mail Pro -> MX Plan', source: 'carol@pro-domain.ovh', password: 'EmailPro-Pass-03', sourceService: 'emailpro:emailpro-sb22222-1', to: 'mxplan-sb44444-1', platform: 'mxplan', aliases: ['sales@pro-domain.ovh'] },
  { pair: 'Exchange -> Exchange (IMAP switched off at the source)', source: 'imap.off@mydomain.ovh', password: 'Exchange-Pass-04', sourceService: `exchange:${EXCHANGE}`, to: 'hosted-sb55555-1/hosted-sb55555-1', platform: 'exchange', aliases: [] },
  { pair: 'E-mail Pro -> legacy MX Plan', source: 'old@legacy-domain.ovh', password: 'EmailPro-Pass-05', sourceService: 'emailpro:emailpro-sb22222-1', to: 'legacy-domain.ovh', platform: 'mxplan-legacy', aliases: [] },
  { pair: 'E-mail Pro -> E-mail Pro', source: 'bob@pro-domain.ovh', password: 'EmailPro-Pass-02', sourceService: 'emailpro:emailpro-sb22222-1', to: 'emailpro-sb66666-1', platform: 'emailpro', aliases: [] },
];

export function describePairs(cases: typeof PAIR_CASES): void {
  let h: Harness;
  let pipeline: Awaited<ReturnType<Harness['pipeline']>>;
  beforeAll(async () => {
    h = await Harness.start({ fixture: pairsFixture() });
    pipeline = await h.pipeline({ concurrency: cases.length });
  });
  afterAll(async () => {
    await h?.stop();
  });
  describe('pairs the OVH guide allows, end to end on the simulator', () => {
  it.concurrent.each(cases)('$pair', async ({ source, password, sourceService, to, platform, aliases }) => {
    const imapOff = source.startsWith('imap.off');
    // IMAP is off for imap.off: read its mailbox by switching it on for a moment, as an admin would.
    const sourceRef = { platform: sourceService.split(':')[0] as Platform, name: sourceService.slice(sourceService.indexOf(':') + 1) };
    const sourcePlatform = await h.factory(sourceRef);
    if (imapOff) await sourcePlatform.setImapEnabled(source, true);
    const before = await h.messages(source, password);
    if (imapOff) await sourcePlatform.setImapEnabled(source, false);
    expect(before.length).toBeGreaterThanOrEqual(3);

    const { service } = pipeline;
    const submitted = await service.submit({ sourceAddress: source, destinationService: to, requester: CLI, preapproved: true });
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
    const status = await waitForState(service, submitted.jobId, ['done', 'failed'], 90_000);
    expect(status.steps.filter((s) => s.status === 'failed')).toEqual([]);
    expect(status.state).toBe('done');

    const temporary = submitted.plan.temporaryAddress;
    expect(temporary).toBe(source.replace('@', '01@'));
    expect(h.sim.addresses(sourceService)).toContain(temporary);
    expect(h.sim.addresses(sourceService)).not.toContain(source);

    const newPassword = await destinationPassword(service, submitted.jobId);
    expect(await h.messages(source, newPassword)).toEqual(before);
    const destination = await h.factory({ platform, name: to });
    if (platform !== 'mxplan-legacy') expect((await destination.listAliases(source)).sort()).toEqual(aliases);
    // IMAP switches put back as they were.
    if (imapOff) expect(await sourcePlatform.getImapEnabled(temporary)).toBe(false);
  }, 120_000);
  });
}
