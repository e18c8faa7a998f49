import { describe, expect, it } from 'vitest';
import type { MigrationPlan } from '../../src/pipeline/migration-service.js';
import { formatBytes, formatDuration, textBar } from '../../src/slack/blocks/format.js';
import {
  BlockLimitError,
  LIMITS,
  button,
  composeMessage,
  fields,
  fit,
  header,
  joinWithMore,
  option,
  optionList,
  pageLines,
  section,
} from '../../src/slack/blocks/limits.js';
import { finalReportMessage } from '../../src/slack/blocks/report.js';
import { requestMessage } from '../../src/slack/blocks/request-message.js';
import { batchModal, decodeMetadata, encodeMetadata, requestModal } from '../../src/slack/blocks/request-modal.js';
import { batchSummaryMessage, failureMessage, progressMessage, stagingMessage, statusMessage, stepMessage } from '../../src/slack/blocks/thread.js';
import { withoutButtons } from '../../src/slack/listeners/decision.js';
import { parseCommand } from '../../src/slack/listeners/command.js';
import { ACTION, buttonValue } from '../../src/slack/ids.js';
import { blockKitViolations, viewViolations } from '../support/fake-slack-api.js';

const plan: MigrationPlan = {
  jobId: 'job-42',
  source: { address: 'john.smith@mydomain.ovh', platform: 'exchange', service: 'org/hosted-1' },
  destination: { address: 'john.smith@mydomain.ovh', platform: 'emailpro', service: 'emailpro-1' },
  temporaryAddress: 'john.smith01@mydomain.ovh',
  sizeBytes: 3 * 1024 ** 3,
  warnings: ['Calendars are not migrated.'],
  features: [
    { kind: 'alias', key: 'alias:john.smith@mydomain.ovh:js@mydomain.ovh', target: 'alias js@mydomain.ovh of john.smith@mydomain.ovh', verdict: 'create' },
    { kind: 'externalContact', key: 'externalContact:partner@example.com', target: 'external contact partner@example.com (Partner)', verdict: 'exists' },
    { kind: 'right', key: 'right:fullAccess:john.smith@mydomain.ovh:jane@mydomain.ovh', target: 'full access on john.smith@mydomain.ovh for jane@mydomain.ovh', verdict: 'pending', detail: 'waits for jane@mydomain.ovh on emailpro-1', waitsFor: ['jane@mydomain.ovh'] },
    { kind: 'group', key: 'group:sales@mydomain.ovh', target: 'group sales@mydomain.ovh', verdict: 'byHand', detail: 'E-mail Pro has no groups', instruction: 'keep the group on an Exchange service' },
    { kind: 'externalContact', key: 'externalContact:supplier@example.org', target: 'external contact supplier@example.org (Supplier)', verdict: 'conflict', detail: 'displayName is "Old" there, "Supplier" on the source' },
  ],
};

