import type { types } from '@slack/bolt';
import type { AccountChoice, MigrationPlan, PreflightProblem, ServiceChoice } from '../../pipeline/migration-service.js';
import { CSV_COLUMNS, REQUIRED_CSV_COLUMNS } from '../../domain/csv-row.js';
import { ACTION, BLOCK, CALLBACK, OPTION } from '../ids.js';
import { platformLabel, formatBytes } from './format.js';
import { middleFit, optionValue } from './option-keys.js';
import {
  LIMITS,
  composeModal,
  context,
  escapeMrkdwn,
  exact,
  fit,
  joinWithMore,
  option,
  optionList,
  plainText,
  section,
  type KnownBlock,
  type PlainTextOption,
} from './limits.js';

export type ModalView = types.ModalView;

/** What a modal carries from the command to its submission (`private_metadata`, <= 3000 characters). */
export interface RequestMetadata {
  /** Channel where the request message goes. */
  channel: string;
  /** Channel where the command was typed (ephemeral messages go there). */
  commandChannel: string;
}

export function encodeMetadata(meta: RequestMetadata): string {
  return exact(JSON.stringify(meta), LIMITS.privateMetadata, 'private_metadata');
}

/** Channel ids as Slack writes them; nothing else is taken from a (forgeable) private_metadata. */
const CHANNEL_ID = /^[A-Z0-9][A-Z0-9_-]{0,63}$/i;

