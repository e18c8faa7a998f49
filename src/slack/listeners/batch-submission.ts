import type { App, webApi } from '@slack/bolt';
import type { BatchSubmitResult } from '../../pipeline/migration-service.js';
import { ACTION, BLOCK, CALLBACK } from '../ids.js';
import type { SlackDeps } from '../deps.js';
import { errorText, within } from '../deps.js';
import { decodeMetadata, pendingModal, type RequestMetadata } from '../blocks/request-modal.js';
import { batchSummaryMessage } from '../blocks/thread.js';
import { LIMITS, joinWithMore, section } from '../blocks/limits.js';
import { escapeFit } from '../blocks/mrkdwn.js';
import { parsePayload, viewSubmissionPayload } from '../payloads.js';
import { refusalView } from './request-submission.js';

/** Slack's file_input accepts up to 10 MB; a CSV of mailboxes is far smaller. */
const MAX_CSV_BYTES = 10 * 1024 * 1024;

export class CsvDownloadError extends Error {}

/** Reads an uploaded file's text: `files.info` for a fresh private URL, then a download with the bot token. */
export async function downloadFile(client: webApi.WebClient, token: string, fileId: string): Promise<string> {
  const info = await client.files.info({ file: fileId });
  const file = info.file;
  const url = file?.url_private_download ?? file?.url_private;
  if (!url) throw new CsvDownloadError('Slack gave no download address for this file.');
  if ((file?.size ?? 0) > MAX_CSV_BYTES) throw new CsvDownloadError('The file is larger than 10 MB.');
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, redirect: 'follow' });
  if (!response.ok) throw new CsvDownloadError(`Downloading the file failed (HTTP ${response.status}).`);
  // a missing files:read scope or a bad token gets Slack's HTML sign-in page, not the file
  if ((response.headers.get('content-type') ?? '').includes('text/html')) {
    throw new CsvDownloadError('Slack answered with a web page instead of the file: check the files:read scope.');
  }
  const text = await response.text();
  if (text.length > MAX_CSV_BYTES) throw new CsvDownloadError('The file is larger than 10 MB.');
  return text;
}

/** One inline error for the file input: every bad row, ending with "… N more" when they do not all fit. */
export function batchErrorText(errors: { row: number; message: string }[]): string {
  return joinWithMore(
    errors.map((e) => `Row ${e.row}: ${e.message}`),
    LIMITS.inputError,
  );
}

export function register(app: App, deps: SlackDeps): void {
  app.view(CALLBACK.batch, async ({ ack, body, client, logger }) => {
    const payload = parsePayload(viewSubmissionPayload, body, 'batch submission', deps.logger);
    if (!payload) {
      await ack();
      return;
    }
    const { view } = payload;
    const userId = payload.user.id;
    const metadata = decodeMetadata(view.private_metadata);
    if (!(await deps.approvers.isRequester(userId))) {
      deps.logger.warn({ user: userId }, 'batch submission from someone who is not a requester refused');
      await ack({ response_action: 'update', view: refusalView(CALLBACK.batch, metadata, `:no_entry_sign: ${deps.approvers.notRequesterText()} Nothing was requested.`) });
      return;
    }
    const files = view.state.values[BLOCK.csvFile]?.[ACTION.csvFile]?.files ?? [];
    if (!metadata || files.length !== 1) {
      await ack({ response_action: 'errors', errors: { [BLOCK.csvFile]: 'Attach one CSV file.' } });
      return;
    }
    const token = deps.config.SLACK_BOT_TOKEN ?? '';
    const work = (async (): Promise<BatchSubmitResult | { ok: false; download: string }> => {
      let csv: string;
      try {
        csv = await downloadFile(client, token, files[0]!.id);
      } catch (error) {
        return { ok: false, download: errorText(error) };
      }
      return deps.service.submitBatch(csv, { kind: 'slack', id: userId }, { origin: { channel: metadata.channel } });
    })();

    let result;
    try {
      result = await within(work, deps.ackBudgetMs);
    } catch (error) {
      await ack({ response_action: 'errors', errors: { [BLOCK.csvFile]: `The check failed: ${errorText(error).slice(0, 500)}` } });
      return;
    }
    if (result.done) {
      const outcome = result.value;
      if (!outcome.ok) {
        await ack({
          response_action: 'errors',
          errors: { [BLOCK.csvFile]: 'download' in outcome ? outcome.download.slice(0, LIMITS.inputError) : batchErrorText(outcome.errors) },
        });
        return;
      }
      await ack();
      await postSummary(deps, client, metadata, userId, outcome);
      return;
    }

    await ack({ response_action: 'update', view: pendingModal(CALLBACK.batch, metadata, ':hourglass_flowing_sand: Checking every row…') });
    try {
      const outcome = await work;
      if (!outcome.ok) {
        const text = 'download' in outcome ? outcome.download : batchErrorText(outcome.errors);
        await client.views.update({
          view_id: view.id,
          view: { ...pendingModal(CALLBACK.batch, metadata, ''), blocks: [section(`:x: Nothing was started.\n${escapeFit(text, 2800)}`)] },
        });
        return;
      }
      await client.views.update({
        view_id: view.id,
        view: { ...pendingModal(CALLBACK.batch, metadata, ''), blocks: [section(`:white_check_mark: ${outcome.jobIds.length} requests posted in <#${metadata.channel}>.`)] },
      });
      await postSummary(deps, client, metadata, userId, outcome);
    } catch (error) {
      logger.error(`batch submission failed: ${errorText(error)}`);
    }
  });
}

async function postSummary(
  deps: SlackDeps,
  client: webApi.WebClient,
  metadata: RequestMetadata,
  userId: string,
  outcome: { batchId: string; jobIds: string[]; nonce: string },
): Promise<void> {
  const statuses = await Promise.all(outcome.jobIds.map((jobId) => deps.service.status({ jobId }).then((s) => s[0])));
  const rows = outcome.jobIds.map((jobId, i) => ({
    jobId,
    address: statuses[i]?.plan.source.address ?? jobId,
    state: statuses[i]?.state ?? ('queued' as const),
  }));
  const posted = await client.chat.postMessage({
    channel: metadata.channel,
    ...batchSummaryMessage({ batchId: outcome.batchId, nonce: outcome.nonce, requester: userId, rows }),
  });
  const channel = posted.channel ?? metadata.channel;
  deps.registry.rememberBatch({ batchId: outcome.batchId, channel, ts: posted.ts!, requester: { kind: 'slack', id: userId }, jobIds: outcome.jobIds });
  // kept with the batch as well, so that any bot process (another replica, or this one restarted) updates the summary
  await deps.service.updateBatch?.(outcome.batchId, { origin: { channel, threadTs: posted.ts! } }).catch((error: unknown) => {
    deps.logger.error({ batchId: outcome.batchId, err: errorText(error) }, 'cannot store where the batch summary is; only this process will update it');
  });
}
