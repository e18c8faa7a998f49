import { accessRuleFor, type AccessRule } from './routes.js';

/**
 * Typed OVH API errors. Every error carries what OVH said (HTTP status, `errorCode`, `message`, the
 * `X-OVH-QUERYID` to quote to OVH support) and a `nextStep` sentence telling a human what to do about it.
 */

export interface OvhErrorDetails {
  /** HTTP status; 0 when no response arrived (timeout, network). */
  status: number;
  /** OVH's `errorCode` (e.g. `NOT_GRANTED_CALL`, `INVALID_SIGNATURE`), when the body has one. */
  errorCode?: string;
  /** OVH's `class` (e.g. `Client::NotFound`), when the body has one. */
  errorClass?: string;
  message: string;
  /** `X-OVH-QUERYID` response header: quote it to OVH support. */
  queryId?: string;
  method: string;
  /** The path as sent (parameters encoded), without the `/1.0` base path. */
  path: string;
  /** How long OVH asked us to wait (`Retry-After`), in ms, when it said. */
  retryAfterMs?: number;
}

export abstract class OvhError extends Error {
  readonly status: number;
  readonly errorCode?: string;
  readonly errorClass?: string;
  readonly queryId?: string;
  readonly method: string;
  readonly path: string;
  /** One sentence: what a human should do next. */
  abstract readonly nextStep: string;
  /**
   * Whether repeating the same call later may succeed: true for 429, 5xx and no answer at all (timeout, network),
   * false for the 4xx refusals, which would be refused again.
   */
  readonly retryable: boolean = false;
  /** How long OVH asked us to wait before trying again (`Retry-After`), in ms; undefined when it did not say. */
  readonly retryAfterMs?: number;

  constructor(details: OvhErrorDetails) {
    super(details.message);
    this.name = new.target.name;
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.errorClass = details.errorClass;
    this.queryId = details.queryId;
    this.method = details.method;
    this.path = details.path;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** `OVH GET /email/pro/x: 404 (Client::NotFound) message [query id ...]. Next step.` */
  describe(): string {
    const code = this.errorCode ?? this.errorClass;
    const query = this.queryId ? ` [X-OVH-QUERYID ${this.queryId}]` : '';
    return `OVH ${this.method} ${this.path}: ${this.status || 'no response'}${code ? ` ${code}` : ''}: ${this.message}${query}. ${this.nextStep}`;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      status: this.status,
      errorCode: this.errorCode,
      errorClass: this.errorClass,
      message: this.message,
      queryId: this.queryId,
      method: this.method,
      path: this.path,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      nextStep: this.nextStep,
    };
  }
}

const LOGIN_HINT = 'run `migrate-mailbox ovh-login` to get a consumer key with every access rule this tool needs, validate it, and set OVH_CONSUMER_KEY';

/** 401/403: a key is wrong, expired or lacks an access rule. */
export class OvhForbidden extends OvhError {
  /**
   * For NOT_GRANTED_CALL: the access rule the consumer key lacks (`GET /email/pro/*` style), when the call is one
   * of the route table's. A key asked for before this tool used that route lacks it: `ovh-login` asks for it now.
   */
  get missingRule(): AccessRule | undefined {
    return this.errorCode === 'NOT_GRANTED_CALL' ? accessRuleFor(this.method, this.path) : undefined;
  }

  override toJSON(): Record<string, unknown> {
    const missingRule = this.missingRule;
    return { ...super.toJSON(), ...(missingRule ? { missingRule } : {}) };
  }

