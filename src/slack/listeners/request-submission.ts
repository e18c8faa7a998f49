import type { App, webApi } from '@slack/bolt';
import { z } from 'zod';
import type { MigrationRequest, PasswordHandover, PreflightProblem } from '../../pipeline/migration-service.js';
import { ACTION, BLOCK, CALLBACK, OPTION } from '../ids.js';
import type { SlackDeps } from '../deps.js';
import { errorText, within } from '../deps.js';
import { decodeMetadata, pendingModal, requestModal, type RequestMetadata } from '../blocks/request-modal.js';
import { placeholderMessage, refusedMessage, requestMessage } from '../blocks/request-message.js';
import { LIMITS, MORE_OPTION_VALUE, fit, section } from '../blocks/limits.js';
import { noticeMessage } from '../blocks/thread.js';
import { code, escapeFit, escapeMrkdwn, mentionId } from '../blocks/mrkdwn.js';
import { parsePayload, viewSubmissionPayload, type StateValues } from '../payloads.js';
import { resolveDestination, resolveSource } from './option-values.js';

const address = z.string().trim().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'Pick a mailbox address from the list.');

/** What the modal must hold before the pipeline is even asked; keys are the modal's block ids. */
export const requestFormSchema = z.object({
  [BLOCK.source]: address,
  [BLOCK.destination]: z
    .string()
    .trim()
    .min(1, 'Pick a destination service.')
    .max(255)
    .refine((v) => v !== MORE_OPTION_VALUE, 'Type part of the service name to narrow the list, then pick one.'),
  [BLOCK.temporaryName]: z
    .string()
    .trim()
    .max(254)
    .regex(/^[^\s@]+(@[^\s@]+\.[^\s@]+)?$/, 'A local part (john.smith01) or a full address, without spaces.')
    .optional(),
  [BLOCK.password]: z
    .string()
    .max(128)
    .refine((p) => p.trim() === p, 'No leading or trailing spaces.')
    .optional(),
  [BLOCK.sourcePassword]: z.string().max(128).optional(),
  [BLOCK.options]: z.array(z.enum([OPTION.dryRun, OPTION.resetSource, OPTION.cutoverWhenReady])).default([]),
});
export type RequestForm = z.infer<typeof requestFormSchema>;

/** Reads the modal's state into plain values (empty inputs become undefined). */
export function readRequestForm(values: StateValues): Record<string, unknown> {
  const text = (block: string, action: string) => {
    const v = values[block]?.[action]?.value;
    return v === null || v === undefined || v === '' ? undefined : v;
  };
  return {
    [BLOCK.source]: values[BLOCK.source]?.[ACTION.source]?.selected_option?.value ?? '',
    [BLOCK.destination]: values[BLOCK.destination]?.[ACTION.destination]?.selected_option?.value ?? '',
    [BLOCK.temporaryName]: text(BLOCK.temporaryName, ACTION.temporaryName),
    [BLOCK.password]: text(BLOCK.password, ACTION.password),
    [BLOCK.sourcePassword]: text(BLOCK.sourcePassword, ACTION.sourcePassword),
    [BLOCK.options]: (values[BLOCK.options]?.[ACTION.options]?.selected_options ?? []).map((o) => o.value),
  };
}

const FIELD_BLOCK: Record<PreflightProblem['field'], string> = {
  source: BLOCK.source,
  destination: BLOCK.destination,
  temporaryName: BLOCK.temporaryName,
  password: BLOCK.password,
  // a problem with no input of its own shows under the first one
  general: BLOCK.source,
};

/** `response_action: 'errors'` body: one message per block (several joined), within Slack's lengths. */
export function inlineErrors(problems: { block: string; message: string }[]): Record<string, string> {
  const grouped = new Map<string, string[]>();
  for (const p of problems) grouped.set(p.block, [...(grouped.get(p.block) ?? []), p.message]);
  return Object.fromEntries([...grouped].map(([block, messages]) => [block, fit(messages.join(' · '), LIMITS.inputError)]));
}

export function preflightErrors(problems: PreflightProblem[]): Record<string, string> {
  return inlineErrors(problems.map((p) => ({ block: FIELD_BLOCK[p.field] ?? BLOCK.source, message: p.message })));
}

/** A modal's view that says why the submission was refused (mrkdwn, so that the approvers can be mentioned). */
export function refusalView(callbackId: string, metadata: RequestMetadata | undefined, text: string) {
  return { ...pendingModal(callbackId, metadata ?? { channel: 'C0', commandChannel: 'C0' }, ''), blocks: [section(text)] };
}

