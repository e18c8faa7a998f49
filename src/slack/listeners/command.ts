import type { App, RespondFn, webApi } from '@slack/bolt';
import { COMMAND } from '../ids.js';
import type { SlackDeps } from '../deps.js';
import { errorText } from '../deps.js';
import { batchModal, requestModal, type RequestMetadata } from '../blocks/request-modal.js';
import { helpMessage, noticeMessage, statusMessage } from '../blocks/thread.js';
import { code, escapeFit, mentionId } from '../blocks/mrkdwn.js';
import { commandPayload, parsePayload } from '../payloads.js';
import { busyText, isBusyError } from './common.js';

export type ParsedCommand =
  | { kind: 'open'; source?: string; destination?: string }
  | { kind: 'status'; query?: string }
  | { kind: 'cancel'; jobId: string }
  | { kind: 'batch' }
  | { kind: 'help'; unknown?: string };

/** Slack may wrap addresses as `<mailto:a@b|a@b>` and links as `<http://…|…>`: keep what the user typed. */
function unwrap(token: string): string {
  const m = /^<(?:mailto:)?([^|>]+)(?:\|([^>]+))?>$/.exec(token);
  return m ? (m[2] ?? m[1]!) : token;
}

export function parseCommand(text: string): ParsedCommand {
  const words = text.trim().split(/\s+/).filter(Boolean).map(unwrap);
  if (words.length === 0) return { kind: 'open' };
  const [first, ...rest] = words;
  switch (first!.toLowerCase()) {
    case 'help':
      return { kind: 'help' };
    case 'batch':
      return { kind: 'batch' };
    case 'status':
      return { kind: 'status', ...(rest[0] ? { query: rest[0] } : {}) };
    case 'cancel':
      return rest[0] ? { kind: 'cancel', jobId: rest[0] } : { kind: 'help', unknown: 'cancel needs a job id' };
    default:
      break;
  }
  if (first!.includes('@')) {
    if (rest.length === 0) return { kind: 'open', source: first };
    if (rest.length === 2 && rest[0]!.toLowerCase() === 'to') return { kind: 'open', source: first, destination: rest[1] };
  }
  return { kind: 'help', unknown: text.trim() };
}

export function register(app: App, deps: SlackDeps): void {
  app.command(COMMAND, async ({ ack, body, client, respond, logger }) => {
    const command = parsePayload(commandPayload, body, 'slash command', deps.logger);
    if (!command) {
      await ack();
      return;
    }
    const parsed = parseCommand(command.text);
    const metadata: RequestMetadata = {
      channel: deps.config.SLACK_REQUESTS_CHANNEL ?? command.channel_id,
      commandChannel: command.channel_id,
    };

    if (parsed.kind === 'help') {
      const help = helpMessage(COMMAND);
      const prefix = parsed.unknown ? `I did not understand ${code(parsed.unknown, 200)}.\n` : '';
      await ack({ response_type: 'ephemeral', text: prefix + help.text, blocks: prefix ? [noticeMessage(prefix).blocks[0]!, ...help.blocks] : help.blocks });
      return;
    }

    // Only requesters get the form (and so the type-ahead over every mailbox); the check is one lookup, at most a
    // group expansion, well within the trigger id's 3 seconds.
    if ((parsed.kind === 'open' || parsed.kind === 'batch') && !(await deps.approvers.isRequester(command.user_id))) {
      await ack({ response_type: 'ephemeral', text: deps.approvers.notRequesterText() });
      return;
    }
    await ack();

    // The trigger id expires 3 s after the command: open the modal before anything slow.
    const open = async (view: Parameters<typeof client.views.open>[0]['view']) => {
      try {
        return await client.views.open({ trigger_id: command.trigger_id, view });
      } catch (error) {
        logger.warn(`views.open failed: ${errorText(error)}`);
        await respond({
          response_type: 'ephemeral',
          text: `I could not open the form (${escapeFit(errorText(error), 200)}). Please run the command again.`,
        }).catch(() => undefined);
        return undefined;
      }
    };
    if (parsed.kind === 'batch') {
      await open(batchModal(metadata));
      return;
    }
    if (parsed.kind === 'open') {
      const view = requestModal({ metadata, prefill: { source: parsed.source, destination: parsed.destination }, handoverTo: deps.config.HANDOVER_TO });
      const opened = await open(view);
      if (!opened) return;
      if (parsed.source && parsed.destination && opened.view?.id) {
        await prefillFromPlan(deps, client, opened.view.id, opened.view.hash, metadata, parsed.source, parsed.destination, command.user_id).catch(
          (error: unknown) => logger.warn(`could not pre-fill the request modal: ${errorText(error)}`),
        );
      }
      return;
    }
    if (parsed.kind === 'status') {
      await showStatus(deps, respond, parsed.query, command.user_id);
      return;
    }
    if (parsed.kind === 'cancel') {
      await cancel(deps, client, respond, parsed.jobId, command.user_id);
    }
  });
}