  get nextStep(): string {
    switch (this.errorCode) {
      case 'NOT_GRANTED_CALL': {
        const rule = this.missingRule;
        if (rule) {
          return `the consumer key (OVH_CONSUMER_KEY) lacks the access rule ${rule.method} ${rule.path}, which this version of the tool needs: run migrate-mailbox ovh-login again (it asks for every rule, see \`migrate-mailbox ovh-login --rules\`), validate the new key and set OVH_CONSUMER_KEY to it`;
        }
        return `check OVH_CONSUMER_KEY has access to ${this.method} ${templateOf(this.path)}; ${LOGIN_HINT}`;
      }
      case 'INVALID_KEY':
        return 'check OVH_APP_KEY: OVH does not know this application key (create one at https://eu.api.ovh.com/createApp/ for ovh-eu)';
      case 'INVALID_CREDENTIAL':
      case 'NOT_CREDENTIAL':
        return `OVH_CONSUMER_KEY is unknown, expired or not validated yet; ${LOGIN_HINT}`;
      case 'INVALID_SIGNATURE':
        return 'check OVH_APP_SECRET matches OVH_APP_KEY and that this machine\'s clock is right';
      default:
        return `check OVH_CONSUMER_KEY has access to ${this.method} ${templateOf(this.path)} and the OVH account owns this service; ${LOGIN_HINT}`;
    }
  }
}

/** 404: the service, account, domain or task does not exist (or is not visible with these keys). */
export class OvhNotFound extends OvhError {
  get nextStep(): string {
    return `check the name in ${this.path} (service, account or domain) exists in this OVH account and that OVH_ENDPOINT is the right region`;
  }
}

/** 400: a parameter OVH refused. */
export class OvhBadRequest extends OvhError {
  get nextStep(): string {
    if (this.errorCode === 'INVALID_SIGNATURE') return 'check OVH_APP_SECRET matches OVH_APP_KEY and that this machine\'s clock is right';
    return 'read OVH\'s message above: a value (address, password policy, quota, domain) was refused; fix it and retry';
  }
}

/** 409: the object already exists or is busy with another task. */
export class OvhConflict extends OvhError {
  get nextStep(): string {
    return 'the object already exists or another operation is running on it: wait for its pending task to finish, check its current state, then retry';
  }
}

/**
 * 429: too many requests. OVH refused before doing anything, so any call (a POST too) may be repeated. The client
 * waits out a `Retry-After` up to its `maxRetryAfterMs`; beyond that it throws this error with `retryAfterMs`, so
 * the job queue can schedule its own retry at that time.
 */
export class OvhRateLimited extends OvhError {
  override readonly retryable = true;
  get nextStep(): string {
    const wait = this.retryAfterMs !== undefined ? ` (it asked to wait ${Math.ceil(this.retryAfterMs / 1000)} s)` : '';
    return `OVH is rate-limiting this application${wait}: retry after that, or run fewer migrations at once`;
  }
}

/** 5xx: OVH's side failed. */
export class OvhServerError extends OvhError {
  override readonly retryable = true;
  get nextStep(): string {
    return `OVH's API failed on its side: retry later; if it persists, check https://www.status-ovhcloud.com/ and give OVH support the query id${this.queryId ? ` ${this.queryId}` : ''}`;
  }
}

/** No answer in time (request timeout or network error). */
export class OvhTimeout extends OvhError {
  override readonly retryable = true;
  get nextStep(): string {
    return 'OVH did not answer in time: check the network path to the OVH API (OVH_ENDPOINT / OVH_HOST), then retry';
  }
}

/** Any other status (e.g. 460 expired service). */
export class OvhUnexpected extends OvhError {
  get nextStep(): string {
    if (this.status === 460) return 'the service has expired: renew it in the OVH control panel';
    return 'unexpected answer from OVH: read the message above and retry; if it persists, give OVH support the query id';
  }
}

