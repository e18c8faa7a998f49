import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireConfig } from '../../src/config/config.js';

describe('loadConfig', () => {
  it('applies defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.SLACK_MODE).toBe('socket');
    expect(config.APPROVERS).toEqual([]);
    expect(config.REDIS_URL).toBeUndefined();
  });

  it('AUDIT_RETENTION_DAYS: 365 by default, a whole number of days from 1, anything else refused by name', () => {
    expect(loadConfig({}).AUDIT_RETENTION_DAYS).toBe(365);
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '30' }).AUDIT_RETENTION_DAYS).toBe(30);
    for (const bad of ['0', '-5', '1.5', 'forever']) expect(() => loadConfig({ AUDIT_RETENTION_DAYS: bad })).toThrow(/AUDIT_RETENTION_DAYS/);
  });

  it('parses lists and flags', () => {
    const config = loadConfig({ APPROVERS: 'U123, S456  U789', ALLOW_SELF_APPROVAL: 'yes', IMAP_CONNECTIONS: '6' });
    expect(config.APPROVERS).toEqual(['U123', 'S456', 'U789']);
    expect(config.ALLOW_SELF_APPROVAL).toBe(true);
    expect(config.IMAP_CONNECTIONS).toBe(6);
  });

  it('names every bad variable at once and says what to do', () => {
    let error: unknown;
    try {
      loadConfig({ REDIS_URL: 'localhost:6379', SLACK_BOT_TOKEN: 'xoxp-user', SECRETS_KEY: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('REDIS_URL: must look like redis://HOST:PORT');
    expect(message).toContain('SLACK_BOT_TOKEN: must be a bot token starting with xoxb-');
    expect(message).toContain('SECRETS_KEY: must be 32 bytes');
    expect(message).toContain('openssl rand -hex 32');
    expect((error as ConfigError).problems).toHaveLength(3);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ REDIS_URL: '' }).REDIS_URL).toBeUndefined();
  });

  it('requireConfig reports the missing variables with the reason', () => {
    const config = loadConfig({ OVH_APP_KEY: 'ak' });
    expect(() => requireConfig(config, ['OVH_APP_KEY', 'OVH_APP_SECRET', 'OVH_CONSUMER_KEY'], 'to call the OVH API')).toThrow(
      /OVH_APP_SECRET: required to call the OVH API[\s\S]*OVH_CONSUMER_KEY: required to call the OVH API/,
    );
  });
});
