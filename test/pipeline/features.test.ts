import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/domain/platform.js';
import { newRedis } from '../../src/pipeline/events.js';
import { FeatureLinks } from '../../src/pipeline/links.js';
import type { FeatureVerdict, MigrationStatus } from '../../src/pipeline/migration-service.js';
import { DEFAULT_QUEUE_NAME, Keys } from '../../src/pipeline/queue-names.js';
import type { StepContext } from '../../src/pipeline/step-context.js';
import { RUN_STEP_FUNCTIONS } from '../../src/pipeline/steps.js';
import type { MigrationJobData } from '../../src/pipeline/job-data.js';
import { featuresFixture } from './fixtures.js';
import { CLI, Harness, waitForState } from './harness.js';

/**
 * Issue 11, end to end on the simulator: every feature of a source mailbox planned with its verdict at preflight,
 * then recreated by the features step, on each destination kind; a retry of the step posts nothing twice.
 */

const EX2 = 'hosted-sb55555-1/hosted-sb55555-1';
const EX3 = 'hosted-sb77777-1/hosted-sb77777-1';
const BOSS = 'boss@mydomain.ovh';

type Expected = Record<string, [FeatureVerdict, string | RegExp]>;

/** Verdict at preflight and status in the report, by feature key, for a clone (see featuresFixture) on a destination kind. */
function cloneExpectations(login: string, kind: 'exchange' | 'emailpro' | 'mxplan' | 'mxplan-legacy'): Expected {
  const me = `${login}@mydomain.ovh`;
  const group = `grp-${login}@mydomain.ovh`;
  const hosted = kind !== 'mxplan-legacy';
  const groups = kind === 'exchange' || kind === 'mxplan-legacy';
  const recreated = /^(created|exists)$/;
  return {
    [`settings:${me}`]: ['create', 'created'],
    [`forwarding:${me}`]: kind === 'exchange' || kind === 'mxplan-legacy' ? ['create', 'created'] : ['byHand', 'byHand'],
    [`spamFilter:${me}`]: hosted ? ['create', recreated] : ['byHand', 'byHand'],
    [`alias:${me}:${login}.alias@mydomain.ovh`]: ['create', 'created'],
    'externalContact:partner@example.com': !hosted ? ['byHand', 'byHand'] : kind === 'emailpro' ? ['exists', 'exists'] : ['create', 'created'],
    'externalContact:supplier@example.org': !hosted ? ['byHand', 'byHand'] : kind === 'emailpro' ? ['conflict', 'conflict'] : ['create', 'created'],
    'footer:mydomain.ovh': hosted ? ['create', 'created'] : ['byHand', 'byHand'],
    [`group:${group}`]: groups ? ['create', 'created'] : ['byHand', 'byHand'],
    [`groupAlias:${group}:grp-${login}-alias@mydomain.ovh`]: groups ? ['create', 'created'] : ['byHand', 'byHand'],
    [`groupMember:${group}:contact:partner@example.com`]: groups ? ['create', 'created'] : ['byHand', 'byHand'],
    [`groupMember:${group}:account:${me}`]: groups ? ['create', 'created'] : ['byHand', 'byHand'],
    // boss stays on the source: on Exchange the group's manager and sender must be an account of the service
    [`groupManager:${group}:${BOSS}`]: kind === 'exchange' ? ['pending', 'pending'] : kind === 'mxplan-legacy' ? ['create', 'created'] : ['byHand', 'byHand'],
    [`groupRight:sendAs:${group}:${BOSS}`]: kind === 'exchange' ? ['pending', 'pending'] : ['byHand', 'byHand'],
    [`right:fullAccess:${me}:${BOSS}`]: hosted ? ['pending', 'pending'] : ['byHand', 'byHand'],
    [`right:sendAs:${BOSS}:${me}`]: hosted ? ['pending', 'pending'] : ['byHand', 'byHand'],
    'unmigrated:collaborative:0': ['byHand', 'byHand'],
  };
}

