import type { webApi } from '@slack/bolt';
import type { Logger } from '../log/logger.js';

type WebClient = webApi.WebClient;

export type ApprovalCheck = { ok: true } | { ok: false; reason: string };

/**
 * Who may decide: user ids (U…/W…) listed in APPROVERS, and members of the user groups (S…) listed there,
 * expanded with `usergroups.users.list` and cached briefly. A lookup that fails counts as "not a member"
 * (fail closed) and is not cached.
 */
export class ApproverPolicy {
  private readonly users: Set<string>;
  private readonly groups: string[];
  private readonly cache = new Map<string, { members: Set<string>; until: number }>();

  constructor(
    private readonly options: {
      approvers: readonly string[];
      allowSelfApproval: boolean;
      client: WebClient;
      logger: Logger;
      ttlMs?: number;
      now?: () => number;
    },
  ) {
    this.users = new Set(options.approvers.filter((id) => !id.startsWith('S')));
    this.groups = options.approvers.filter((id) => id.startsWith('S'));
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private async groupMembers(group: string): Promise<Set<string>> {
    const cached = this.cache.get(group);
    if (cached && cached.until > this.now()) return cached.members;
    try {
      const result = await this.options.client.usergroups.users.list({ usergroup: group });
      const members = new Set(result.users ?? []);
      this.cache.set(group, { members, until: this.now() + (this.options.ttlMs ?? 60_000) });
      return members;
    } catch (error) {
      this.options.logger.warn({ group, err: error }, 'could not expand an approver user group; its members cannot approve now');
      return new Set();
    }
  }

  async isApprover(userId: string): Promise<boolean> {
    if (this.users.has(userId)) return true;
    for (const group of this.groups) {
      if ((await this.groupMembers(group)).has(userId)) return true;
    }
    return false;
  }

  /** May `userId` approve (or reject) a request made by `requesterId`? */
  async mayDecide(userId: string, requesterId: string | undefined, approve: boolean): Promise<ApprovalCheck> {
    if (!(await this.isApprover(userId))) {
      return { ok: false, reason: 'Only approvers can decide on migration requests. Ask one of them (see APPROVERS).' };
    }
    if (approve && requesterId === userId && !this.options.allowSelfApproval) {
      return { ok: false, reason: 'You cannot approve your own request: another approver has to.' };
    }
    return { ok: true };
  }
}
