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

/**
 * A random password that satisfies the rules: `randomInt(n)` returns an integer in [0, n) from a
 * cryptographic source (injected so the rule stays pure and testable). Length: max(minLength, 20), capped.
 */
export function generatePassword(rules: PasswordRules, randomInt: (n: number) => number): string {
  const length = Math.min(Math.max(rules.minLength, 20), rules.maxLength);
  const pick = (alphabet: string): string => alphabet[randomInt(alphabet.length)]!;
  const chars = [pick(LOWER), pick(UPPER), pick(DIGIT), pick(SPECIAL)];
  const all = LOWER + UPPER + DIGIT + SPECIAL;
  while (chars.length < length) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  // Start with a letter: some clients and forms trip over a leading special character.
  const letter = chars.findIndex((c) => /[a-zA-Z]/.test(c));
  [chars[0], chars[letter]] = [chars[letter]!, chars[0]!];
  return chars.join('');
}
