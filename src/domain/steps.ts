/**
 * The migration procedure as data: the ordered steps of a run, the extra steps run on request (reset of the
 * temporary source account, undo of the rename), and the state machine of a migration as a whole.
 */

/** The steps of one run in the classic order (the OVH guide's): rename the source, create, then copy. */
export const RUN_STEPS = [
  'preflight',
  'approval',
  'attach-domain',
  'rename-source',
  'create-destination',
  'copy',
  'collaborative',
  'delta',
  'features',
  'verify',
  'dns',
  'handover',
] as const;

/**
 * The staged order: the destination is created under a staged address and filled from the live source, kept in
 * sync until the cut-over (`stage`), then the source is renamed, the staged account takes the real address
 * (`rename-destination`) and a final delta copies what arrived during the renames.
 */
export const STAGED_RUN_STEPS = [
  'preflight',
  'approval',
  'attach-domain',
  'create-destination',
  'copy',
  'collaborative',
  'stage',
  'rename-source',
  'rename-destination',
  'delta',
  'features',
  'verify',
  'dns',
  'handover',
] as const;

export type MigrationOrder = 'staged' | 'classic';

export function runSteps(order: MigrationOrder = 'classic'): readonly RunStepName[] {
  return order === 'staged' ? STAGED_RUN_STEPS : RUN_STEPS;
}

/** Steps run only on request, after a run. */
export const ON_REQUEST_STEPS = ['reset-source', 'undo'] as const;

export type RunStepName = (typeof RUN_STEPS)[number] | (typeof STAGED_RUN_STEPS)[number];
export type StepName = RunStepName | (typeof ON_REQUEST_STEPS)[number];
export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

/** How each step is named to people: Slack replies, reports, the CLI. */
export const STEP_LABEL: Record<StepName, string> = {
  preflight: 'Pre-checks',
  approval: 'Approval',
  'attach-domain': 'Attach the domain (non-authoritative)',
  'rename-source': 'Rename the source account',
  'create-destination': 'Create the destination account',
  copy: 'Copy the mailbox',
  collaborative: 'Copy calendars, contacts, tasks and rules',
  stage: 'Keep the staged copy in sync until the cut-over',
  'rename-destination': 'Give the staged account the real address',
  delta: 'Copy what arrived meanwhile',
  features: 'Recreate aliases, settings, delegations, groups, contacts and footer',
  verify: 'Verify folders',
  dns: 'DNS diagnostic',
  handover: 'Hand-over',
  'reset-source': 'Reset the temporary source account',
  undo: 'Undo the rename',
};

export interface StepState {
  status: StepStatus;
  detail?: string;
  /** ISO time of the last change. */
  at?: string;
  /** ISO time the step (last) started running. */
  startedAt?: string;
  /** ISO time it last reached done, skipped or failed. */
  endedAt?: string;
  /** Which run of the migration (1, then one more per retry) last changed it. */
  run?: number;
}

export type StepStates = Partial<Record<StepName, StepState>>;

/**
 * The next step to run: the first run step neither done nor skipped, passing over steps that reported a failure
 * without stopping the run (`softFailures`: verify found missing mail, a feature could not be recreated); undefined when the
 * run is complete. The worker runs what this says; status, the CLI and Slack show what it implies.
 */
export function nextStep(states: StepStates, softFailures: readonly StepName[] = [], order: MigrationOrder = 'classic'): RunStepName | undefined {
  return runSteps(order).find((step) => !isFinished(step, states) && !softFailures.includes(step));
}

export function isFinished(step: StepName, states: StepStates): boolean {
  const status = states[step]?.status;
  return status === 'done' || status === 'skipped';
}

/** The steps in run order with their status (pending when never started), for reports. */
export function stepList(states: StepStates, order: MigrationOrder = 'classic'): ({ name: StepName } & StepState)[] {
  const names: StepName[] = [...runSteps(order)];
  for (const extra of ON_REQUEST_STEPS) if (states[extra]) names.push(extra);
  return names.map((name) => ({ name, status: 'pending', ...states[name] }));
}

/** A step's state after `status` at `at`: start and end times kept across its changes. */
export function stepChange(previous: StepState | undefined, status: StepStatus, detail: string | undefined, at: string, run = 1): StepState {
  // a step already running in this run keeps its start (the staged copy's wake-ups, a resume after a crash)
  const stillRunning = previous?.status === 'running' && (previous.run ?? 1) === run;
  const startedAt = status === 'running' ? (stillRunning ? (previous.startedAt ?? at) : at) : previous?.startedAt;
  const ended = status === 'done' || status === 'skipped' || status === 'failed';
  return {
    status,
    ...(detail !== undefined ? { detail } : {}),
    at,
    ...(startedAt ? { startedAt } : {}),
    ...(ended ? { endedAt: at } : {}),
    run,
  };
}

/**
 * Undo (free the destination, rename the source back) is available as soon as the rename was attempted (its
 * intent is recorded before the OVH call, so a crash right after the call still counts), until it is undone, and
 * only for a run that did not complete (after a complete run the destination holds the address: reset instead).
 */
export function undoAvailable(facts: { renameAttempted: boolean; undone: boolean; runComplete: boolean }): boolean {
  return facts.renameAttempted && !facts.undone && !facts.runComplete;
}

/** Every state of a migration as a whole. */
export const MIGRATION_STATES = ['awaiting-approval', 'rejected', 'queued', 'running', 'done', 'failed', 'cancelled'] as const;

/** The state of a migration as a whole. */
export type MigrationState = (typeof MIGRATION_STATES)[number];

/** Where the queue has a job; `unknown` for anything else. */
export type QueueState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'unknown';

/**
 * The state of a migration, from where the queue has its job and what the job recorded. The one place that says
 * it: status, the CLI and Slack all read it from here.
 */
export function migrationState(facts: {
  queue: QueueState;
  /** The stored approval decision, if any. */
  decision?: 'approved' | 'rejected';
  /** What the job returned, once completed. */
  returned?: 'done' | 'rejected';
  /** How a run that did not complete ended, as the worker recorded it. */
  outcome?: 'cancelled' | 'failed';
  steps: StepStates;
}): MigrationState {
  const started = Object.keys(facts.steps).some((step) => step !== 'preflight' && step !== 'approval');
  switch (facts.queue) {
    case 'completed':
      return facts.returned ?? 'done';
    case 'failed':
      return facts.outcome === 'cancelled' ? 'cancelled' : 'failed';
    case 'active':
      // picked up, but not past its approval yet (e.g. waiting for a place in its batch): still queued
      return started ? 'running' : 'queued';
    case 'waiting':
    case 'delayed':
      // a job past its approval waits for a retry of a transient failure: still running
      if (started) return 'running';
      if (!facts.decision) return 'awaiting-approval';
      return facts.decision === 'rejected' ? 'rejected' : 'queued';
    default:
      return 'queued';
  }
}

export function isTerminal(state: MigrationState): boolean {
  return state === 'done' || state === 'rejected' || state === 'failed' || state === 'cancelled';
}
