const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'];

/**
 * The flags a destination folder will keep, from its PERMANENTFLAGS: system flags it lists, keywords when it
 * lists them or `\*`. Without PERMANENTFLAGS every flag is permanent (RFC 3501). `\Recent` is never settable.
 */
export class FlagPolicy {
  private readonly permanent: Set<string> | undefined;

  constructor(permanentFlags: Iterable<string> | undefined) {
    this.permanent = permanentFlags ? new Set([...permanentFlags].map((flag) => flag.toLowerCase())) : undefined;
  }

  accepts(flag: string): boolean {
    const lower = flag.toLowerCase();
    if (lower === '\\recent' || lower === '\\*') return false;
    if (!this.permanent) return true;
    if (this.permanent.has(lower)) return true;
    return !flag.startsWith('\\') && this.permanent.has('\\*');
  }

  /** The flags of a source message the destination will not keep (\Recent aside, which nobody can set). */
  rejected(flags: Iterable<string>): string[] {
    const out: string[] = [];
    for (const flag of flags) if (flag.toLowerCase() !== '\\recent' && !this.accepts(flag)) out.push(flag);
    return out;
  }

  /** The flags to set at the destination for a source message's flags, in a stable order. */
  filter(flags: Iterable<string>): string[] {
    return normaliseFlags([...flags].filter((flag) => this.accepts(flag)));
  }
}

/** System flags spelt canonically, duplicates removed, sorted: comparable as a key. */
export function normaliseFlags(flags: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const flag of flags) {
    const system = SYSTEM_FLAGS.find((candidate) => candidate.toLowerCase() === flag.toLowerCase());
    if (flag.toLowerCase() === '\\recent') continue;
    out.add(system ?? flag);
  }
  return [...out].sort();
}

export function sameFlags(a: Iterable<string>, b: Iterable<string>): boolean {
  return normaliseFlags(a).join(' ') === normaliseFlags(b).join(' ');
}