describe('limits guard', () => {
  it('fit shortens with an ellipsis and never splits a surrogate pair', () => {
    expect(fit('abc', 3)).toBe('abc');
    expect(fit('abcdef', 4)).toBe('abc…');
    const emoji = `${'a'.repeat(2)}😀😀`;
    const cut = fit(emoji, 4);
    expect(cut.length).toBeLessThanOrEqual(4);
    expect(cut).not.toMatch(/[\uD800-\uDBFF]…$/);
  });

  it('text blocks are cut to Slack lengths', () => {
    expect((header('h'.repeat(500)) as { text: { text: string } }).text.text).toHaveLength(LIMITS.headerText);
    expect((section('s'.repeat(5000)) as { text: { text: string } }).text.text).toHaveLength(LIMITS.sectionText);
    const f = fields(Array.from({ length: 14 }, (_, i) => `field ${i}`)) as { fields: { text: string }[] };
    expect(f.fields).toHaveLength(10);
    expect(f.fields[9]!.text).toBe('… 5 more');
  });

  it('identifiers are never cut: a too-long action id or value throws', () => {
    expect(() => button({ text: 'x', actionId: 'a'.repeat(256), value: 'v' })).toThrow(BlockLimitError);
    expect(() => button({ text: 'x', actionId: 'a', value: 'v'.repeat(2001) })).toThrow(BlockLimitError);
    expect(button({ text: 'b'.repeat(100), actionId: 'a', value: 'v' }).text.text).toHaveLength(75);
    expect(option('text', 'v'.repeat(76))).toBeUndefined();
    expect(option('t'.repeat(100), 'v')!.text.text).toHaveLength(75);
  });

  it('option lists hold at most 100, the last saying how many more', () => {
    const list = optionList(Array.from({ length: 130 }, (_, i) => option(`o${i}`, `v${i}`)));
    expect(list).toHaveLength(100);
    expect(list[99]!.text.text).toMatch(/^… 31 more/);
    expect(optionList([option('a', 'a'), undefined])).toHaveLength(1);
  });

  it('joinWithMore keeps within the budget and says what it left out', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `line number ${i}`);
    const text = joinWithMore(lines, 300);
    expect(text.length).toBeLessThanOrEqual(300);
    const shown = text.split('\n').length - 1;
    expect(text.endsWith(`… ${500 - shown} more`)).toBe(true);
    expect(joinWithMore(['a', 'b'], 100)).toBe('a\nb');
    expect(joinWithMore(lines, 10_000, 3)).toBe('line number 0\nline number 1\nline number 2\n… 497 more');
  });

  it('pageLines splits into pages within the size, the last one ending with "… N more"', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `• \`Folder/${i}\`: ${i} missing`);
    const pages = pageLines(lines, 1500, 2);
    expect(pages).toHaveLength(2);
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(1500);
    const shown = pages.join('\n').split('\n').filter((l) => l.startsWith('•')).length;
    expect(pages[1]!.endsWith(`… ${1000 - shown} more`)).toBe(true);
    expect(pageLines(['a', 'b'], 100, 3)).toEqual(['a\nb']);
  });

  it('composeMessage keeps the footer and cuts the body at 50 blocks and the text budget', () => {
    const body = Array.from({ length: 80 }, (_, i) => section(`section ${i}`));
    const footer = [section('footer')];
    const blocks = composeMessage(body, footer);
    expect(blocks).toHaveLength(50);
    expect(blocks.at(-1)).toEqual(footer[0]);
    expect(JSON.stringify(blocks.at(-2))).toContain('… 32 more sections');
    const heavy = Array.from({ length: 10 }, () => section('x'.repeat(2900)));
    const cut = composeMessage(heavy, footer);
    expect(blockKitViolations(cut, 'message')).toEqual([]);
    expect(JSON.stringify(cut)).toContain('more sections left out');
  });
});

