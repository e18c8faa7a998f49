import { describe, expect, it } from 'vitest';
import { RUN_STEPS, STAGED_RUN_STEPS, isTerminal, migrationState, nextStep, stepChange, stepList, undoAvailable } from '../../src/domain/steps.js';
import { migrationJobId } from '../../src/domain/plan.js';

describe('the step list', () => {
  it('runs the steps of the OVH procedure in order', () => {
    expect(RUN_STEPS).toEqual([
      'preflight', 'approval', 'attach-domain', 'rename-source', 'create-destination', 'copy', 'collaborative', 'delta', 'features', 'verify', 'dns', 'handover',
    ]);
  });

  it('resumes at the first step neither done nor skipped', () => {
    expect(nextStep({})).toBe('preflight');
    expect(nextStep({ preflight: { status: 'done' }, approval: { status: 'done' }, 'attach-domain': { status: 'skipped' } })).toBe('rename-source');
    expect(nextStep({ preflight: { status: 'done' }, approval: { status: 'failed' } })).toBe('approval');
    const all = Object.fromEntries(RUN_STEPS.map((s) => [s, { status: 'done' as const }]));
    expect(nextStep(all)).toBeUndefined();
    // a step that reported a failure without stopping the run is passed over
    const verifyFailed = { ...all, verify: { status: 'failed' as const }, dns: { status: 'pending' as const } };
    expect(nextStep(verifyFailed)).toBe('verify');
    expect(nextStep(verifyFailed, ['verify'])).toBe('dns');
  });

  it('keeps when a step started and when it ended, across its changes', () => {
    const running = stepChange(undefined, 'running', undefined, '2026-12-01T10:00:00.000Z', 2);
    expect(running).toEqual({ status: 'running', at: '2026-12-01T10:00:00.000Z', startedAt: '2026-12-01T10:00:00.000Z', run: 2 });
    const done = stepChange(running, 'done', 'ok', '2026-12-01T10:05:00.000Z', 2);
    expect(done).toEqual({ status: 'done', detail: 'ok', at: '2026-12-01T10:05:00.000Z', startedAt: '2026-12-01T10:00:00.000Z', endedAt: '2026-12-01T10:05:00.000Z', run: 2 });
  });

  it('lists every step with its status, extra steps only when they ran', () => {
    const list = stepList({ preflight: { status: 'done', detail: 'ok' }, undo: { status: 'done' } });
    expect(list[0]).toEqual({ name: 'preflight', status: 'done', detail: 'ok' });
    expect(list[1]).toEqual({ name: 'approval', status: 'pending' });
    expect(list.map((s) => s.name)).toContain('undo');
    expect(list.map((s) => s.name)).not.toContain('reset-source');
  });

  it('offers undo as soon as the rename was attempted, until undone, for an incomplete run only', () => {
    expect(undoAvailable({ renameAttempted: false, undone: false, runComplete: false })).toBe(false);
    expect(undoAvailable({ renameAttempted: true, undone: false, runComplete: false })).toBe(true);
    expect(undoAvailable({ renameAttempted: true, undone: true, runComplete: false })).toBe(false);
    expect(undoAvailable({ renameAttempted: true, undone: false, runComplete: true })).toBe(false);
  });
});

describe('the state of a migration', () => {
  const approved = { preflight: { status: 'done' as const }, approval: { status: 'done' as const } };
  it('waits for approval, is queued once approved, runs once past its approval', () => {
    expect(migrationState({ queue: 'delayed', steps: { preflight: { status: 'done' } } })).toBe('awaiting-approval');
    expect(migrationState({ queue: 'waiting', decision: 'approved', steps: { preflight: { status: 'done' } } })).toBe('queued');
    expect(migrationState({ queue: 'waiting', decision: 'rejected', steps: { preflight: { status: 'done' } } })).toBe('rejected');
    expect(migrationState({ queue: 'active', decision: 'approved', steps: approved })).toBe('queued');
    expect(migrationState({ queue: 'active', steps: { ...approved, 'attach-domain': { status: 'running' } } })).toBe('running');
    // waiting for its retry after a transient failure: still running
    expect(migrationState({ queue: 'delayed', decision: 'approved', steps: { ...approved, copy: { status: 'failed' } } })).toBe('running');
  });

  it('ends as the job says: done, rejected, failed or cancelled', () => {
    expect(migrationState({ queue: 'completed', steps: approved })).toBe('done');
    expect(migrationState({ queue: 'completed', returned: 'rejected', steps: approved })).toBe('rejected');
    expect(migrationState({ queue: 'failed', outcome: 'failed', steps: approved })).toBe('failed');
    expect(migrationState({ queue: 'failed', outcome: 'cancelled', steps: approved })).toBe('cancelled');
    expect(isTerminal('rejected')).toBe(true);
    expect(isTerminal('running')).toBe(false);
  });

  it('derives job ids from the normalised address, never with a colon', () => {
    expect(migrationJobId('john@d.fr')).toBe('mig-john@d.fr');
    expect(migrationJobId('john@d.fr')).not.toContain(':');
  });
});

describe('the staged order', () => {
  it('creates and fills the staged account before any rename; renames the source before the staged account takes its address', () => {
    const at = (step: string) => STAGED_RUN_STEPS.indexOf(step as (typeof STAGED_RUN_STEPS)[number]);
    expect(at('create-destination')).toBeLessThan(at('rename-source'));
    expect(at('copy')).toBeLessThan(at('stage'));
    expect(at('stage')).toBeLessThan(at('rename-source'));
    expect(at('rename-source')).toBeLessThan(at('rename-destination'));
    expect(at('rename-destination')).toBeLessThan(at('delta'));
    const throughCopy = Object.fromEntries(['preflight', 'approval', 'attach-domain', 'create-destination', 'copy', 'collaborative'].map((s) => [s, { status: 'done' as const }]));
    expect(nextStep(throughCopy, [], 'staged')).toBe('stage');
    expect(nextStep(throughCopy, [], 'classic')).toBe('rename-source');
    expect(stepList({}, 'staged').map((s) => s.name)).toEqual([...STAGED_RUN_STEPS]);
  });
});
