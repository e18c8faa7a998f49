import type { App, BlockAction, webApi } from '@slack/bolt';
import { ACTION, BLOCK, CALLBACK, OPTION } from '../ids.js';
import type { SlackDeps } from '../deps.js';
import { errorText } from '../deps.js';
import { decodeMetadata, requestModal } from '../blocks/request-modal.js';
import { parsePayload, viewActionPayload } from '../payloads.js';
import { resolveDestination, resolveSource } from './option-values.js';

/**
 * Once both the source and the destination are chosen in the modal (its selects dispatch their changes), the
 * pipeline's preflight shows the plan and the temporary name its rule gives, unless the user typed one already.
 * Problems show above the inputs at once instead of only on submit. Requesters only.
 */
export function register(app: App, deps: SlackDeps): void {
  const onSelect = async ({ ack, body, client, logger }: { ack: () => Promise<void>; body: BlockAction; client: webApi.WebClient; logger: { warn(m: string): void } }) => {
    await ack();
    const payload = parsePayload(viewActionPayload, body, 'modal selection', deps.logger);
    if (!payload) return;
    const { view } = payload;
    if (view.callback_id !== CALLBACK.request) return;
    if (!(await deps.approvers.isRequester(payload.user.id))) return;
    const values = view.state.values;
    const sourceValue = values[BLOCK.source]?.[ACTION.source]?.selected_option?.value;
    const destinationValue = values[BLOCK.destination]?.[ACTION.destination]?.selected_option?.value;
    const typed = values[BLOCK.temporaryName]?.[ACTION.temporaryName]?.value;
    const metadata = decodeMetadata(view.private_metadata);
    if (!sourceValue || !destinationValue || typed || !metadata) return;
    const checked = (values[BLOCK.options]?.[ACTION.options]?.selected_options ?? []).map((o) => o.value);
    try {
      const [source, destination] = await Promise.all([resolveSource(deps.service, sourceValue), resolveDestination(deps.service, destinationValue)]);
      if (!source || !destination) return;
      const prefill = {
        source,
        destination,
        dryRun: checked.includes(OPTION.dryRun),
        resetSourceAfter: checked.includes(OPTION.resetSource),
      };
      const result = await deps.service.preflight({ sourceAddress: source, destinationService: destination, requester: { kind: 'slack', id: payload.user.id } });
      const handoverTo = deps.config.HANDOVER_TO;
      const next = result.ok
        ? requestModal({ metadata, prefill: { ...prefill, temporaryName: result.plan.temporaryAddress }, plan: result.plan, handoverTo })
        : requestModal({ metadata, prefill, problems: result.problems, handoverTo });
      // with the hash, Slack refuses the update if the view changed meanwhile: the user's newer input wins
      await client.views.update({ view_id: view.id, ...(view.hash ? { hash: view.hash } : {}), view: next });
    } catch (error) {
      logger.warn(`could not preview the plan: ${errorText(error)}`);
    }
  };
  app.action<BlockAction>({ type: 'block_actions', action_id: ACTION.source }, onSelect);
  app.action<BlockAction>({ type: 'block_actions', action_id: ACTION.destination }, onSelect);
}