const CASES: { name: string; source: string; to: string; platform: Platform; expected: Expected }[] = [
  { name: 'Exchange -> Exchange', source: 'ex2ex@mydomain.ovh', to: EX2, platform: 'exchange', expected: cloneExpectations('ex2ex', 'exchange') },
  { name: 'Exchange -> E-mail Pro', source: 'ex2pro@mydomain.ovh', to: 'emailpro-sb22222-1', platform: 'emailpro', expected: cloneExpectations('ex2pro', 'emailpro') },
  { name: 'Exchange -> MX Plan', source: 'ex2mx@mydomain.ovh', to: 'mxplan-sb33333-1', platform: 'mxplan', expected: cloneExpectations('ex2mx', 'mxplan') },
  { name: 'Exchange -> legacy MX Plan', source: 'ex2legacy@mydomain.ovh', to: 'mydomain.ovh', platform: 'mxplan-legacy', expected: cloneExpectations('ex2legacy', 'mxplan-legacy') },
  {
    name: 'E-mail Pro -> Exchange',
    source: 'alice@pro-domain.ovh',
    to: EX3,
    platform: 'exchange',
    expected: {
      'settings:alice@pro-domain.ovh': ['create', 'created'],
      'spamFilter:alice@pro-domain.ovh': ['create', /^(created|exists)$/],
      'alias:alice@pro-domain.ovh:contact@pro-domain.ovh': ['create', 'created'],
      'externalContact:client@example.net': ['create', 'created'],
      'externalContact:partner@example.com': ['create', 'created'],
      'externalContact:supplier@example.org': ['create', 'created'],
      'footer:pro-domain.ovh': ['create', 'created'],
      'right:fullAccess:alice@pro-domain.ovh:bob@pro-domain.ovh': ['pending', 'pending'],
      'right:sendAs:bob@pro-domain.ovh:alice@pro-domain.ovh': ['pending', 'pending'],
      // no EWS in this harness: calendars, contacts and tasks stay on the source, by hand
      'unmigrated:collaborative:0': ['byHand', 'byHand'],
    },
  },
];

let h: Harness;
let pipeline: Awaited<ReturnType<Harness['pipeline']>>;
const finished = new Map<string, { status: MigrationStatus; verdicts: Record<string, FeatureVerdict> }>();
/** Where the simulator's request log stood when the run of ex2ex started, and the 503 the test injected. */
let ex2exStart = 0;
const EX2_PATH = '/email/exchange/hosted-sb55555-1/service/hosted-sb55555-1';
const FAULTED = `${EX2_PATH}/mailingList/grp-ex2ex@mydomain.ovh/member/account`;

beforeAll(async () => {
  h = await Harness.start({ fixture: featuresFixture() });
  pipeline = await h.pipeline({ concurrency: CASES.length });
  // Exchange -> Exchange: the last change the step posts is refused once (503, nothing done at OVH): the worker
  // retries the step, which resumes from its journal
  h.sim.faults.add({ method: 'POST', path: FAULTED, status: 503, times: 1 });
  ex2exStart = h.sim.requests.length;
  await Promise.all(
    CASES.map(async (c) => {
      const submitted = await pipeline.service.submit({ sourceAddress: c.source, destinationService: c.to, requester: CLI, preapproved: true });
      if (!submitted.ok) throw new Error(`${c.name}: ${JSON.stringify(submitted.problems)}`);
      const verdicts = Object.fromEntries(submitted.plan.features.map((f) => [f.key, f.verdict]));
      const status = await waitForState(pipeline.service, submitted.jobId, ['done', 'failed'], 150_000);
      finished.set(c.name, { status, verdicts });
    }),
  );
}, 240_000);

afterAll(async () => {
  await h?.stop();
});

