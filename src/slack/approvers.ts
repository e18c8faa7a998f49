import type { webApi } from '@slack/bolt';
import type { Logger } from '../log/logger.js';

type WebClient = webApi.WebClient;

export type ApprovalCheck = { ok: true } | { ok: false; reason: string };

/** A Slack user-group id (subteam): `S…`. Everything else in the lists is a user id (`U…`, `W…`). */
function isGroup(id: string): boolean {
  return id.startsWith('S');
}

/** A Slack id as a mention, or as plain text when it is not shaped like an id (nothing in it can be markup). */
export function mentionId(id: string): string {
  if (!/^[A-Z0-9][A-Z0-9_-]*$/i.test(id)) return id.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return isGroup(id) ? `<!subteam^${id}>` : `<@${id}>`;
}

export interface AccessPolicyOptions {
  /** APPROVERS: user ids and user-group ids. */
  approvers: readonly string[];
  /** REQUESTERS: user ids and user-group ids; undefined (unset) means the approvers. */
  requesters?: readonly string[] | undefined;
  allowSelfApproval: boolean;
  client: WebClient;
  logger: Logger;
  /** How long a group's members are kept; 60 s by default. */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Who may do what from Slack, in one place:
 * - approvers (APPROVERS) approve, reject, retry, undo, reset and cancel;
 * - requesters (REQUESTERS, by default the approvers; approvers may always request) open the request form, get
 *   the type-ahead and submit requests and batches;
 * - nobody approves their own request unless ALLOW_SELF_APPROVAL.
 * User groups (S…) are expanded with `usergroups.users.list` and cached for a while; concurrent lookups of one
 * group share one call. A lookup that fails counts as "not a member" (fail closed) and is not cached.
 */
export class AccessPolicy {
  private readonly approverUsers: Set<string>;
  private readonly approverGroups: string[];
  private readonly requesterUsers: Set<string>;
  private readonly requesterGroups: string[];
  private readonly cache = new Map<string, { members: Set<string>; until: number }>();
  private readonly lookups = new Map<string, Promise<Set<string>>>();

  constructor(private readonly options: AccessPolicyOptions) {
    this.approverUsers = new Set(options.approvers.filter((id) => !isGroup(id)));
    this.approverGroups = options.approvers.filter(isGroup);
    const requesters = options.requesters ?? [];
    this.requesterUsers = new Set(requesters.filter((id) => !isGroup(id)));
    this.requesterGroups = requesters.filter(isGroup);
  }

  get allowSelfApproval(): boolean {
    return this.options.allowSelfApproval;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private async groupMembers(group: string): Promise<Set<string>> {
    const cached = this.cache.get(group);
    if (cached && cached.until > this.now()) return cached.members;
    const running = this.lookups.get(group);
    if (running) return running;
    const lookup = (async () => {
      try {
        const result = await this.options.client.usergroups.users.list({ usergroup: group });
        const members = new Set((result.users ?? []).filter((u): u is string => typeof u === 'string'));
        this.cache.set(group, { members, until: this.now() + (this.options.ttlMs ?? 60_000) });
        return members;
      } catch (error) {
        this.options.logger.warn(
          { group, err: error instanceof Error ? error.message : String(error) },
          'could not expand a Slack user group; its members are refused until it can be read',
        );
        return new Set<string>();
      } finally {
        this.lookups.delete(group);
      }
    })();
    this.lookups.set(group, lookup);
    return lookup;
  }

  private async member(userId: string | undefined, users: Set<string>, groups: readonly string[]): Promise<boolean> {
    if (!userId) return false;
    if (users.has(userId)) return true;
    for (const group of groups) {
      if ((await this.groupMembers(group)).has(userId)) return true;
    }
    return false;
  }

  async isApprover(userId: string | undefined): Promise<boolean> {
    return this.member(userId, this.approverUsers, this.approverGroups);
  }

  /** May `userId` request migrations (form, type-ahead, submissions)? Approvers always may. */
  async isRequester(userId: string | undefined): Promise<boolean> {
    if (this.options.requesters !== undefined && (await this.member(userId, this.requesterUsers, this.requesterGroups))) return true;
    return this.isApprover(userId);
  }

  /** The approvers, as Slack mentions (groups as group mentions), for "ask one of …". */
  approversText(): string {
    if (this.options.approvers.length === 0) return 'an administrator (no approver is configured: APPROVERS is empty)';
    return this.options.approvers.map(mentionId).join(', ');
  }

  /** The refusal a non-requester gets. */
  notRequesterText(): string {
    return `You are not allowed to request migrations; ask one of ${this.approversText()}.`;
  }

  /** The refusal a non-approver gets for `what` (e.g. "approve or reject requests", "undo a migration"). */
  notApproverText(what: string): string {
    return `Only approvers can ${what}. Ask one of ${this.approversText()}.`;
  }

  /** May `userId` approve (or reject) a request made by `requesterId`? */
  async mayDecide(userId: string, requesterId: string | undefined, approve: boolean): Promise<ApprovalCheck> {
    if (!(await this.isApprover(userId))) {
      return { ok: false, reason: this.notApproverText('approve or reject migration requests') };
    }
    if (approve && requesterId === userId && !this.options.allowSelfApproval) {
      return { ok: false, reason: 'You cannot approve your own request: another approver has to.' };
    }
    return { ok: true };
  }
}

/** The former name, kept for the listeners' dependencies (`SlackDeps.approvers`). */
export const ApproverPolicy = AccessPolicy;
export type ApproverPolicy = AccessPolicy;