/** Long option values come back as keys (blocks/option-keys.ts): the form holds what they stand for. */
async function resolveKeys(deps: SlackDeps, form: Record<string, unknown>): Promise<{ form: Record<string, unknown>; stale: string[] }> {
  const stale: string[] = [];
  const source = form[BLOCK.source];
  const destination = form[BLOCK.destination];
  const [resolvedSource, resolvedDestination] = await Promise.all([
    typeof source === 'string' && source ? resolveSource(deps.service, source) : source,
    typeof destination === 'string' && destination ? resolveDestination(deps.service, destination) : destination,
  ]);
  if (resolvedSource === undefined) stale.push(BLOCK.source);
  if (resolvedDestination === undefined) stale.push(BLOCK.destination);
  return { form: { ...form, [BLOCK.source]: resolvedSource ?? '', [BLOCK.destination]: resolvedDestination ?? '' }, stale };
}

export function register(app: App, deps: SlackDeps): void {
  app.view(CALLBACK.request, async ({ ack, body, client, logger }) => {
    const payload = parsePayload(viewSubmissionPayload, body, 'request submission', deps.logger);
    if (!payload) {
      await ack();
      return;
    }
    const { view } = payload;
    const userId = payload.user.id;
    const metadata = decodeMetadata(view.private_metadata);
    // a submission is a request: from requesters only, whatever the modal it claims to come from
    if (!(await deps.approvers.isRequester(userId))) {
      deps.logger.warn({ user: userId }, 'request submission from someone who is not a requester refused');
      await ack({ response_action: 'update', view: refusalView(CALLBACK.request, metadata, `:no_entry_sign: ${deps.approvers.notRequesterText()} Nothing was requested.`) });
      return;
    }
    if (!metadata) {
      await ack({ response_action: 'errors', errors: { [BLOCK.source]: 'This form is out of date: close it and run the command again.' } });
      return;
    }
    let resolved;
    try {
      resolved = await within(resolveKeys(deps, readRequestForm(view.state.values)), deps.ackBudgetMs);
    } catch (error) {
      logger.error(`could not read the choices: ${errorText(error)}`);
      await ack({ response_action: 'errors', errors: { [BLOCK.source]: fit(`The check failed: ${errorText(error)}`, LIMITS.inputError) } });
      return;
    }
    if (!resolved.done) {
      await ack({ response_action: 'errors', errors: { [BLOCK.source]: 'The list of mailboxes took too long to load: submit again in a moment.' } });
      return;
    }
    if (resolved.value.stale.length > 0) {
      const message = 'This choice could not be found again: pick it once more from the list.';
      await ack({ response_action: 'errors', errors: Object.fromEntries(resolved.value.stale.map((b) => [b, message])) });
      return;
    }
    const parsed = requestFormSchema.safeParse(resolved.value.form);
    if (!parsed.success) {
      await ack({
        response_action: 'errors',
        errors: inlineErrors(parsed.error.issues.map((i) => ({ block: String(i.path[0] ?? BLOCK.source), message: i.message }))),
      });
      return;
    }
    const form = parsed.data;
    const request: MigrationRequest = {
      sourceAddress: form[BLOCK.source],
      destinationService: form[BLOCK.destination],
      ...(form[BLOCK.temporaryName] ? { temporaryName: form[BLOCK.temporaryName] } : {}),
      ...(form[BLOCK.password] ? { destinationPassword: form[BLOCK.password] } : {}),
      ...(form[BLOCK.sourcePassword] ? { sourcePassword: form[BLOCK.sourcePassword] } : {}),
      ...(form[BLOCK.options].includes(OPTION.cutoverWhenReady) ? { cutoverAt: new Date().toISOString() } : {}),
      dryRun: form[BLOCK.options].includes(OPTION.dryRun),
      resetSourceAfter: form[BLOCK.options].includes(OPTION.resetSource),
      requester: { kind: 'slack', id: userId },
    };

    // Preflight inside Slack's 3 s window gives inline errors; past the budget, the modal shows "checking…"
    // and the outcome replaces it when known.
    const checking = deps.service.preflight(request);
    let preflight;
    try {
      preflight = await within(checking, deps.ackBudgetMs);
    } catch (error) {
      logger.error(`preflight failed: ${errorText(error)}`);
      await ack({ response_action: 'errors', errors: { [BLOCK.source]: fit(`The check failed: ${errorText(error)}`, LIMITS.inputError) } });
      return;
    }
    if (preflight.done) {
      if (!preflight.value.ok) {
        await ack({ response_action: 'errors', errors: preflightErrors(preflight.value.problems) });
        return;
      }
      await ack();
      await post(deps, client, metadata, request, logger);
      return;
    }

    await ack({ response_action: 'update', view: pendingModal(CALLBACK.request, metadata, ':hourglass_flowing_sand: Checking the request with OVHcloud…') });
    try {
      const late = await checking;
      if (!late.ok) {
        await client.views.update({
          view_id: view.id,
          view: requestModal({
            metadata,
            prefill: {
              source: request.sourceAddress,
              destination: request.destinationService,
              temporaryName: request.temporaryName,
              dryRun: request.dryRun,
              resetSourceAfter: request.resetSourceAfter,
            },
            problems: late.problems,
            handoverTo: deps.config.HANDOVER_TO,
          }),
        });
        return;
      }
      await client.views.update({ view_id: view.id, view: { ...pendingModal(CALLBACK.request, metadata, ''), blocks: [section(`:white_check_mark: Request posted in <#${metadata.channel}>.`)] } });
      await post(deps, client, metadata, request, logger);
    } catch (error) {
      logger.error(`late preflight failed: ${errorText(error)}`);
      await client.views
        .update({ view_id: view.id, view: { ...pendingModal(CALLBACK.request, metadata, ''), blocks: [section(`:x: The check failed: ${escapeFit(errorText(error), 2800)}`)] } })
        .catch(() => undefined);
    }
  });
}