describe('every feature on every destination kind: the verdict at preflight, what the run did', () => {
  it.each(CASES)('$name', ({ name, platform, expected }) => {
    const { status, verdicts } = finished.get(name)!;
    expect(status.steps.filter((s) => s.status === 'failed')).toEqual([]);
    expect(status.state).toBe('done');
    const pending = Object.values(expected).filter(([verdict]) => verdict === 'pending').length;
    expect(status.steps.find((s) => s.name === 'features')).toMatchObject({
      status: 'done',
      detail: expect.stringMatching(pending ? new RegExp(`^recreated \\d+ \\(\\d+ created, \\d+ already there\\); pending ${pending} \\(waiting for (boss|bob)@`) : /^recreated \d+ \(\d+ created, 0 already there\); by hand \d+$/),
    });
    const plannedVerdicts = Object.fromEntries(Object.entries(expected).map(([key, [verdict]]) => [key, verdict]));
    expect(verdicts).toEqual(plannedVerdicts);
    const report = Object.fromEntries(status.report!.features.map((f) => [f.key, f]));
    expect(Object.keys(report).sort()).toEqual(Object.keys(expected).sort());
    for (const [key, [, wanted]] of Object.entries(expected)) {
      const got = report[key]!;
      if (wanted instanceof RegExp) expect(got.status, key).toMatch(wanted);
      else expect(got.status, key).toBe(wanted);
      if (got.status === 'pending') expect(got.detail, key).toMatch(new RegExp(`^waits for (boss|bob)@[a-z.-]+ on ${platform === 'exchange' ? 'hosted-sb' : ''}`));
      if (got.status === 'byHand' || got.status === 'conflict') expect(got.instruction, key).toEqual(expect.any(String));
    }
  });

  it('what the destinations hold afterwards, read back through the OVH layer', async () => {
    const exchange = await h.factory({ platform: 'exchange', name: EX2 });
    const there = await exchange.readFeatures('ex2ex@mydomain.ovh');
    expect(there.settings).toMatchObject({ displayName: 'Clone ex2ex', firstName: 'Clone', lastName: 'ex2ex', initials: 'CL' });
    expect(there.forwarding).toEqual({ forwardingEmail: 'ex2ex@example.com', storeCopyOfEmail: true });
    expect(there.aliases).toEqual(['ex2ex.alias@mydomain.ovh']);
    expect(there.groups).toEqual([expect.objectContaining({ address: 'grp-ex2ex@mydomain.ovh', memberAccounts: ['ex2ex@mydomain.ovh'], memberContacts: ['partner@example.com'], aliases: ['grp-ex2ex-alias@mydomain.ovh'], managers: [] })]);
    expect(there.footer).toEqual({ domain: 'mydomain.ovh', content: '<p>Sent from mydomain.ovh</p>', outsideOnly: false });
    const legacy = h.sim.state.service('mxplan-legacy:mydomain.ovh')!;
    expect(legacy.accounts.find((a) => a.login === 'ex2legacy')!.description).toBe('Clone ex2legacy');
    expect(legacy.mailingLists.find((m) => m.name === 'grp-ex2legacy')).toMatchObject({ ownerEmail: BOSS, moderators: [BOSS] });
    const alice = await (await h.factory({ platform: 'exchange', name: EX3 })).readFeatures('alice@pro-domain.ovh');
    expect(alice.externalContacts.map((c) => c.address)).toEqual(['client@example.net', 'partner@example.com', 'supplier@example.org']);
    expect(alice.footer).toEqual({ domain: 'pro-domain.ovh', content: '<p>Pro footer</p>', outsideOnly: true });
  });

  it('a step retried after a transient OVH error resumes from its journal: nothing is posted twice', () => {
    const { status } = finished.get('Exchange -> Exchange')!;
    expect(status.steps.find((s) => s.name === 'features')!.status).toBe('done');
    // the step failed once (the 503) and was run again by the worker
    const runs = pipeline.events.filter((e) => e.type === 'step' && e.jobId === status.jobId && e.step.name === 'features').map((e) => (e.type === 'step' ? e.step.status : ''));
    expect(runs).toEqual(['running', 'failed', 'running', 'done']);
    const writes = h.sim.requests.slice(ex2exStart).filter((r) => r.path.startsWith(EX2_PATH) && (r.method === 'POST' || r.method === 'PUT'));
    const refused = writes.findIndex((r) => r.path === FAULTED && r.status === 503);
    expect(refused, 'the injected 503 was hit').toBeGreaterThan(0);
    // the retry of the step posted what was refused, and nothing else
    expect(writes.slice(refused + 1).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`POST ${FAULTED} 200`]);
    const answered = writes.filter((r) => r.status === 200).map((r) => `${r.method} ${r.path} ${JSON.stringify(r.body)}`);
    expect(new Set(answered).size).toBe(answered.length);
  });

  it('running the finished step again posts nothing at all', async () => {
    const { status } = finished.get('Exchange -> Exchange')!;
    const job = await pipeline.service.queue.getJob(status.jobId);
    const data = structuredClone(job!.data as MigrationJobData);
    const redis = newRedis(pipeline.settings.connection);
    try {
      const ctx: StepContext = {
        jobId: status.jobId,
        plan: data.plan,
        request: data.request,
        checkpoint: data.checkpoint,
        save: async () => undefined,
        signal: new AbortController().signal,
        onProgress: () => undefined,
        handOver: async () => undefined,
        cutoverRequest: async () => undefined,
        deps: h.deps,
        links: new FeatureLinks(redis, new Keys(pipeline.prefix, DEFAULT_QUEUE_NAME), 3_000),
      };
      const since = h.sim.requests.length;
      const outcome = await RUN_STEP_FUNCTIONS.features!(ctx);
      expect(outcome.status).toBe('done');
      expect(h.sim.requests.slice(since).filter((r) => r.method !== 'GET')).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});

describe('the plan says why a feature is by hand, and what to do', () => {
  it('legacy MX Plan: no delegation, no server-side footer; accounts cannot be renamed there', () => {
    const { status } = finished.get('Exchange -> legacy MX Plan')!;
    const byKey = Object.fromEntries(status.plan.features.map((f) => [f.key, f]));
    expect(byKey['right:fullAccess:ex2legacy@mydomain.ovh:boss@mydomain.ovh']).toMatchObject({ verdict: 'byHand', detail: expect.stringMatching(/no mailbox delegation/), instruction: expect.any(String) });
    expect(byKey['footer:mydomain.ovh']).toMatchObject({ verdict: 'byHand', instruction: expect.stringMatching(/signature/) });
    expect(status.plan.warnings).toContain('legacy MX Plan accounts cannot be renamed later');
  });
});
