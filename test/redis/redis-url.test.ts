import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { connectionFromUrl } from '../../src/pipeline/runtime.js';

describe('REDIS_URL for one server', () => {
  it('keeps reading redis:// and rediss:// as before', () => {
    expect(connectionFromUrl('redis://:s%40cret@redis.example:6380/2')).toEqual({
      host: 'redis.example',
      port: 6380,
      username: undefined,
      password: 's@cret',
      db: 2,
      tls: undefined,
    });
    expect(connectionFromUrl('rediss://redis.example')).toMatchObject({ host: 'redis.example', port: 6379, tls: {} });
  });
});

describe('REDIS_URL for Redis Sentinel', () => {
  it('becomes ioredis sentinel options: every sentinel, the master name, default port 26379', () => {
    expect(connectionFromUrl('redis+sentinel://host1:26379,host2:26380,host3/mymaster')).toEqual({
      sentinels: [
        { host: 'host1', port: 26379 },
        { host: 'host2', port: 26380 },
        { host: 'host3', port: 26379 },
      ],
      name: 'mymaster',
      failoverDetector: true,
    });
  });

  it("carries the master's credentials and database, the sentinels' own credentials from the query, IPv6 hosts", () => {
    expect(connectionFromUrl('redis+sentinel://app:p%40ss%3Aword@[::1]:26379,10.0.0.2/prod-master/3?sentinelPassword=s3nt%26&sentinelUsername=watcher')).toEqual({
      sentinels: [
        { host: '::1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
      ],
      name: 'prod-master',
      failoverDetector: true,
      username: 'app',
      password: 'p@ss:word',
      db: 3,
      sentinelUsername: 'watcher',
      sentinelPassword: 's3nt&',
    });
    expect(connectionFromUrl('redis+sentinel://:only-password@h:1/m')).toEqual({ sentinels: [{ host: 'h', port: 1 }], name: 'm', failoverDetector: true, password: 'only-password' });
  });

  it('rediss+sentinel:// asks for TLS to the sentinels and to the master', () => {
    expect(connectionFromUrl('rediss+sentinel://h:26379/m')).toEqual({
      sentinels: [{ host: 'h', port: 26379 }],
      name: 'm',
      failoverDetector: true,
      tls: {},
      sentinelTLS: {},
      enableTLSForSentinelMode: true,
    });
  });

  it('refuses a Sentinel URL without a master name, saying what it should look like', () => {
    expect(() => connectionFromUrl('redis+sentinel://h1:26379,h2:26379')).toThrow(/redis\+sentinel:\/\/\[:PASSWORD@\]HOST:PORT\[,HOST:PORT\.\.\.\]\/MASTER/);
    expect(() => connectionFromUrl('redis+sentinel://h1:port/m')).toThrow(/"h1:port" is not HOST:PORT/);
  });

  it('the configuration accepts the URL, or REDIS_SENTINELS + REDIS_SENTINEL_NAME written as that URL', () => {
    expect(loadConfig({ REDIS_URL: 'redis+sentinel://a:26379,b:26379/mymaster' }).REDIS_URL).toBe('redis+sentinel://a:26379,b:26379/mymaster');
    const config = loadConfig({ REDIS_SENTINELS: 'a:26379, b', REDIS_SENTINEL_NAME: 'mymaster' });
    expect(config.REDIS_URL).toBe('redis+sentinel://a:26379,b/mymaster');
    expect(connectionFromUrl(config.REDIS_URL!)).toEqual({
      sentinels: [
        { host: 'a', port: 26379 },
        { host: 'b', port: 26379 },
      ],
      name: 'mymaster',
      failoverDetector: true,
    });
  });

  it('refuses half a Sentinel configuration, or two Redis configurations at once, naming the variables', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems({ REDIS_SENTINELS: 'a:26379' })).toEqual(['REDIS_SENTINEL_NAME: required with REDIS_SENTINELS: the master name the sentinels monitor']);
    expect(problems({ REDIS_SENTINEL_NAME: 'mymaster' })).toEqual(['REDIS_SENTINELS: required with REDIS_SENTINEL_NAME: the sentinels, HOST:PORT[,HOST:PORT...]']);
    expect(problems({ REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_NAME: 'm', REDIS_URL: 'redis://x:6379' })).toEqual([
      'REDIS_SENTINELS: set either REDIS_URL or REDIS_SENTINELS with REDIS_SENTINEL_NAME, not both',
    ]);
    expect(problems({ REDIS_SENTINELS: 'a:b:c' })[0]).toMatch(/^REDIS_SENTINELS: must be HOST:PORT\[,HOST:PORT\.\.\.\]/);
  });
});
