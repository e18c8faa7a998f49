import type { Actor } from '../../pipeline/migration-service.js';
import { mentionId } from '../approvers.js';

/**
 * Text from servers and users (folder names, subjects, error messages, addresses, step details) goes into mrkdwn
 * only through these helpers. Escaping `&`, `<` and `>` is what Slack asks for: it defuses `<!channel>`,
 * `<!here>`, `<@U…>` mentions and `<http://…|…>` links. Code spans and blocks cannot be closed from inside
 * either: their backticks are replaced by a look-alike.
 */

const ELLIPSIS = '…';

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escaped, then shortened to `max` characters without cutting an entity (`&amp;`) or a surrogate pair in two. */
export function escapeFit(text: string, max: number): string {
  const escaped = escapeMrkdwn(text);
  if (escaped.length <= max) return escaped;
  let cut = escaped.slice(0, Math.max(0, max - ELLIPSIS.length));
  cut = cut.replace(/&[a-z]*$/, '');
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut + ELLIPSIS;
}

/** U+02CB MODIFIER LETTER GRAVE ACCENT: looks like a backtick, ends no code span. */
const BACKTICK_LOOKALIKE = '\u02cb';

function defuseBackticks(text: string): string {
  return text.replace(/`/g, BACKTICK_LOOKALIKE);
}

/** An inline code span holding `value` as it is (escaped, on one line, no backtick to close it early). */
export function code(value: string, max = 500): string {
  return `\`${escapeFit(defuseBackticks(value).replace(/[\r\n]+/g, ' '), max)}\``;
}

/** A code block (```) holding `value`, at most `max` characters inside. */
export function codeBlock(value: string, max: number): string {
  return `\`\`\`${escapeFit(defuseBackticks(value), max)}\`\`\``;
}

/** A Slack user as a mention, a CLI user by name; nothing in it can be markup. */
export function who(actor: Actor | undefined, fallback = 'someone'): string {
  if (!actor) return fallback;
  return actor.kind === 'slack' ? mentionId(actor.id) : `${escapeMrkdwn(actor.id)} (CLI)`;
}

export { mentionId };