/** A task OVH ran for us ended in `error` or `cancelled`. */
export class OvhTaskFailed extends Error {
  /** Retrying runs into the same cause: a person has to look at the task first. */
  readonly retryable = false;
  readonly nextStep: string;
  constructor(
    readonly taskId: number | string,
    readonly taskFunction: string,
    readonly status: string,
    readonly service: string,
    /** What the task was for, e.g. "recreate full access on jane@mydomain.ovh for john@mydomain.ovh". */
    readonly what?: string,
  ) {
    super(`OVH task ${taskId} (${taskFunction}) on ${service}${what ? ` to ${what}` : ''} ended with status ${status}`);
    this.name = 'OvhTaskFailed';
    this.nextStep = `look at task ${taskId} in the OVH control panel for ${service}; fix the cause (state of the account or domain) and retry the step`;
  }
}

/** Waiting for a task or a state change took longer than allowed. */
export class OvhWaitTimeout extends Error {
  /** OVH was only slow: the step is safe to run again. */
  readonly retryable = true;
  readonly nextStep: string;
  constructor(
    readonly what: string,
    readonly waitedMs: number,
    readonly lastSeen?: string,
  ) {
    super(`timed out after ${Math.round(waitedMs / 1000)} s waiting for ${what}${lastSeen ? ` (last seen: ${lastSeen})` : ''}`);
    this.name = 'OvhWaitTimeout';
    this.nextStep = 'OVH is slower than usual: check the object in the OVH control panel; the step is safe to retry once it has finished';
  }
}

/** The operation does not exist on this platform (e.g. renaming a legacy MX Plan account). */
export class OvhUnsupported extends Error {
  readonly retryable = false;
  constructor(
    message: string,
    readonly nextStep: string,
  ) {
    super(message);
    this.name = 'OvhUnsupported';
  }
}

/** `/email/pro/svc%40x/account/a%40b` -> `/email/pro/.../account/...` style hint is too vague; keep the path, decoded. */
function templateOf(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export interface RawOvhError {
  status: number;
  body: unknown;
  queryId?: string;
  /** `Retry-After`, in ms. */
  retryAfterMs?: number;
  method: string;
  path: string;
}

/** Maps an HTTP error answer to the typed error. */
export function mapOvhError(raw: RawOvhError): OvhError {
  const body = (typeof raw.body === 'object' && raw.body !== null ? raw.body : {}) as Record<string, unknown>;
  const message =
    typeof body.message === 'string' ? body.message : typeof raw.body === 'string' && raw.body ? raw.body : `HTTP ${raw.status}`;
  const details: OvhErrorDetails = {
    status: raw.status,
    errorCode: typeof body.errorCode === 'string' ? body.errorCode : undefined,
    errorClass: typeof body.class === 'string' ? body.class : undefined,
    message,
    queryId: raw.queryId,
    method: raw.method,
    path: raw.path,
    retryAfterMs: raw.retryAfterMs,
  };
  if (raw.status === 401 || raw.status === 403) return new OvhForbidden(details);
  if (raw.status === 404) return new OvhNotFound(details);
  if (raw.status === 400) {
    // OVH answers a bad signature or unknown credential with 400 or 403 depending on the check.
    if (details.errorCode && ['INVALID_CREDENTIAL', 'NOT_CREDENTIAL', 'INVALID_KEY', 'NOT_GRANTED_CALL'].includes(details.errorCode)) {
      return new OvhForbidden(details);
    }
    return new OvhBadRequest(details);
  }
  if (raw.status === 409) return new OvhConflict(details);
  if (raw.status === 429) return new OvhRateLimited(details);
  if (raw.status >= 500) return new OvhServerError(details);
  return new OvhUnexpected(details);
}

export type PreconditionReason =
  | 'accountExists'
  | 'accountMissing'
  | 'noFreeSlot'
  | 'quotaTooSmall'
  | 'passwordPolicy'
  | 'domainNotAttached'
  | 'fixedDomain'
  | 'invalidName';

/** Refused before anything was changed on OVH: the request cannot work as asked. */
export class OvhPreconditionFailed extends Error {
  readonly retryable = false;
  constructor(
    readonly reason: PreconditionReason,
    message: string,
    readonly nextStep: string,
  ) {
    super(message);
    this.name = 'OvhPreconditionFailed';
  }
}
