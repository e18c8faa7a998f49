import type { AppendSession } from './append-session.js';
import { LITERAL_POLICIES, type LiteralPolicy } from './append-command.js';

export type AppendMode = AppendSession['mode'];

const RANK: Record<AppendMode, number> = { plain: 0, pipelined: 1, multiappend: 2 };

/**
 * The best way to append that the server's post-login capabilities allow, or the forced one if the server
 * supports it:
 * - MULTIAPPEND: one APPEND per batch (with LITERAL+ no round trip at all; without, one `+` per message but
 *   still one server transaction per batch, which is what costs most);
 * - LITERAL+ (or LITERAL- for small messages) without MULTIAPPEND, as on Exchange: pipelined single APPENDs;
 * - neither: single APPENDs with synchronising literals, each written as soon as the previous one is sent.
 */
export function chooseAppendMode(capabilities: ReadonlySet<string>, forced?: AppendMode): { mode: AppendMode; literals: LiteralPolicy } {
  const literals = capabilities.has('LITERAL+')
    ? LITERAL_POLICIES.plus
    : capabilities.has('LITERAL-')
      ? LITERAL_POLICIES.minus
      : LITERAL_POLICIES.synchronising;
  const best: AppendMode = capabilities.has('MULTIAPPEND') ? 'multiappend' : literals === LITERAL_POLICIES.synchronising ? 'plain' : 'pipelined';
  if (forced && RANK[forced] > RANK[best]) {
    throw new Error(`append mode ${forced} needs capabilities the server does not offer (best available: ${best})`);
  }
  if (forced === 'pipelined' && literals === LITERAL_POLICIES.synchronising) {
    throw new Error('append mode pipelined needs LITERAL+ or LITERAL-, which the server does not offer');
  }
  const mode = forced ?? best;
  return { mode, literals: mode === 'plain' ? LITERAL_POLICIES.synchronising : literals };
}
