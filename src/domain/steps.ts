/**
 * The migration procedure as data: the ordered steps of a run, the extra steps run on request (reset of the
 * temporary source account, undo of the rename), and the state machine of a migration as a whole.
 */

/** The steps of one run, in order. */
export const RUN_STEPS = [
  'preflight',
  'approval',
  'attach-domain',
  'rename-source',
  'create-destination',
  'copy',
  'delta',
  'aliases',
  'verify',
  'dns',
  'handover',
] as const;

/** Steps run only on request, after a run. */
export const ON_REQUEST_STEPS = ['reset-source', 'undo'] as const;

export type RunStepName = (typeof RUN_STEPS)[number];
export type StepName = RunStepName | (typeof ON_REQUEST_STEPS)[number];
export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export const STEP_LABEL: Record<StepName, string> = {
  preflight: 'Pre-checks',
  approval: 'Approval',
  'attach-domain': 'Attach the domain to the destination',
  'rename-source': 'Rename the source to its temporary name',
  'create-destination': 'Create the destination account',
  copy: 'Copy the mailbox',
  delta: 'Copy mail that arrived meanwhile',
  aliases: 'Recreate aliases',
  verify: 'Verify the copy',
  dns: 'DNS diagnostic',
  handover: 'Hand over',
  'reset-source': 'Reset the temporary source account',
  undo: 'Undo: rename the source back',
};

export interface StepState {
  status: StepStatus;
  detail?: string;
  /** ISO time of the last change. */
  at?: string;
}

export type StepStates = Partial<Record<StepName, StepState>>;

/** Steps that change something at OVH; after the first of them, a failure leaves work to undo. */
export const CHANGING_STEPS: readonly RunStepName[] = ['attach-domain', 'rename-source', 'create-destination', 'aliases'];

/** The next step to run: the first run step neither done nor skipped; undefined when the run is complete. */
export function nextStep(states: StepStates): RunStepName | undefined {
  return RUN_STEPS.find((step) => {
    const status = states[step]?.status;
    return status !== 'done' && status !== 'skipped';
  });
}

export function isFinished(step: StepName, states: StepStates): boolean {
  const status = states[step]?.status;
  return status === 'done' || status === 'skipped';
}

/** The steps in run order with their status (pending when never started), for reports. */
export function stepList(states: StepStates): { name: StepName; status: StepStatus; detail?: string; at?: string }[] {
  const names: StepName[] = [...RUN_STEPS];
  for (const extra of ON_REQUEST_STEPS) if (states[extra]) names.push(extra);
  return names.map((name) => ({ name, status: 'pending', ...states[name] }));
}

/**
 * Undo (rename the source back) is available once the rename is done and not yet undone, and the run did not
 * complete (after a complete run the destination holds the address: reset the source instead).
 */
export function undoAvailable(states: StepStates, runComplete: boolean): boolean {
  if (runComplete) return false;
  if (states['rename-source']?.status !== 'done') return false;
  return states.undo?.status !== 'done';
}

/** The state of a migration as a whole. */
export type MigrationState = 'awaiting-approval' | 'rejected' | 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export type MigrationEventName = 'approve' | 'reject' | 'start' | 'succeed' | 'fail' | 'requeue' | 'cancel' | 'retry';

const TRANSITIONS: Record<MigrationState, Partial<Record<MigrationEventName, MigrationState>>> = {
  'awaiting-approval': { approve: 'queued', reject: 'rejected', cancel: 'cancelled' },
  queued: { start: 'running', cancel: 'cancelled' },
  running: { succeed: 'done', fail: 'failed', cancel: 'cancelled', requeue: 'queued' },
  failed: { retry: 'queued' },
  cancelled: { retry: 'queued' },
  rejected: {},
  done: {},
};

/** The state after `event`, or an error naming what is allowed from `from`. */
export function transition(from: MigrationState, event: MigrationEventName): { ok: true; state: MigrationState } | { ok: false; error: string } {
  const to = TRANSITIONS[from][event];
  if (to) return { ok: true, state: to };
  const allowed = Object.keys(TRANSITIONS[from]);
  return {
    ok: false,
    error: `cannot ${event} a migration that is ${from}` + (allowed.length ? ` (possible: ${allowed.join(', ')})` : ' (it is final)'),
  };
}

export function isTerminal(state: MigrationState): boolean {
  return state === 'done' || state === 'rejected' || state === 'failed' || state === 'cancelled';
}
