import type { Actor, DecisionResult, MigrationPlan, PasswordHandover, PreflightProblem } from '../../pipeline/migration-service.js';
import { ACTION, buttonValue } from '../ids.js';
import { plannedFeatureBlocks } from './features.js';
import { formatBytes, platformLabel, slackDate } from './format.js';
import { code, escapeFit, mentionId, who } from './mrkdwn.js';
import {
  LIMITS,
  actions,
  button,
  composeMessage,
  confirm,
  context,
  escapeMrkdwn,
  fallbackText,
  fields,
  header,
  joinWithMore,
  section,
  type KnownBlock,
} from './limits.js';

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export interface RequestMessageInput {
  plan: MigrationPlan;
  requester: Actor;
  /** The request's nonce (MigrationStatus.nonce, SubmitResult.nonce): carried by the buttons. */
  nonce: string;
  /** Who gets the destination's initial password; shown on the request so that the approver knows. */
  handover?: PasswordHandover;
  dryRun?: boolean;
  resetSourceAfter?: boolean;
  /** Undefined while waiting for a decision (buttons shown). */
  decision?: DecisionResult;
  /**
   * The request ended without a Slack decision (expired, cancelled): this line replaces the buttons. mrkdwn: text
   * from a server or a user in it must be escaped by the caller (escapeMrkdwn).
   */
  closed?: string;
}

/** Block id of the hand-over line: the decision listener redraws it once the recipient is known. */
export const HANDOVER_BLOCK = 'handover';

/** Who receives the destination's initial password, and whether the requester typed it. */
export function handoverText(handover: PasswordHandover, requester: Actor): string {
  const recipient = handover.recipient
    ? `${who(handover.recipient)}${handover.to === 'requester' ? ' (the requester)' : ' (the approver who approved)'}`
    : handover.to === 'requester'
      ? `${who(requester)} (the requester)`
      : 'the approver who approves this request';
  const origin = handover.typedByRequester
    ? `it was typed by ${who(requester)} in the request${handover.to === 'approver' ? ', so the requester knows it too' : ''}`
    : 'it is generated to the service\'s password policy';
  const state =
    handover.state === 'acknowledged' ? ' It was handed over and is no longer stored.' : handover.state === 'ready' ? ' It is ready to be shown to its recipient.' : '';
  return `:key: The initial password of the new account goes to ${recipient}; ${origin}.${state}`;
}

export function handoverLine(handover: PasswordHandover, requester: Actor): KnownBlock {
  return context([handoverText(handover, requester)], HANDOVER_BLOCK);
}

/** The request posted for approval; after a decision the buttons give way to who decided and when. */
export function requestMessage(input: RequestMessageInput): SlackMessage {
  const { plan } = input;
  const body: KnownBlock[] = [
    header(`${input.dryRun ? 'Dry run' : 'Mailbox migration'}: ${plan.source.address}`),
    section(
      `*${escapeMrkdwn(plan.source.address)}* (${platformLabel(plan.source.platform)} ${code(plan.source.service)})\n` +
        `→ *${escapeMrkdwn(plan.destination.address)}* (${platformLabel(plan.destination.platform)} ${code(plan.destination.service)})\n` +
        (plan.order?.kind === 'staged'
          ? `*Staged*: the mail is copied into ${code(plan.order.stagedAddress ?? '')} while the old account stays in use; at the cut-over it is renamed to ${code(plan.temporaryAddress)} and the switch takes minutes.`
          : `The old account is renamed to ${code(plan.temporaryAddress)} first.${plan.order ? ` (Classic order: ${escapeMrkdwn(plan.order.reason)})` : ''}`),
    ),
    fields([
      `*Size*\n${formatBytes(plan.sizeBytes)}`,
      `*Requested by*\n${who(input.requester)}`,
      // unknown when re-drawn from the job's status alone
      ...(input.dryRun === undefined && input.resetSourceAfter === undefined
        ? []
        : [`*Options*\n${[input.dryRun ? 'dry run' : undefined, input.resetSourceAfter ? 'reset the old account afterwards' : undefined].filter(Boolean).join(', ') || 'none'}`]),
      `*Job*\n${code(plan.jobId)}`,
    ]),
  ];
  if (input.handover && !input.dryRun) body.push(handoverLine(input.handover, input.requester));
  if (plan.collaborative && plan.collaborative.mode !== 'none') {
    body.push(context([`:calendar: ${escapeMrkdwn(plan.collaborative.detail)}`]));
  }
  if (plan.warnings.length > 0) {
    body.push(section(`:warning: *Warnings*\n${joinWithMore(plan.warnings.map((w) => `• ${escapeMrkdwn(w)}`), 2900, 20)}`));
  }
  // every feature of the source with its verdict on the destination (old jobs' plans have none)
  body.push(...plannedFeatureBlocks(plan.features ?? []));

  const footer: KnownBlock[] = input.decision
    ? [decisionLine(input.decision)]
    : input.closed
      ? [context([input.closed], 'closed')]
      : [
        actions(
          [
            button({
              text: 'Approve',
              actionId: ACTION.approve,
              value: buttonValue(plan.jobId, input.nonce),
              style: 'primary',
              confirm: confirm({
                title: 'Approve this migration?',
                text: `${escapeFit(plan.source.address, 120)} will be renamed and moved to ${escapeFit(plan.destination.service, 120)}.`,
                confirm: 'Approve',
              }),
            }),
            button({
              text: 'Reject',
              actionId: ACTION.reject,
              value: buttonValue(plan.jobId, input.nonce),
              style: 'danger',
              confirm: confirm({ title: 'Reject this request?', text: 'Nothing will be changed.', confirm: 'Reject', danger: true }),
            }),
          ],
          `decision-${plan.jobId}`.slice(0, LIMITS.blockId),
        ),
      ];
  const text = fallbackText(
    `${input.dryRun ? 'Dry run' : 'Migration'} request: ${escapeMrkdwn(plan.source.address)} → ${escapeMrkdwn(plan.destination.service)}` +
      (input.decision ? ` (${input.decision.state})` : ' (waiting for approval)'),
  );
  return { text, blocks: composeMessage(body, footer) };
}

export function decisionLine(decision: DecisionResult): KnownBlock {
  const verb = decision.state === 'approved' ? ':white_check_mark: Approved' : ':no_entry: Rejected';
  // a new block_id on update, as Slack recommends
  return context([`${verb} by ${who(decision.by)} on ${slackDate(decision.at)}`], `decided-${decision.state}`);
}

/** Shown in place of the plan when the pipeline refused the request after the modal closed. */
export function refusedMessage(source: string, problems: PreflightProblem[]): SlackMessage {
  return {
    text: fallbackText(`Migration request for ${escapeMrkdwn(source)} refused`),
    blocks: composeMessage([
      section(`:x: The migration request for *${escapeMrkdwn(source)}* was refused:\n${joinWithMore(problems.map((p) => `• ${escapeMrkdwn(p.message)}`), 2800, 20)}`),
    ]),
  };
}

export function placeholderMessage(source: string, requester: string): SlackMessage {
  return {
    text: fallbackText(`Preparing the migration request for ${escapeMrkdwn(source)}…`),
    blocks: [section(`:hourglass_flowing_sand: ${mentionId(requester)} is requesting the migration of *${escapeMrkdwn(source)}*…`)],
  };
}