export function decodeMetadata(raw: string | undefined): RequestMetadata | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<RequestMetadata>;
    if (typeof value.channel === 'string' && typeof value.commandChannel === 'string' && CHANNEL_ID.test(value.channel) && CHANNEL_ID.test(value.commandChannel)) {
      return { channel: value.channel, commandChannel: value.commandChannel };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** Options are plain text (no escaping needed); a value over Slack's 75 characters is sent as a key (option-keys.ts). */
export function sourceOption(account: AccountChoice): PlainTextOption | undefined {
  return option(middleFit(account.address), optionValue(account.address), middleFit(`${platformLabel(account.platform)} · ${account.service}`));
}

export function destinationOption(service: ServiceChoice): PlainTextOption | undefined {
  return option(middleFit(service.label || service.name), optionValue(service.name), middleFit(`${platformLabel(service.platform)} · ${service.name}`));
}

export interface RequestModalInput {
  metadata: RequestMetadata;
  /** Given: a static select; absent: an external select loading them on demand (the modal opens at once). */
  destinations?: ServiceChoice[];
  prefill?: {
    source?: AccountChoice | string;
    destination?: string;
    temporaryName?: string;
    dryRun?: boolean;
    resetSourceAfter?: boolean;
  };
  /** The plan of the pre-filled request, shown above the inputs once preflight answered. */
  plan?: MigrationPlan;
  /** Problems found for a pre-filled request, shown above the inputs. */
  problems?: PreflightProblem[];
  /** HANDOVER_TO: who will be shown the password (the hint says so). */
  handoverTo?: 'requester' | 'approver';
}

/** The `/migrate-mailbox` modal (`callback_id` `migrate_mailbox`). */
export function requestModal(input: RequestModalInput): ModalView {
  const prefill = input.prefill ?? {};
  const blocks: KnownBlock[] = [];

  if (input.plan) blocks.push(planPreview(input.plan));
  if (input.problems && input.problems.length > 0) {
    blocks.push(section(`:warning: ${joinWithMore(input.problems.map((p) => escapeMrkdwn(p.message)), 2800, 10)}`));
  }

  const sourceInitial =
    typeof prefill.source === 'string' ? option(middleFit(prefill.source), optionValue(prefill.source)) : prefill.source ? sourceOption(prefill.source) : undefined;
  blocks.push({
    type: 'input',
    block_id: BLOCK.source,
    // a choice is sent at once, so that the plan and the temporary name can be shown before submitting
    dispatch_action: true,
    label: plainText('Mailbox to move (source account)', LIMITS.inputLabel),
    hint: plainText('Type part of the address: Exchange and E-mail Pro accounts are searched.', LIMITS.inputHint),
    element: {
      type: 'external_select',
      action_id: ACTION.source,
      min_query_length: 1,
      placeholder: plainText('john.smith@mydomain.ovh', LIMITS.placeholder),
      ...(sourceInitial ? { initial_option: sourceInitial } : {}),
    },
  });

  const destinationOptions = optionList((input.destinations ?? []).map(destinationOption));
  const destinationInitial = prefill.destination
    ? (destinationOptions.find((o) => o.value === optionValue(prefill.destination!)) ?? option(middleFit(prefill.destination), optionValue(prefill.destination)))
    : undefined;
  const useExternal = !input.destinations || input.destinations.length > LIMITS.selectOptions || destinationOptions.length === 0;
  blocks.push({
    type: 'input',
    block_id: BLOCK.destination,
    dispatch_action: true,
    label: plainText('Destination service', LIMITS.inputLabel),
    element: useExternal
      ? {
          type: 'external_select',
          action_id: ACTION.destination,
          min_query_length: 0,
          placeholder: plainText('E-mail Pro, Exchange or MX Plan service', LIMITS.placeholder),
          ...(destinationInitial ? { initial_option: destinationInitial } : {}),
        }
      : {
          type: 'static_select',
          action_id: ACTION.destination,
          placeholder: plainText('E-mail Pro, Exchange or MX Plan service', LIMITS.placeholder),
          options: destinationOptions,
          ...(destinationInitial && destinationOptions.some((o) => o.value === destinationInitial.value)
            ? { initial_option: destinationInitial }
            : {}),
        },
  });

  blocks.push({
    type: 'input',
    block_id: BLOCK.temporaryName,
    optional: true,
    label: plainText('Temporary name of the old account', LIMITS.inputLabel),
    hint: plainText(
      prefill.temporaryName
        ? 'Pre-filled by the naming rule; change it if that address is taken.'
        : 'Leave empty to use the rule (john.smith@mydomain.ovh becomes john.smith01@mydomain.ovh).',
      LIMITS.inputHint,
    ),
    element: {
      type: 'plain_text_input',
      action_id: ACTION.temporaryName,
      max_length: 254,
      ...(prefill.temporaryName ? { initial_value: fit(prefill.temporaryName, 254) } : {}),
    },
  });

  const checkboxOptions: PlainTextOption[] = [
    option('Dry run: check and plan only, change nothing', OPTION.dryRun)!,
    option('Reset the old account once the move is confirmed', OPTION.resetSource)!,
    option('Staged order: cut over as soon as the copy is ready', OPTION.cutoverWhenReady)!,
  ];
  const initialChecks = checkboxOptions.filter(
    (o) => (o.value === OPTION.dryRun && prefill.dryRun) || (o.value === OPTION.resetSource && prefill.resetSourceAfter),
  );
  blocks.push({
    type: 'input',
    block_id: BLOCK.options,
    optional: true,
    label: plainText('Options', LIMITS.inputLabel),
    element: {
      type: 'checkboxes',
      action_id: ACTION.options,
      options: checkboxOptions,
      ...(initialChecks.length > 0 ? { initial_options: initialChecks } : {}),
    },
  });

  blocks.push({
    type: 'input',
    block_id: BLOCK.password,
    optional: true,
    label: plainText('Password of the new account (optional)', LIMITS.inputLabel),
    hint: plainText(
      `Leave empty to have one generated to the service policy. It is shown to ${input.handoverTo === 'approver' ? 'the approver who approves the request' : 'you'} alone, ` +
        'in a window only they see, until they confirm they stored it. Slack does not mask this field.',
      LIMITS.inputHint,
    ),
    element: { type: 'plain_text_input', action_id: ACTION.password, max_length: 128 },
  });

  blocks.push({
    type: 'input',
    block_id: BLOCK.sourcePassword,
    optional: true,
    label: plainText('Current password of the mailbox (staged order)', LIMITS.inputLabel),
    hint: plainText(
      'With it, the mail is copied into the new account while its owner keeps working, and the switch itself takes minutes ("Cut over now" in the thread). ' +
        'Without it, the classic order: the old account is renamed first and the new one fills while its owner waits. Kept sealed, deleted after the copy. Slack does not mask this field.',
      LIMITS.inputHint,
    ),
    element: { type: 'plain_text_input', action_id: ACTION.sourcePassword, max_length: 128 },
  });

  return {
    type: 'modal',
    callback_id: CALLBACK.request,
    private_metadata: encodeMetadata(input.metadata),
    title: plainText('Migrate a mailbox', LIMITS.modalTitle),
    submit: plainText('Request', LIMITS.modalButton),
    close: plainText('Cancel', LIMITS.modalButton),
    blocks: composeModal(blocks),
  };
}

function planPreview(plan: MigrationPlan): KnownBlock {
  const parts = [
    `*${escapeMrkdwn(plan.source.address)}* (${platformLabel(plan.source.platform)}) → *${escapeMrkdwn(plan.destination.service)}* (${platformLabel(plan.destination.platform)})`,
    `size ${formatBytes(plan.sizeBytes)}`,
  ];
  if (plan.warnings.length > 0) parts.push(`:warning: ${plan.warnings.map(escapeMrkdwn).join(' · ')}`);
  return context([fit(parts.join(' · '), 2900)], BLOCK.planPreview);
}

/** The batch modal: one CSV file (`callback_id` `migrate_mailbox_batch`). */
export function batchModal(metadata: RequestMetadata): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK.batch,
    private_metadata: encodeMetadata(metadata),
    title: plainText('Migrate from a CSV', LIMITS.modalTitle),
    submit: plainText('Check and request', LIMITS.modalButton),
    close: plainText('Cancel', LIMITS.modalButton),
    blocks: composeModal([
      section(
        `One mailbox per row, after a header line with the columns ${CSV_COLUMNS.map((c) => `\`${c}\``).join(', ')} ` +
          `(${REQUIRED_CSV_COLUMNS.map((c) => `\`${c}\``).join(' and ')} required). ` +
          'Every row is checked first: nothing starts while any row is wrong.',
      ),
      {
        type: 'input',
        block_id: BLOCK.csvFile,
        label: plainText('CSV file', LIMITS.inputLabel),
        element: { type: 'file_input', action_id: ACTION.csvFile, filetypes: ['csv'], max_files: 1 },
      },
    ]),
  };
}

/** The view shown while a long check runs past Slack's 3-second answer window. */
export function pendingModal(callbackId: string, metadata: RequestMetadata, text: string): ModalView {
  return {
    type: 'modal',
    callback_id: callbackId,
    private_metadata: encodeMetadata(metadata),
    title: plainText('Migrate a mailbox', LIMITS.modalTitle),
    close: plainText('Close', LIMITS.modalButton),
    blocks: [section(text)],
  };
}
