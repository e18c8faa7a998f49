import type { StepName } from '../domain/steps.js';

/**
 * What the worker tells whoever watches it (the ops layer's metrics), without knowing who that is.
 */

export interface StepEndedEvent {
  step: StepName;
  status: 'done' | 'failed' | 'skipped';
  /** From the step's recorded startedAt to its endedAt. */
  seconds: number;
}

export interface PipelineObserver {
  /** A step that had started ended (its record now has both startedAt and endedAt). */
  stepEnded(event: StepEndedEvent): void;
  /** A step failed with a transient error and its job goes back to the queue to be retried later. */
  stepRetry(event: { step: StepName }): void;
}

export const NO_PIPELINE_OBSERVER: PipelineObserver = Object.freeze({ stepEnded() {}, stepRetry() {} });

/** Calls `notify` on the observer, never letting a failing watcher break a migration. */
export function tellPipeline(observer: PipelineObserver | undefined, notify: (observer: PipelineObserver) => void): void {
  if (!observer) return;
  try {
    notify(observer);
  } catch {
    // metrics are not worth a failed migration
  }
}
