import type { App, BlockAction, webApi } from '@slack/bolt';
import { ACTION, BLOCK, CALLBACK, OPTION } from '../ids.js';
import type { SlackDeps } from '../deps.js';
import { errorText } from '../deps.js';
import { decodeMetadata, requestModal } from '../blocks/request-modal.js';

type Values = Record<string, Record<string, { selected_option?: { value?: string } | null; selected_options?: { value?: string }[]; value?: string | null }>>;

/**
 * Once both the source and the destination are chosen in the modal (its selects dispatch their changes), the
 * pipeline's preflight shows the plan and the temporary name its rule gives, unless the user typed one already.
 * Problems show above the inputs at once instead of only on submit.
 */
export function register(app: App, deps: SlackDeps): void {
  const onSelect = async ({ ack, body, client, logger }: { ack: () => Promise<void>; body: BlockAction; client: webApi.WebClient; logger: { warn(m: string): void } }) => {
    await ack();
    const view = body.view;
    if (!view || view.callback_id !== CALLBACK.request) return;
    const values = view.state.values as Values;
    const source = values[BLOCK.source]?.[ACTION.source]?.selected_option?.value;
    const destination = values[BLOCK.destination]?.[ACTION.destination]?.selected_option?.value;
    const typed = values[BLOCK.temporaryName]?.[ACTION.temporaryName]?.value;
    const metadata = decodeMetadata(view.private_metadata);
    if (!source || !destination || typed || !metadata) return;
    const checked = (values[BLOCK.options]?.[ACTION.options]?.selected_options ?? []).map((o) => o.value);
    const prefill = {
      source,
      destination,
      dryRun: checked.includes(OPTION.dryRun),
      resetSourceAfter: checked.includes(OPTION.resetSource),
    };
    try {
      const result = await deps.service.preflight({ sourceAddress: source, destinationService: destination, requester: { kind: 'slack', id: body.user.id } });
      const next = result.ok
        ? requestModal({ metadata, prefill: { ...prefill, temporaryName: result.plan.temporaryAddress }, plan: result.plan })
        : requestModal({ metadata, prefill, problems: result.problems });
      // with the hash, Slack refuses the update if the view changed meanwhile: the user's newer input wins
      await client.views.update({ view_id: view.id, hash: view.hash, view: next });
    } catch (error) {
      logger.warn(`could not preview the plan: ${errorText(error)}`);
    }
  };
  app.action<BlockAction>({ type: 'block_actions', action_id: ACTION.source }, onSelect);
  app.action<BlockAction>({ type: 'block_actions', action_id: ACTION.destination }, onSelect);
}
