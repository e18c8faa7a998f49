import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { pino } from 'pino';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { App } from '@slack/bolt';
import { configSchema } from '../../src/config/config.js';
import { AccessPolicy } from '../../src/slack/approvers.js';
import { registerListeners } from '../../src/slack/listeners/index.js';
import { ThreadRegistry } from '../../src/slack/registry.js';
import { ACTION, CALLBACK, COMMAND } from '../../src/slack/ids.js';
import { batchModal, requestModal } from '../../src/slack/blocks/request-modal.js';
import { MemoryMigrationService } from '../support/slack-memory-service.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const schemaPath = path.resolve(repoRoot, 'test/slack/slack-manifest.schema.json');
const manifest = parse(readFileSync(path.join(repoRoot, 'manifest.yml'), 'utf8'));

/** Records what the listeners register, through the same calls Bolt's App offers. */
function registrations() {
  const seen = { commands: [] as string[], views: [] as string[], actions: [] as string[], options: [] as string[], events: [] as string[] };
  const id = (c: unknown) => (typeof c === 'string' ? c : ((c as { action_id?: string; callback_id?: string }).action_id ?? (c as { callback_id: string }).callback_id));
  const fake = {
    command: (name: string) => seen.commands.push(name),
    view: (c: unknown) => seen.views.push(id(c)),
    action: (c: unknown) => seen.actions.push(id(c)),
    options: (c: unknown) => seen.options.push(id(c)),
    event: (name: string) => seen.events.push(name),
    use: () => undefined,
  } as unknown as App;
  const logger = pino({ level: 'silent' });
  const config = configSchema.parse({});
  registerListeners(fake, {
    config,
    service: new MemoryMigrationService(),
    logger,
    approvers: new AccessPolicy({ approvers: [], allowSelfApproval: false, client: {} as never, logger }),
    registry: new ThreadRegistry(),
    ackBudgetMs: 2500,
  });
  return seen;
}

/** Web API methods the Slack layer calls, read from its source, and the bot scopes each needs. */
const SCOPE_OF: Record<string, string | string[] | null> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'views.open': null,
  'views.update': null,
  'views.push': null,
  'views.publish': null,
  'files.info': 'files:read',
  'usergroups.users.list': 'usergroups:read',
  'conversations.open': 'im:write',
  // the request threads live in public or private channels
  'conversations.replies': ['channels:history', 'groups:history'],
};

function methodsUsed(): Set<string> {
  const used = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) {
        for (const m of readFileSync(full, 'utf8').matchAll(/\bclient\.((?:[a-z]+\.)+[a-zA-Z]+)\(/g)) used.add(m[1]!);
      }
    }
  };
  walk(path.join(repoRoot, 'src/slack'));
  return used;
}

describe('manifest.yml', () => {
  it('is valid against the Slack manifest JSON schema (bot display-name pattern relaxed)', () => {
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
    // that pattern (`^[\w\-.]+$`) refuses names Slack itself accepts, such as "Mailbox Migrator"
    delete schema.properties.features.properties.bot_user.properties.display_name.pattern;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const ok = validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the strict schema rejects only the display name (so the relaxation hides nothing else)', () => {
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    validate(manifest);
    expect((validate.errors ?? []).map((e) => e.instancePath)).toEqual(['/features/bot_user/display_name']);
  });

  it('declares exactly the command the code registers, with a usage hint', () => {
    const seen = registrations();
    expect(seen.commands).toEqual([COMMAND]);
    expect(manifest.features.slash_commands.map((c: { command: string }) => c.command)).toEqual(seen.commands);
    expect(manifest.features.slash_commands[0].usage_hint).toMatch(/status/);
  });

  it('has interactivity on (modals, buttons, external selects) and Socket Mode enabled', () => {
    const seen = registrations();
    expect(seen.views.sort()).toEqual([CALLBACK.batch, CALLBACK.request, CALLBACK.passwordAck].sort());
    expect(requestModal({ metadata: { channel: 'C', commandChannel: 'C' } }).callback_id).toBe('migrate_mailbox');
    expect(batchModal({ channel: 'C', commandChannel: 'C' }).callback_id).toBe(CALLBACK.batch);
    expect(seen.actions.sort()).toEqual(
      [
        'migration_approve',
        'migration_reject',
        ACTION.batchApprove,
        ACTION.batchReject,
        ACTION.resetSource,
        ACTION.resetSourceForce,
        ACTION.retry,
        ACTION.undo,
        ACTION.cutover,
        ACTION.showPassword,
        ACTION.source,
        ACTION.destination,
      ].sort(),
    );
    expect(seen.options.sort()).toEqual([ACTION.destination, ACTION.source].sort());
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
  });

  it('subscribes to exactly the events the code listens to, and enables the Home tab it publishes', () => {
    const seen = registrations();
    expect(seen.events).toEqual(['app_home_opened']);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(seen.events);
    expect(manifest.features.app_home).toEqual({ home_tab_enabled: true, messages_tab_enabled: true, messages_tab_read_only_enabled: true });
    // the Home tab is published with views.publish, which needs no scope
    expect(methodsUsed()).toContain('views.publish');
  });

  it('asks for the scopes the code needs, and no others', () => {
    const used = methodsUsed();
    for (const method of used) expect(Object.keys(SCOPE_OF), `unknown Web API method ${method}: add its scope`).toContain(method);
    const needed = new Set(['commands', ...[...used].flatMap((m) => SCOPE_OF[m] ?? [])]);
    // chat:write.public: post in SLACK_REQUESTS_CHANNEL or the command's channel without an invitation
    needed.add('chat:write.public');
    expect(new Set(manifest.oauth_config.scopes.bot)).toEqual(needed);
  });
});
