import type { types } from '@slack/bolt';

export type KnownBlock = types.KnownBlock;
export type Button = types.Button;
export type PlainTextOption = types.PlainTextOption;
export type ConfirmationDialog = types.ConfirmationDialog;
export type ContextElement = types.ContextBlock['elements'][number];

/**
 * Block Kit limits (Slack's reference, mirrored by @slack/types; see ../shared/reference/slack-bolt.md §4).
 * Builders go through the helpers below so that nothing they produce is ever refused by Slack: display text is
 * shortened with an ellipsis, lists end with a visible "… N more", identifiers that cannot be shortened throw.
 */
export const LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  optionText: 75,
  optionValue: 75,
  optionDescription: 75,
  selectOptions: 100,
  placeholder: 150,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  inputLabel: 2000,
  inputHint: 2000,
  plainTextInput: 3000,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
  /** Slack has no documented cap on the top-level fallback text below 40,000; it asks for far less. */
  messageText: 3000,
  /** Undocumented cumulative cap (`msg_blocks_too_long` near 12-13k characters): keep well under it. */
  messageTextBudget: 10_000,
  /**
   * Views (modals, Home tabs) have no documented cumulative text cap besides their 100 blocks; this bound keeps a
   * Home tab readable and its payload far from any request size limit.
   */
  viewTextBudget: 30_000,
  /** Inline error under a modal input (`response_action: 'errors'`): undocumented, keep it short. */
  inputError: 1000,
} as const;

export class BlockLimitError extends Error {
  constructor(what: string, length: number, max: number) {
    super(`${what} is ${length} characters long, Slack allows ${max}`);
    this.name = 'BlockLimitError';
  }
}

const ELLIPSIS = '…';

/** Display text: shortened to `max` characters (UTF-16 units, which is never more than Slack counts) with "…". */
export function fit(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - ELLIPSIS.length));
  // do not leave half a surrogate pair behind
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut + ELLIPSIS;
}

/** Identifiers and values are never shortened: a cut value would point at something else. */
export function exact(value: string, max: number, what: string): string {
  if (value.length > max) throw new BlockLimitError(what, value.length, max);
  return value;
}

/** Escapes the three characters mrkdwn treats as control characters (see mrkdwn.ts). */
export { escapeMrkdwn } from './mrkdwn.js';

export function moreLine(omitted: number, noun = 'more'): string {
  return `${ELLIPSIS} ${omitted} ${noun}`;
}

/**
 * Joins lines into one text of at most `maxChars`, each line shortened to fit, ending with "… N more" when
 * lines had to be left out. `maxLines` bounds the count as well.
 */
export function joinWithMore(lines: readonly string[], maxChars: number, maxLines = Number.POSITIVE_INFINITY): string {
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const remaining = lines.length - i - 1;
    // room kept for the "… N more" line if anything after this one must be left out
    const reserve = remaining > 0 ? moreLine(lines.length).length + 1 : 0;
    const line = fit(lines[i]!, Math.max(1, maxChars - reserve));
    const cost = (out.length > 0 ? 1 : 0) + line.length;
    if (out.length >= maxLines || used + cost + reserve > maxChars) {
      const omitted = lines.length - i;
      out.push(moreLine(omitted));
      return out.join('\n');
    }
    out.push(line);
    used += cost;
  }
  return out.join('\n');
}

/**
 * Splits lines into pages of at most `perPage` characters, at most `maxPages` pages; the last page ends with
 * "… N more" when lines remain. For lists longer than one section can hold (folders, DNS records).
 */
export function pageLines(lines: readonly string[], perPage: number, maxPages: number): string[] {
  const pages: string[] = [];
  let current: string[] = [];
  let used = 0;
  const reserve = moreLine(lines.length).length + 1;
  for (let i = 0; i < lines.length; i++) {
    const line = fit(lines[i]!, perPage - reserve);
    const cost = (current.length > 0 ? 1 : 0) + line.length;
    if (used + cost > perPage - (pages.length === maxPages - 1 ? reserve : 0)) {
      if (pages.length === maxPages - 1) {
        current.push(moreLine(lines.length - i));
        pages.push(current.join('\n'));
        return pages;
      }
      pages.push(current.join('\n'));
      current = [line];
      used = line.length;
      continue;
    }
    current.push(line);
    used += cost;
  }
  if (current.length > 0) pages.push(current.join('\n'));
  return pages;
}

// ---- guarded block constructors -------------------------------------------------------------------------

export function header(text: string): KnownBlock {
  return { type: 'header', text: { type: 'plain_text', text: fit(text, LIMITS.headerText), emoji: true } };
}

export function section(mrkdwn: string, blockId?: string): KnownBlock {
  return {
    type: 'section',
    ...(blockId ? { block_id: exact(blockId, LIMITS.blockId, 'block_id') } : {}),
    text: { type: 'mrkdwn', text: fit(mrkdwn || ' ', LIMITS.sectionText) },
  };
}

export function fields(items: readonly string[], blockId?: string): KnownBlock {
  const shown = items.slice(0, LIMITS.sectionFields);
  if (items.length > LIMITS.sectionFields) shown[LIMITS.sectionFields - 1] = moreLine(items.length - LIMITS.sectionFields + 1);
  return {
    type: 'section',
    ...(blockId ? { block_id: exact(blockId, LIMITS.blockId, 'block_id') } : {}),
    fields: shown.map((text) => ({ type: 'mrkdwn' as const, text: fit(text || ' ', LIMITS.fieldText) })),
  };
}

