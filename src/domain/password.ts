/** A service's password policy (same shape as the OVH layer's; kept here so the rule stays pure). */
export interface PasswordRules {
  minLength: number;
  maxLength: number;
  complexity: boolean;
  asciiOnly: boolean;
}

const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGIT = '23456789';
/** Specials every OVH platform accepts and that survive shells, CSV and URLs without quoting surprises. */
const SPECIAL = '-_.!+=';

/** Problems with a password under these rules; empty when it is acceptable. */
export function passwordProblems(password: string, rules: PasswordRules): string[] {
  const problems: string[] = [];
  if (password.length < rules.minLength) problems.push(`at least ${rules.minLength} characters`);
  if (password.length > rules.maxLength) problems.push(`at most ${rules.maxLength} characters`);
  if (password !== password.trim()) problems.push('no space at the beginning or the end');
  if (rules.asciiOnly && /[^\x20-\x7e]/.test(password)) problems.push('no accented or non-ASCII character');
  if (rules.complexity) {
    const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((re) => re.test(password)).length;
    if (classes < 3) problems.push('three of: lower case, upper case, digit, special character');
  }
  return problems;
}

/** Length of generated passwords when the policy allows it: long enough for any policy, within legacy MX Plan's 30. */
export const DEFAULT_PASSWORD_LENGTH = 20;

/**
 * A random password that satisfies the rules: `randomInt(n)` returns an integer in [0, n) from a
 * cryptographic source (injected so the rule stays pure and testable). It always holds a lower, an upper, a digit
 * and a special character, ASCII only, starts with a letter and ends with a letter or digit. Length: `length` within the policy's bounds.
 */
export function generatePassword(rules: PasswordRules, randomInt: (n: number) => number, length = DEFAULT_PASSWORD_LENGTH): string {
  const size = Math.min(Math.max(length, rules.minLength, 8), rules.maxLength);
  if (size < rules.minLength || size < 4) throw new Error(`cannot generate a password for the policy ${JSON.stringify(rules)}`);
  const pick = (alphabet: string): string => alphabet[randomInt(alphabet.length)]!;
  const chars = [pick(LOWER), pick(UPPER), pick(DIGIT), pick(SPECIAL)];
  const all = LOWER + UPPER + DIGIT + SPECIAL;
  while (chars.length < size) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  // Start with a letter and end with a letter or digit: some clients and forms trip over punctuation at the edges.
  const fixEdge = (end: number, ok: RegExp) => {
    if (ok.test(chars[end]!)) return;
    const swap = chars.findIndex((c, i) => i > 0 && i < chars.length - 1 && ok.test(c));
    [chars[end], chars[swap]] = [chars[swap]!, chars[end]!];
  };
  fixEdge(0, /[a-zA-Z]/);
  fixEdge(chars.length - 1, /[a-zA-Z0-9]/);
  const password = chars.join('');
  const problems = passwordProblems(password, rules);
  if (problems.length > 0) throw new Error(`generated password breaks the policy: ${problems.join('; ')}`);
  return password;
}
