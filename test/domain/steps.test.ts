import { describe, expect, it } from 'vitest';
import { RUN_STEPS, isTerminal, nextStep, stepList, transition, undoAvailable } from '../../src/domain/steps.js';
import { migrationJobId } from '../../src/domain/plan.js';

describe('the step list', () => {
  it('runs the steps of the OVH procedure in order', () => {
    expect(RUN_STEPS).toEqual([
      'preflight', 'approval', 'attach-domain', 'rename-source', 'create-destination', 'copy', 'delta', 'aliases', 'verify', 'dns', 'handover',
    ]);
  });

  it('resumes at the first step neither done nor skipped', () => {
    expect(nextStep({})).toBe('preflight');
    expect(nextStep({ preflight: { status: 'done' }, approval: { status: 'done' }, 'attach-domain': { status: 'skipped' } })).toBe('rename-source');
    expect(nextStep({ preflight: { status: 'done' }, approval: { status: 'failed' } })).toBe('approval');
    const all = Object.fromEntries(RUN_STEPS.map((s) => [s, { status: 'done' as const }]));
    expect(nextStep(all)).toBeUndefined();
  });

  it('lists every step with its status, extra steps only when they ran', () => {
    const list = stepList({ preflight: { status: 'done', detail: 'ok' }, undo: { status: 'done' } });
    expect(list[0]).toEqual({ name: 'preflight', status: 'done', detail: 'ok' });
    expect(list[1]).toEqual({ name: 'approval', status: 'pending' });
    expect(list.map((s) => s.name)).toContain('undo');
    expect(list.map((s) => s.name)).not.toContain('reset-source');
  });

  it('offers undo only after the rename of an incomplete run', () => {
    expect(undoAvailable({}, false)).toBe(false);
    expect(undoAvailable({ 'rename-source': { status: 'done' } }, false)).toBe(true);
    expect(undoAvailable({ 'rename-source': { status: 'done' }, undo: { status: 'done' } }, false)).toBe(false);
    expect(undoAvailable({ 'rename-source': { status: 'done' } }, true)).toBe(false);
  });
});

describe('the migration state machine', () => {
  it('follows approval, run and outcome', () => {
    expect(transition('awaiting-approval', 'approve')).toEqual({ ok: true, state: 'queued' });
    expect(transition('awaiting-approval', 'reject')).toEqual({ ok: true, state: 'rejected' });
    expect(transition('queued', 'start')).toEqual({ ok: true, state: 'running' });
    expect(transition('running', 'requeue')).toEqual({ ok: true, state: 'queued' });
    expect(transition('running', 'succeed')).toEqual({ ok: true, state: 'done' });
    expect(transition('failed', 'retry')).toEqual({ ok: true, state: 'queued' });
  });

  it('refuses impossible moves with what is possible', () => {
    expect(transition('done', 'cancel')).toEqual({ ok: false, error: 'cannot cancel a migration that is done (it is final)' });
    const r = transition('queued', 'approve');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('possible: start, cancel');
    expect(isTerminal('rejected')).toBe(true);
    expect(isTerminal('running')).toBe(false);
  });

  it('derives job ids from the normalised address, never with a colon', () => {
    expect(migrationJobId('john@d.fr')).toBe('mig-john@d.fr');
    expect(migrationJobId('john@d.fr')).not.toContain(':');
  });
});
