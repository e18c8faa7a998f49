import type { Actor, DecisionResult } from './migration-service.js';
import type { SecretBox } from './secret-box.js';

/**
 * A recorded approval decision (kept in its own Redis key; first one wins), signed with a key derived from
 * SECRETS_KEY over the job, the request's nonce, the decision and who took it: a decision written into Redis by
 * anything else does not start a migration.
 */
export interface StoredDecision {
  approve: boolean;
  by: Actor;
  reason?: string;
  at: string;
  jobId: string;
  nonce: string;
  signature: string;
}

const PURPOSE = 'approval decision';

function signedText(d: Omit<StoredDecision, 'signature'>): string {
  return JSON.stringify([d.jobId, d.nonce, d.approve, d.by.kind, d.by.id, d.at, d.reason ?? '']);
}

/** A decision as stored: signed over the job, the request's nonce, the decision and who took it. */
export function signDecision(secrets: SecretBox, decision: Omit<StoredDecision, 'signature'>): StoredDecision {
  return { ...decision, signature: secrets.mac(PURPOSE, signedText(decision)) };
}

export type CheckedDecision = { ok: true; decision: StoredDecision } | { ok: false; reason: string };

/**
 * The stored decision of `jobId`, if it is one this deployment signed for this very request (its nonce); anything
 * else (no signature, another job's, an earlier request's, altered) is refused with the reason.
 */
export function checkDecision(secrets: SecretBox, raw: string, expected: { jobId: string; nonce: string }): CheckedDecision {
  let parsed: Partial<StoredDecision>;
  try {
    parsed = JSON.parse(raw) as Partial<StoredDecision>;
  } catch {
    return { ok: false, reason: 'the stored decision is not readable' };
  }
  const by = parsed.by as Actor | undefined;
  if (typeof parsed.approve !== 'boolean' || !by || typeof by.id !== 'string' || typeof parsed.at !== 'string') return { ok: false, reason: 'the stored decision is incomplete' };
  if (typeof parsed.signature !== 'string') return { ok: false, reason: 'the stored decision is not signed' };
  const decision = parsed as StoredDecision;
  if (!secrets.verifyMac(PURPOSE, signedText(decision), decision.signature)) {
    return { ok: false, reason: 'the stored decision\'s signature does not match (altered, or signed with another SECRETS_KEY)' };
  }
  if (decision.jobId !== expected.jobId) return { ok: false, reason: `the stored decision belongs to ${decision.jobId}` };
  if (decision.nonce !== expected.nonce) return { ok: false, reason: 'the stored decision belongs to an earlier request for this address' };
  return { ok: true, decision };
}

export function decisionResult(decision: StoredDecision, changed: boolean): DecisionResult {
  return { changed, state: decision.approve ? 'approved' : 'rejected', by: decision.by, at: decision.at };
}