/** `ADDRESS to SERVICE`: once preflight answers, show the plan and the temporary name the rule gives. */
async function prefillFromPlan(
  deps: SlackDeps,
  client: webApi.WebClient,
  viewId: string,
  hash: string | undefined,
  metadata: RequestMetadata,
  source: string,
  destination: string,
  userId: string,
): Promise<void> {
  const result = await deps.service.preflight({
    sourceAddress: source,
    destinationService: destination,
    requester: { kind: 'slack', id: userId },
  });
  const handoverTo = deps.config.HANDOVER_TO;
  const view = result.ok
    ? requestModal({ metadata, prefill: { source, destination, temporaryName: result.plan.temporaryAddress }, plan: result.plan, handoverTo })
    : requestModal({ metadata, prefill: { source, destination }, problems: result.problems, handoverTo });
  // `hash` makes Slack refuse the update if the user changed the view meanwhile: their input wins.
  await client.views.update({ view_id: viewId, ...(hash ? { hash } : {}), view });
}

/** Approvers see every migration; anyone else only their own requests. */
async function showStatus(deps: SlackDeps, respond: RespondFn, query: string | undefined, userId: string): Promise<void> {
  const filter = query === undefined ? {} : query.includes('@') ? { address: query } : { jobId: query };
  const statuses = await deps.service.status(filter);
  const approver = await deps.approvers.isApprover(userId);
  const own = (s: (typeof statuses)[number]) => s.requester.kind === 'slack' && s.requester.id === userId;
  const visible = approver ? statuses : statuses.filter(own);
  // without a query: the user's own migrations first, then the others, at most 20
  const ordered = query === undefined ? [...visible.filter(own), ...visible.filter((s) => !own(s))] : visible;
  const message = statusMessage(ordered.slice(0, 20));
  await respond({ response_type: 'ephemeral', replace_original: false, text: message.text, blocks: message.blocks });
}

/** Cancelling stops a migration that may have renamed the source already: approvers only. */
async function cancel(deps: SlackDeps, client: webApi.WebClient, respond: RespondFn, jobId: string, userId: string): Promise<void> {
  if (!(await deps.approvers.isApprover(userId))) {
    await respond({ response_type: 'ephemeral', text: deps.approvers.notApproverText('cancel a migration') });
    return;
  }
  const [status] = await deps.service.status({ jobId });
  if (!status) {
    await respond({ response_type: 'ephemeral', text: `No migration with job id ${code(jobId, 100)}.` });
    return;
  }
  if (status.busy) {
    await respond({ response_type: 'ephemeral', text: busyText(status.busy.action, status.busy.by.id) });
    return;
  }
  try {
    await deps.service.cancel(jobId, { kind: 'slack', id: userId });
  } catch (error) {
    const text = isBusyError(error) ? busyText(error.action, error.by) : `Could not cancel: ${escapeFit(errorText(error), 2000)}`;
    await respond({ response_type: 'ephemeral', text });
    return;
  }
  await respond({ response_type: 'ephemeral', text: `Cancelled ${code(jobId, 300)}.` });
  const thread = status.origin?.threadTs ? { channel: status.origin.channel, ts: status.origin.threadTs } : deps.registry.job(jobId);
  if (thread) {
    const notice = noticeMessage(`:heavy_minus_sign: Cancelled by ${mentionId(userId)}.`);
    await client.chat.postMessage({ channel: thread.channel, thread_ts: thread.ts, ...notice });
  }
}
