import type { Actor, DecisionResult, MigrationPlan, PreflightProblem } from '../../pipeline/migration-service.js';
import { ACTION } from '../ids.js';
import { formatBytes, platformLabel, slackDate } from './format.js';
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
  dryRun?: boolean;
  resetSourceAfter?: boolean;
  /** Undefined while waiting for a decision (buttons shown). */
  decision?: DecisionResult;
  /** The request ended without a Slack decision (expired, cancelled): this line replaces the buttons. */
  closed?: string;
}

function who(actor: Actor): string {
  return actor.kind === 'slack' ? `<@${actor.id}>` : `${escapeMrkdwn(actor.id)} (CLI)`;
}

/** The request posted for approval; after a decision the buttons give way to who decided and when. */
export function requestMessage(input: RequestMessageInput): SlackMessage {
  const { plan } = input;
  const body: KnownBlock[] = [
    header(`${input.dryRun ? 'Dry run' : 'Mailbox migration'}: ${plan.source.address}`),
    section(
      `*${escapeMrkdwn(plan.source.address)}* (${platformLabel(plan.source.platform)} \`${escapeMrkdwn(plan.source.service)}\`)\n` +
        `→ *${escapeMrkdwn(plan.destination.address)}* (${platformLabel(plan.destination.platform)} \`${escapeMrkdwn(plan.destination.service)}\`)\n` +
        `The old account is renamed to \`${escapeMrkdwn(plan.temporaryAddress)}\` first.`,
    ),
    fields([
      `*Size*\n${formatBytes(plan.sizeBytes)}`,
      `*Requested by*\n${who(input.requester)}`,
      // unknown when re-drawn from the job's status alone
      ...(input.dryRun === undefined && input.resetSourceAfter === undefined
        ? []
        : [`*Options*\n${[input.dryRun ? 'dry run' : undefined, input.resetSourceAfter ? 'reset the old account afterwards' : undefined].filter(Boolean).join(', ') || 'none'}`]),
      `*Job*\n\`${escapeMrkdwn(plan.jobId)}\``,
    ]),
  ];
  if (plan.warnings.length > 0) {
    body.push(section(`:warning: *Warnings*\n${joinWithMore(plan.warnings.map((w) => `• ${escapeMrkdwn(w)}`), 2900, 20)}`));
  }
  if (plan.notMigrated.length > 0) {
    body.push(
      section(
        `*Will not migrate (to recreate by hand)*\n${joinWithMore(
          plan.notMigrated.map((f) => `• ${f.kind}: ${escapeMrkdwn(f.description)}`),
          2900,
          30,
        )}`,
      ),
    );
  }

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
              value: plan.jobId,
              style: 'primary',
              confirm: confirm({
                title: 'Approve this migration?',
                text: `${plan.source.address} will be renamed and moved to ${plan.destination.service}.`,
                confirm: 'Approve',
              }),
            }),
            button({
              text: 'Reject',
              actionId: ACTION.reject,
              value: plan.jobId,
              style: 'danger',
              confirm: confirm({ title: 'Reject this request?', text: 'Nothing will be changed.', confirm: 'Reject', danger: true }),
            }),
          ],
          `decision-${plan.jobId}`.slice(0, LIMITS.blockId),
        ),
      ];
  const text = fallbackText(
    `${input.dryRun ? 'Dry run' : 'Migration'} request: ${plan.source.address} → ${plan.destination.service}` +
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
    text: fallbackText(`Migration request for ${source} refused`),
    blocks: composeMessage([
      section(`:x: The migration request for *${escapeMrkdwn(source)}* was refused:\n${joinWithMore(problems.map((p) => `• ${escapeMrkdwn(p.message)}`), 2800, 20)}`),
    ]),
  };
}

export function placeholderMessage(source: string, requester: string): SlackMessage {
  return {
    text: fallbackText(`Preparing the migration request for ${source}…`),
    blocks: [section(`:hourglass_flowing_sand: <@${requester}> is requesting the migration of *${escapeMrkdwn(source)}*…`)],
  };
}
