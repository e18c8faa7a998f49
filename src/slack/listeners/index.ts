import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import * as command from './command.js';
import * as options from './options.js';
import * as requestSubmission from './request-submission.js';
import * as batchSubmission from './batch-submission.js';
import * as decision from './decision.js';
import * as followUps from './follow-ups.js';
import * as modalSelection from './modal-selection.js';
import * as password from './password.js';
import * as home from './home.js';

/** Every listener, one module each, registered in one place. */
export function registerListeners(app: App, deps: SlackDeps): void {
  for (const listener of [command, options, modalSelection, requestSubmission, batchSubmission, decision, followUps, password, home]) listener.register(app, deps);
}