/**
 * Posts the request. A placeholder goes first so that the job's origin carries the thread ts from the start:
 * any bot process (and the notifier after a restart) can then find the thread from the job alone.
 */
async function post(
  deps: SlackDeps,
  client: webApi.WebClient,
  metadata: RequestMetadata,
  request: MigrationRequest,
  logger: { error(msg: string): void },
): Promise<void> {
  const userId = request.requester.id;
  let placeholder;
  try {
    placeholder = await client.chat.postMessage({ channel: metadata.channel, ...placeholderMessage(request.sourceAddress, userId) });
  } catch (error) {
    logger.error(`could not post the request in ${metadata.channel}: ${errorText(error)}`);
    const text = `I could not post your request for ${escapeMrkdwn(request.sourceAddress)} in <#${metadata.channel}> (${escapeFit(errorText(error), 500)}). Invite me there, then try again. Nothing was started.`;
    try {
      await client.chat.postEphemeral({ channel: metadata.commandChannel, user: userId, text });
    } catch {
      // the command's channel is out of reach too (a direct message between people): write to the requester
      const dm = await client.conversations.open({ users: userId }).catch(() => undefined);
      if (dm?.channel?.id) await client.chat.postMessage({ channel: dm.channel.id, text }).catch(() => undefined);
    }
    return;
  }
  const channel = placeholder.channel ?? metadata.channel;
  const ts = placeholder.ts!;
  const submitted = await deps.service
    .submit({ ...request, origin: { channel, threadTs: ts } })
    .catch((error: unknown) => ({ ok: false as const, problems: [{ field: 'general' as const, message: errorText(error) }] }));
  if (!submitted.ok) {
    await client.chat.update({ channel, ts, ...refusedMessage(request.sourceAddress, submitted.problems) });
    return;
  }
  if (submitted.duplicate) {
    // the mailbox already has a live migration: its own thread tells its story, this one is not a new request
    await client.chat.update({
      channel,
      ts,
      ...noticeMessage(
        `:information_source: ${mentionId(userId)} asked again for *${escapeMrkdwn(request.sourceAddress)}*, which already has a migration in progress ` +
          `(job ${code(submitted.jobId, 300)}): see ${code(`/migrate-mailbox status ${submitted.jobId}`, 300)}. Nothing new was started.`,
      ),
    });
    return;
  }
  deps.registry.rememberJob(submitted.jobId, { channel, ts });
  // who gets the password, as the pipeline recorded it with the request
  const [status] = await deps.service.status({ jobId: submitted.jobId }).catch(() => []);
  const handover: PasswordHandover =
    status?.nonce === submitted.nonce
      ? status.handover
      : {
          to: deps.config.HANDOVER_TO,
          ...(deps.config.HANDOVER_TO === 'requester' ? { recipient: request.requester } : {}),
          typedByRequester: Boolean(request.destinationPassword),
          state: 'pending',
        };
  await client.chat.update({
    channel,
    ts,
    ...requestMessage({
      plan: submitted.plan,
      requester: request.requester,
      nonce: submitted.nonce,
      handover,
      dryRun: request.dryRun,
      resetSourceAfter: request.resetSourceAfter,
    }),
  });
}
