import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import type { MigrationService } from '../pipeline/migration-service.js';
import type { ApproverPolicy } from './approvers.js';
import type { ThreadRegistry } from './registry.js';
import type { HomeTab } from './home-tab.js';

/** What every listener gets: configuration, the pipeline, and the few shared pieces of bot state. */
export interface SlackDeps {
  config: Config;
  service: MigrationService;
  logger: Logger;
  approvers: ApproverPolicy;
  registry: ThreadRegistry;
  /** Time allowed for work done before answering Slack (3 s minus a margin). */
  ackBudgetMs: number;
  /** Every user's Home tab, kept current (absent: the Home tab is not published). */
  home?: HomeTab;
}

/** Resolves with the promise's value, or with `undefined` once `ms` passed (the promise keeps running). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ done: false }>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms);
  });
  try {
    return await Promise.race([promise.then((value) => ({ done: true as const, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
