/**
 * Every identifier Slack sees: the command, view callback ids, action ids and block ids. `manifest.yml` and the
 * manifest test read these, so a rename here cannot silently drift from what Slack is told.
 */
export const COMMAND = '/migrate-mailbox';

export const CALLBACK = {
  request: 'migrate_mailbox',
  batch: 'migrate_mailbox_batch',
  /** The modal that shows the destination password to its recipient; submitting it acknowledges the password. */
  passwordAck: 'migration_password_ack',
} as const;

export const ACTION = {
  approve: 'migration_approve',
  reject: 'migration_reject',
  /** On a batch summary: decide every mailbox of the batch at once (value = batch id). */
  batchApprove: 'migration_batch_approve',
  batchReject: 'migration_batch_reject',
  resetSource: 'migration_reset_source',
  /** Offered after a refused reset (folders out of sync): reset anyway, after a second confirmation naming what is lost. */
  resetSourceForce: 'migration_reset_source_force',
  retry: 'migration_retry',
  undo: 'migration_undo',
  /** On a staged migration's staging message: cut over now (last delta, renames, final delta). */
  cutover: 'migration_cutover',
  /** On the password hand-over message: opens the password for its recipient. */
  showPassword: 'migration_show_password',
  /** external_select in the request modal: options loaded from the pipeline. */
  source: 'source_select',
  destination: 'destination_select',
  temporaryName: 'temporary_name_input',
  options: 'options_checkboxes',
  password: 'password_input',
  /** The source mailbox's current password: with it the staged order copies ahead from the live mailbox. */
  sourcePassword: 'source_password_input',
  csvFile: 'csv_file_input',
} as const;

/** Block ids of the request modal: `response_action: 'errors'` is keyed by these. */
export const BLOCK = {
  source: 'source',
  destination: 'destination',
  temporaryName: 'temporary_name',
  options: 'options',
  password: 'password',
  sourcePassword: 'source_password',
  csvFile: 'csv_file',
  planPreview: 'plan_preview',
} as const;

export const OPTION = {
  dryRun: 'dry_run',
  resetSource: 'reset_source',
  /** Staged order: cut over as soon as the staged copy is ready, without waiting for "Cut over now". */
  cutoverWhenReady: 'cutover_when_ready',
} as const;

/** Buttons whose click changes a migration; used by the retry/duplicate guard and the manifest test. */
export const DECISION_ACTIONS = [ACTION.approve, ACTION.reject, ACTION.batchApprove, ACTION.batchReject] as const;
export const FOLLOW_UP_ACTIONS = [ACTION.resetSource, ACTION.resetSourceForce, ACTION.retry, ACTION.undo, ACTION.cutover] as const;

/**
 * A migration button's value: the request's nonce and the job id (`NONCE:JOB`), so that a button of an earlier
 * request for the same address (same job id) decides or changes nothing. Batch buttons carry the batch's nonce and id.
 */
export function buttonValue(id: string, nonce: string): string {
  return `${nonce}:${id}`;
}

export function parseButtonValue(value: string | undefined): { id: string; nonce: string } | undefined {
  const match = /^([A-Za-z0-9_-]{8,64}):(.{1,1900})$/s.exec(value ?? '');
  return match ? { nonce: match[1]!, id: match[2]! } : undefined;
}