describe('Block Kit builders', () => {
  it('request modal: callback id, inputs, metadata round trip, pre-fill', () => {
    const metadata = { channel: 'C1', commandChannel: 'C2' };
    const view = requestModal({ metadata, prefill: { source: 'john.smith@mydomain.ovh', destination: 'emailpro-1', temporaryName: 'john.smith01@mydomain.ovh', dryRun: true } });
    expect(view.callback_id).toBe('migrate_mailbox');
    expect(viewViolations(view)).toEqual([]);
    expect(decodeMetadata(view.private_metadata)).toEqual(metadata);
    expect(decodeMetadata('not json')).toBeUndefined();
    const json = JSON.stringify(view.blocks);
    expect(json).toContain('"initial_value":"john.smith01@mydomain.ovh"');
    expect(json).toContain('"value":"dry_run"');
    expect(() => encodeMetadata({ channel: 'C'.repeat(3001), commandChannel: 'C' })).toThrow(BlockLimitError);
  });

  it('request modal with a static destination list over 100 services falls back to an external select', () => {
    const services = Array.from({ length: 150 }, (_, i) => ({ platform: 'emailpro' as const, name: `emailpro-${i}`, label: `E-mail Pro ${i}` }));
    const view = requestModal({ metadata: { channel: 'C', commandChannel: 'C' }, destinations: services });
    expect(JSON.stringify(view.blocks)).toContain('"type":"external_select","action_id":"destination_select"');
    const small = requestModal({ metadata: { channel: 'C', commandChannel: 'C' }, destinations: services.slice(0, 3) });
    expect(viewViolations(small)).toEqual([]);
    expect(JSON.stringify(small.blocks)).toContain('"type":"static_select"');
  });

  it('batch modal: one CSV file', () => {
    expect(viewViolations(batchModal({ channel: 'C', commandChannel: 'C' }))).toEqual([]);
  });

  it('request message: plan, warnings, features, Approve/Reject with confirm; decided form without buttons', () => {
    const pending = requestMessage({ plan, requester: { kind: 'slack', id: 'U1' }, nonce: 'nonce-42-abcdef', resetSourceAfter: true });
    expect(blockKitViolations(pending.blocks, 'message')).toEqual([]);
    const json = JSON.stringify(pending.blocks);
    expect(json).toContain('3.00 GiB');
    expect(json).toContain('group sales@mydomain.ovh — E-mail Pro has no groups');
    expect(json).toContain('reset the old account afterwards');
    const actions = pending.blocks.find((b) => b.type === 'actions') as { elements: { action_id: string; value: string; confirm?: unknown }[] };
    expect(actions.elements.map((e) => e.action_id)).toEqual([ACTION.approve, ACTION.reject]);
    expect(actions.elements.every((e) => e.value === buttonValue('job-42', 'nonce-42-abcdef') && e.confirm)).toBe(true);
    const decided = requestMessage({ plan, requester: { kind: 'slack', id: 'U1' }, nonce: 'nonce-42-abcdef', decision: { changed: true, state: 'rejected', by: { kind: 'slack', id: 'U2' }, at: '2026-11-25T10:00:00Z' } });
    expect(decided.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(decided.blocks)).toContain('Rejected by <@U2> on <!date^1795600800^');
  });

  it('withoutButtons swaps the decision buttons for the decision line, keeping the plan', () => {
    const pending = requestMessage({ plan, requester: { kind: 'slack', id: 'U1' }, nonce: 'nonce-42-abcdef' });
    const line = section('decided');
    const after = withoutButtons(pending.blocks, line);
    expect(after.some((b) => b.type === 'actions')).toBe(false);
    expect(after.at(-1)).toBe(line);
    expect(after).toHaveLength(pending.blocks.length);
  });

  it('the request shows each feature of the source under its verdict, with why and what to do', () => {
    const text = JSON.stringify(requestMessage({ plan, requester: { kind: 'slack', id: 'U1' }, nonce: 'nonce-42-abcdef' }).blocks);
    expect(text).toContain('*To create on the destination* (1)\\n• alias js@mydomain.ovh of john.smith@mydomain.ovh');
    expect(text).toContain('*Already there* (1)\\n• external contact partner@example.com (Partner)');
    expect(text).toContain('• full access on john.smith@mydomain.ovh for jane@mydomain.ovh — waits for jane@mydomain.ovh on emailpro-1');
    expect(text).toContain('*By hand* (1)\\n• group sales@mydomain.ovh — E-mail Pro has no groups. _To do:_ keep the group on an Exchange service');
    expect(text).toMatch(/\*Conflicts: [^*]*\* \(1\)\\n• external contact supplier@example.org \(Supplier\) — displayName is \\"Old\\" there/);
  });

  it('a plan with hundreds of warnings and features stays within limits', () => {
    const verdicts = ['create', 'exists', 'pending', 'byHand', 'conflict'] as const;
    const features = Array.from({ length: 1000 }, (_, i) => ({
      kind: 'right' as const,
      key: `right:sendAs:user${i}@mydomain.ovh:john.smith@mydomain.ovh`,
      target: `send as on user${i}@mydomain.ovh for john.smith@mydomain.ovh `.repeat(5),
      verdict: verdicts[i % 5]!,
      detail: `why ${i} `.repeat(60),
      instruction: `what to do ${i} `.repeat(60),
    }));
    const huge = { ...plan, warnings: Array.from({ length: 400 }, (_, i) => `warning ${i} `.repeat(20)), features };
    const message = requestMessage({ plan: huge, requester: { kind: 'slack', id: 'U1' }, nonce: 'nonce-42-abcdef' });
    expect(blockKitViolations(message.blocks, 'message')).toEqual([]);
    expect(JSON.stringify(message.blocks)).toMatch(/… \d+ more/);
  });

  it('progress: a text bar, messages, MiB, rate, ETA', () => {
    const m = progressMessage({ phase: 'copying', folder: 'INBOX', messagesDone: 2500, messagesTotal: 5000, bytesDone: 50 * 1048576, bytesTotal: 100 * 1048576, rate: 3 * 1048576, etaSeconds: 17 });
    const text = JSON.stringify(m.blocks);
    expect(text).toContain('[██████████░░░░░░░░░░] 50%');
    expect(text).toContain('2,500 / 5,000 messages');
    expect(text).toContain('50.0 / 100.0 MiB');
    expect(text).toContain('3.0 MiB/s');
    expect(text).toContain('ETA 17 s');
    expect(textBar(2)).toBe(`[${'█'.repeat(20)}] 100%`);
    expect(textBar(Number.NaN)).toBe(`[${'░'.repeat(20)}] 0%`);
  });

  it('steps, failures, status and batch summary stay within limits', () => {
    expect(blockKitViolations(stepMessage({ name: 'copy', status: 'failed', detail: 'x'.repeat(10_000) }).blocks, 'message')).toEqual([]);
    const failure = failureMessage({ jobId: 'job-1', nonce: 'nonce-1-abcdef', step: 'copy', error: '```'.repeat(3000), undoAvailable: false });
    expect(blockKitViolations(failure.blocks, 'message')).toEqual([]);
    expect(JSON.stringify(failure.blocks)).not.toContain(ACTION.undo);
    const rows = Array.from({ length: 1000 }, (_, i) => ({ jobId: `job-${i}`, address: `user${i}@mydomain.ovh`, state: 'queued' as const }));
    const summary = batchSummaryMessage({ batchId: 'b1', nonce: 'bnonce-1-abcdef', requester: 'U1', rows });
    expect(blockKitViolations(summary.blocks, 'message')).toEqual([]);
    expect(JSON.stringify(summary.blocks)).toMatch(/… \d+ more/);
    const statuses = Array.from({ length: 60 }, (_, i) => ({
      jobId: `job-${i}`,
      plan,
      state: 'running' as const,
      steps: [],
      requester: { kind: 'slack' as const, id: 'U1' },
      undoAvailable: false,
      nonce: `nonce-${i}-abcdef`,
      handover: { to: 'requester' as const, typedByRequester: false, state: 'pending' as const },
      run: 1,
      dryRun: false,
    }));
    expect(blockKitViolations(statusMessage(statuses).blocks, 'message')).toEqual([]);
  });

  it('final report with 300 folders, 300 out of sync and long DNS values stays within limits', () => {
    const folders = Array.from({ length: 300 }, (_, i) => ({ from: `F/${i}/${'n'.repeat(100)}`, to: `F/${i}`, total: 10, copied: 9, skipped: 0, failed: 1 }));
    const message = finalReportMessage({
      jobId: 'job-1',
      nonce: 'nonce-1-abcdef',
      source: 'john.smith@mydomain.ovh',
      report: {
        copy: { ok: false, messages: { total: 3000, copied: 2700, skipped: 0, failed: 300 }, bytes: 1, seconds: 1, folders },
        foldersNotInSync: folders.map((f, i) => ({ folder: f.from, missing: i })),
        dns: Array.from({ length: 30 }, () => ({ record: 'DKIM' as const, ok: false, current: [], expected: ['v=DKIM1; k=rsa; p=' + 'A'.repeat(800)] })),
        features: Array.from({ length: 600 }, (_, i) => ({
          kind: 'alias' as const,
          key: `alias:john.smith@mydomain.ovh:alias${i}@mydomain.ovh`,
          target: `alias alias${i}@mydomain.ovh of john.smith@mydomain.ovh`,
          status: (['created', 'exists', 'pending', 'byHand', 'conflict', 'failed'] as const)[i % 6]!,
          detail: `detail ${i} `.repeat(50),
          instruction: `instruction ${i} `.repeat(50),
        })),
      },
    });
    expect(blockKitViolations(message.blocks, 'message')).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    // worst folders first
    expect(JSON.stringify(message.blocks)).toContain('299 missing');
    expect(message.blocks.at(-1)!.type).toBe('actions');
  });

  it('the final report has three feature sections: recreated, pending (waiting for whom), by hand (with what to do)', () => {
    const feature = (status: 'created' | 'exists' | 'pending' | 'byHand' | 'conflict' | 'failed', target: string, detail?: string, instruction?: string) => ({
      kind: 'right' as const,
      key: `k:${target}`,
      target,
      status,
      ...(detail ? { detail } : {}),
      ...(instruction ? { instruction } : {}),
    });
    const message = finalReportMessage({
      jobId: 'job-1',
      nonce: 'nonce-1-abcdef',
      source: 'john.smith@mydomain.ovh',
      report: {
        foldersNotInSync: [],
        dns: [],
        features: [
          feature('created', 'alias js@mydomain.ovh of john.smith@mydomain.ovh'),
          feature('exists', 'external contact partner@example.com (Partner)'),
          feature('pending', 'full access on john.smith@mydomain.ovh for jane@mydomain.ovh', 'waits for jane@mydomain.ovh on emailpro-1'),
          feature('byHand', 'forwarding of john.smith@mydomain.ovh to j@example.com', 'E-mail Pro accounts have no forwarding setting', 'create an inbox rule'),
          feature('conflict', 'footer of @mydomain.ovh', 'content differs', 'compare both'),
          feature('failed', 'external contact new@example.net (New)', 'OVH task 12 ended with status error', 'look at task 12'),
        ],
      },
    });
    const sections = message.blocks.filter((b) => b.type === 'section').map((b) => (b as { text: { text: string } }).text.text);
    expect(sections).toContain(
      ':white_check_mark: *Recreated on the destination (2)*\n• alias js@mydomain.ovh of john.smith@mydomain.ovh — created\n• external contact partner@example.com (Partner) — already there',
    );
    expect(sections).toContain(
      ':hourglass_flowing_sand: *Pending (1): recreated once the other mailbox is migrated to the same service*\n• full access on john.smith@mydomain.ovh for jane@mydomain.ovh — waits for jane@mydomain.ovh on emailpro-1',
    );
    expect(sections).toContain(
      ':raised_hand: *To recreate by hand (3)*\n' +
        '• forwarding of john.smith@mydomain.ovh to j@example.com — by hand: E-mail Pro accounts have no forwarding setting. _To do:_ create an inbox rule\n' +
        '• footer of @mydomain.ovh — conflict: content differs. _To do:_ compare both\n' +
        '• external contact new@example.net (New) — failed: OVH task 12 ended with status error. _To do:_ look at task 12',
    );
  });

  it('formats sizes and durations', () => {
    expect(formatBytes(undefined)).toBe('unknown');
    expect(formatBytes(5 * 1048576)).toBe('5.0 MiB');
    expect(formatDuration(3725)).toBe('1 h 2 min');
    expect(formatDuration(75)).toBe('1 min 15 s');
  });
});

