import type { FeatureVerdict, PlannedFeature, ReportedFeature } from '../../pipeline/migration-service.js';
import { featureSections } from '../../pipeline/report.js';
import { escapeFit } from './mrkdwn.js';
import { joinWithMore, section, type KnownBlock } from './limits.js';

/**
 * Features in Block Kit: the plan's verdicts (request message) and the report's three sections (final report).
 * Every text came from OVH (names, addresses, instructions): escaped; every list is cut with "… N more" so that
 * the whole message stays within Slack's limits whatever the mailbox holds.
 */

/** Characters and lines per section: five sections of features stay far below a message's 10,000 characters. */
const SECTION_CHARS = 1000;
const SECTION_LINES = 25;
const TARGET_CHARS = 200;
const DETAIL_CHARS = 300;

function line(target: string, detail?: string, instruction?: string): string {
  return (
    `• ${escapeFit(target, TARGET_CHARS)}` +
    (detail ? ` — ${escapeFit(detail, DETAIL_CHARS)}` : '') +
    (instruction ? `. _To do:_ ${escapeFit(instruction, DETAIL_CHARS)}` : '')
  );
}

const VERDICT_TITLE: Record<FeatureVerdict, string> = {
  create: ':heavy_plus_sign: *To create on the destination*',
  exists: ':white_check_mark: *Already there*',
  pending: ':hourglass_flowing_sand: *Pending: waits for another mailbox to be migrated to the same service*',
  conflict: ':warning: *Conflicts: already there with other values (never overwritten)*',
  byHand: ':raised_hand: *By hand*',
};

/** One section per verdict, in the order people act on them. */
export function plannedFeatureBlocks(features: readonly PlannedFeature[]): KnownBlock[] {
  const order: FeatureVerdict[] = ['create', 'exists', 'pending', 'conflict', 'byHand'];
  const blocks: KnownBlock[] = [];
  for (const verdict of order) {
    const these = features.filter((f) => f.verdict === verdict);
    if (these.length === 0) continue;
    const lines = these.map((f) => (verdict === 'create' || verdict === 'exists' ? line(f.target) : line(f.target, f.detail, f.instruction)));
    blocks.push(section(`${VERDICT_TITLE[verdict]} (${these.length})\n${joinWithMore(lines, SECTION_CHARS, SECTION_LINES)}`));
  }
  return blocks;
}

const STATUS_NOTE: Record<ReportedFeature['status'], string> = {
  created: 'created',
  exists: 'already there',
  pending: 'pending',
  byHand: 'by hand',
  conflict: 'conflict',
  failed: 'failed',
};

/** The report's three sections: recreated, pending (waiting for whom), by hand (with conflicts and failures). */
export function reportedFeatureBlocks(features: readonly ReportedFeature[]): KnownBlock[] {
  const { recreated, pending, byHand } = featureSections(features);
  const blocks: KnownBlock[] = [];
  if (recreated.length) {
    const lines = recreated.map((f) => line(f.target, STATUS_NOTE[f.status]));
    blocks.push(section(`:white_check_mark: *Recreated on the destination (${recreated.length})*\n${joinWithMore(lines, SECTION_CHARS, SECTION_LINES)}`));
  }
  if (pending.length) {
    const lines = pending.map((f) => line(f.target, f.detail));
    blocks.push(section(`:hourglass_flowing_sand: *Pending (${pending.length}): recreated once the other mailbox is migrated to the same service*\n${joinWithMore(lines, SECTION_CHARS, SECTION_LINES)}`));
  }
  if (byHand.length) {
    const lines = byHand.map((f) => line(f.target, `${STATUS_NOTE[f.status]}${f.detail ? `: ${f.detail}` : ''}`, f.instruction));
    blocks.push(section(`:raised_hand: *To recreate by hand (${byHand.length})*\n${joinWithMore(lines, SECTION_CHARS * 2, SECTION_LINES)}`));
  }
  return blocks;
}
