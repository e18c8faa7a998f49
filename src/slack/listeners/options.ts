import type { App } from '@slack/bolt';
import type { ServiceChoice } from '../../pipeline/migration-service.js';
import { ACTION } from '../ids.js';
import type { SlackDeps } from '../deps.js';
import { errorText, within } from '../deps.js';
import { destinationOption, sourceOption } from '../blocks/request-modal.js';
import { LIMITS, optionList } from '../blocks/limits.js';
import { optionsPayload, parsePayload } from '../payloads.js';

/**
 * Type-ahead options for the external selects of the request modal (answered within Slack's 3 s). Only requesters
 * get any: the list of every mailbox is not for anyone who can open a modal with this app's ids.
 */
export function register(app: App, deps: SlackDeps): void {
  app.options(ACTION.source, async ({ ack, body, logger }) => {
    const request = parsePayload(optionsPayload, body, 'source options', deps.logger);
    if (!request || !(await deps.approvers.isRequester(request.user.id))) {
      await ack({ options: [] });
      return;
    }
    const query = request.value.trim();
    try {
      const found = await within(deps.service.searchSourceAccounts(query, LIMITS.selectOptions), deps.ackBudgetMs);
      await ack({ options: found.done ? optionList(found.value.map(sourceOption)) : [] });
    } catch (error) {
      logger.warn(`source account search failed: ${errorText(error)}`);
      await ack({ options: [] });
    }
  });

  let cache: { until: number; services: ServiceChoice[] } | undefined;
  app.options(ACTION.destination, async ({ ack, body, logger }) => {
    const request = parsePayload(optionsPayload, body, 'destination options', deps.logger);
    if (!request || !(await deps.approvers.isRequester(request.user.id))) {
      await ack({ options: [] });
      return;
    }
    const query = request.value.trim().toLowerCase();
    try {
      if (!cache || cache.until < Date.now()) {
        const found = await within(deps.service.listDestinationServices(), deps.ackBudgetMs);
        if (!found.done) {
          await ack({ options: [] });
          return;
        }
        cache = { until: Date.now() + 60_000, services: found.value };
      }
      const matching = cache.services.filter((s) => !query || s.name.toLowerCase().includes(query) || s.label.toLowerCase().includes(query));
      await ack({ options: optionList(matching.map(destinationOption)) });
    } catch (error) {
      logger.warn(`destination list failed: ${errorText(error)}`);
      await ack({ options: [] });
    }
  });
}