describe('command parsing', () => {
  it('understands every sub-command', () => {
    expect(parseCommand('')).toEqual({ kind: 'open' });
    expect(parseCommand('  help ')).toEqual({ kind: 'help' });
    expect(parseCommand('batch')).toEqual({ kind: 'batch' });
    expect(parseCommand('status')).toEqual({ kind: 'status' });
    expect(parseCommand('status job-1')).toEqual({ kind: 'status', query: 'job-1' });
    expect(parseCommand('cancel job-1')).toEqual({ kind: 'cancel', jobId: 'job-1' });
    expect(parseCommand('cancel').kind).toBe('help');
    expect(parseCommand('john@x.ovh to emailpro-1')).toEqual({ kind: 'open', source: 'john@x.ovh', destination: 'emailpro-1' });
    expect(parseCommand('<mailto:john@x.ovh|john@x.ovh> TO emailpro-1')).toEqual({ kind: 'open', source: 'john@x.ovh', destination: 'emailpro-1' });
    expect(parseCommand('john@x.ovh')).toEqual({ kind: 'open', source: 'john@x.ovh' });
    expect(parseCommand('john@x.ovh from y').kind).toBe('help');
  });
});

describe('the staging message', () => {
  const staging = { stagedAddress: 'a.migrating@d.ovh', passes: 3, copied: 12, removed: 2, lastSyncAt: '2026-12-01T10:00:00Z', nextSyncAt: '2026-12-01T11:00:00Z' };
  const buttonsOf = (blocks: unknown[]) => JSON.stringify(blocks).match(/"action_id":"([a-z_]+)"/g) ?? [];

  it('while it waits: the counts, the next delta and "Cut over now" carrying the nonce and the job', () => {
    const message = stagingMessage({ jobId: 'mig-a@d.ovh', nonce: 'N1', staging, waiting: true, source: 'a@d.ovh' });
    expect(blockKitViolations(message.blocks!, 'message')).toEqual([]);
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('3 delta pass(es) so far: 12 new message(s) copied, 2 removed');
    expect(text).toContain('Next delta');
    expect(buttonsOf(message.blocks!)).toEqual([`"action_id":"${ACTION.cutover}"`]);
    expect(text).toContain(`"value":"${buttonValue('mig-a@d.ovh', 'N1')}"`);
  });

  it('once the cut-over was asked: who asked, and no button', () => {
    const message = stagingMessage({ jobId: 'mig-a@d.ovh', nonce: 'N1', staging: { ...staging, cutover: { by: 'U42', at: '2026-12-01T10:30:00Z' } }, waiting: false, source: 'a@d.ovh' });
    expect(buttonsOf(message.blocks!)).toEqual([]);
    expect(JSON.stringify(message.blocks)).toContain('Cut-over asked by <@U42>');
    expect(JSON.stringify(message.blocks)).not.toContain('Next delta');
  });
});

describe('the failure message of a staged run', () => {
  const staged: MigrationPlan = { ...plan, order: { kind: 'staged', reason: 'copy ahead', stagedAddress: 'john.smith.migrating@mydomain.ovh' } };

  it('before the rename, Undo removes the staged account and says the source stays as it is', () => {
    const message = failureMessage({ jobId: 'job-1', nonce: 'n1', step: 'stage', error: 'boom', undoAvailable: true, plan: staged, sourceRenamed: false });
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('Undo: remove the staged account');
    expect(text).toContain('john.smith.migrating@mydomain.ovh');
    expect(text).toContain('The source was never renamed');
    expect(text).not.toContain('renames the temporary source');
  });

  it('after the rename, Undo renames the source back as in the classic order', () => {
    const text = JSON.stringify(failureMessage({ jobId: 'job-1', nonce: 'n1', step: 'rename-destination', error: 'boom', undoAvailable: true, plan: staged, sourceRenamed: true }).blocks);
    expect(text).toContain('rename the source back');
    expect(text).toContain('renames the temporary source');
  });
});