export function context(texts: readonly string[], blockId?: string): KnownBlock {
  const shown = texts.slice(0, LIMITS.contextElements);
  if (texts.length > LIMITS.contextElements) shown[LIMITS.contextElements - 1] = moreLine(texts.length - LIMITS.contextElements + 1);
  return {
    type: 'context',
    ...(blockId ? { block_id: exact(blockId, LIMITS.blockId, 'block_id') } : {}),
    elements: shown.map((text) => ({ type: 'mrkdwn' as const, text: fit(text || ' ', LIMITS.contextText) })),
  };
}

export function divider(): KnownBlock {
  return { type: 'divider' };
}

export function confirm(input: { title: string; text: string; confirm: string; deny?: string; danger?: boolean }): ConfirmationDialog {
  return {
    title: { type: 'plain_text', text: fit(input.title, LIMITS.confirmTitle) },
    text: { type: 'mrkdwn', text: fit(input.text, LIMITS.confirmText) },
    confirm: { type: 'plain_text', text: fit(input.confirm, LIMITS.confirmButton) },
    deny: { type: 'plain_text', text: fit(input.deny ?? 'Cancel', LIMITS.confirmButton) },
    ...(input.danger ? { style: 'danger' as const } : {}),
  };
}

export function button(input: {
  text: string;
  actionId: string;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: ConfirmationDialog;
}): Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text: fit(input.text, LIMITS.buttonText), emoji: true },
    action_id: exact(input.actionId, LIMITS.actionId, 'action_id'),
    value: exact(input.value, LIMITS.buttonValue, 'button value'),
    ...(input.style ? { style: input.style } : {}),
    ...(input.confirm ? { confirm: input.confirm } : {}),
  };
}

export function actions(elements: Button[], blockId?: string): KnownBlock {
  if (elements.length > LIMITS.actionsElements) throw new BlockLimitError('actions block', elements.length, LIMITS.actionsElements);
  return {
    type: 'actions',
    ...(blockId ? { block_id: exact(blockId, LIMITS.blockId, 'block_id') } : {}),
    elements,
  };
}

/** An option, or undefined when its value is too long to be sent (values are identifiers: never cut). */
export function option(text: string, value: string, description?: string): PlainTextOption | undefined {
  if (value.length > LIMITS.optionValue) return undefined;
  return {
    text: { type: 'plain_text', text: fit(text, LIMITS.optionText) },
    value,
    ...(description ? { description: { type: 'plain_text', text: fit(description, LIMITS.optionDescription) } } : {}),
  };
}

/** The value of the "… N more" option: not a choice, refused on submission. */
export const MORE_OPTION_VALUE = '__more__';

/** At most 100 options; when more matched, the last slot says how many were left out (type more to narrow). */
export function optionList(options: readonly (PlainTextOption | undefined)[]): PlainTextOption[] {
  const valid = options.filter((o): o is PlainTextOption => o !== undefined);
  if (valid.length <= LIMITS.selectOptions) return valid;
  const shown = valid.slice(0, LIMITS.selectOptions - 1);
  shown.push({
    text: { type: 'plain_text', text: fit(`${moreLine(valid.length - shown.length)}: type more to narrow`, LIMITS.optionText) },
    value: MORE_OPTION_VALUE,
  });
  return shown;
}

export function plainText(text: string, max: number) {
  return { type: 'plain_text' as const, text: fit(text, max), emoji: true };
}

// ---- whole-message guards ------------------------------------------------------------------------------

/** Characters of text a block carries, for the cumulative budget. */
export function blockTextLength(block: unknown): number {
  let total = 0;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
    } else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') total += value.length;
        else walk(value);
      }
    }
  };
  walk(block);
  return total;
}

/**
 * A message's blocks: the body is cut (with a visible "… N more") so that body + footer stays within 50 blocks
 * and the cumulative text budget; the footer (buttons, decision line) is always kept.
 */
export function composeMessage(
  body: readonly KnownBlock[],
  footer: readonly KnownBlock[] = [],
  maxBlocks: number = LIMITS.messageBlocks,
  textBudget: number = LIMITS.messageTextBudget,
): KnownBlock[] {
  const footerText = footer.reduce((sum, b) => sum + blockTextLength(b), 0);
  const budget = textBudget - footerText - 100;
  const room = maxBlocks - footer.length;
  const kept: KnownBlock[] = [];
  let used = 0;
  for (let i = 0; i < body.length; i++) {
    const block = body[i]!;
    const size = blockTextLength(block);
    const last = i === body.length - 1;
    const slotsLeft = room - kept.length - (last ? 0 : 1);
    if (slotsLeft < 1 || used + size > budget) {
      kept.push(context([`${moreLine(body.length - i, 'more sections left out (message size limit)')}`]));
      return [...kept, ...footer];
    }
    kept.push(block);
    used += size;
  }
  return [...kept, ...footer];
}

export function composeModal(blocks: readonly KnownBlock[]): KnownBlock[] {
  return composeMessage(blocks, [], LIMITS.modalBlocks);
}

/** A Home tab's blocks: at most 100, within the view text budget, cut at the end with a visible "… N more". */
export function composeHome(blocks: readonly KnownBlock[]): KnownBlock[] {
  return composeMessage(blocks, [], LIMITS.modalBlocks, LIMITS.viewTextBudget);
}

/** The top-level `text` of a message: notifications and screen readers show it. */
export function fallbackText(text: string): string {
  return fit(text, LIMITS.messageText);
}
