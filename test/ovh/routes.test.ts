import { describe, expect, it } from 'vitest';
import { accessRules, EMAIL_ROUTES, fillPath, AUTH } from '../../src/ovh/routes.js';
import { loadSchema } from './schema-helpers.js';

describe('route table', () => {
  it('every OVH path and method the code calls exists in the published schemas', () => {
    expect(EMAIL_ROUTES.length).toBeGreaterThan(50);
    const missing: string[] = [];
    for (const route of EMAIL_ROUTES) {
      if (route.api === 'auth') continue;
      const api = loadSchema(route.api).apis.find((a) => a.path === route.path);
      const operation = api?.operations.find((o) => o.httpMethod === route.method);
      if (!operation) missing.push(`${route.method} ${route.path} (${route.api}.json)`);
    }
    expect(missing).toEqual([]);
  });

  it('routes are declared once each', () => {
    const keys = EMAIL_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('auth routes stay out of the e-mail table', () => {
    expect(EMAIL_ROUTES).not.toContain(AUTH.credential);
    expect(EMAIL_ROUTES).not.toContain(AUTH.time);
  });

  it('access rules are derived from the table, with wildcards for parameters', () => {
    const rules = accessRules();
    expect(rules).toContainEqual({ method: 'PUT', path: '/email/pro/*/account/*' });
    expect(rules).toContainEqual({ method: 'GET', path: '/email/exchange/*/service/*/account/*/protocol' });
    expect(rules).toContainEqual({ method: 'POST', path: '/email/domain/*/account' });
    expect(rules.every((r) => !r.path.includes('{'))).toBe(true);
    // one rule per distinct (method, wildcard path) of the table, nothing else
    const expected = new Set(EMAIL_ROUTES.map((r) => `${r.method} ${r.path.replace(/\{[^}]+\}/g, '*')}`));
    expect(new Set(rules.map((r) => `${r.method} ${r.path}`))).toEqual(expected);
    expect(rules.some((r) => r.method === 'DELETE' && r.path === '/email/exchange/*/service/*/domain/*')).toBe(false);
  });

  it('fills path parameters URL-encoded and refuses missing ones', () => {
    expect(fillPath('/email/pro/{service}/account/{email}', { service: 'pro 1', email: 'john.smith+x@mydomain.ovh' })).toBe(
      '/email/pro/pro%201/account/john.smith%2Bx%40mydomain.ovh',
    );
    expect(fillPath('/email/exchange/{organizationName}/service/{exchangeService}', { organizationName: 'a/b', exchangeService: 'c' })).toBe(
      '/email/exchange/a%2Fb/service/c',
    );
    expect(() => fillPath('/email/pro/{service}', {})).toThrow(/no value for \{service\}/);
  });
});

describe('no call outside the route table', () => {
  it('no source file of the OVH layer but routes.ts spells an API path', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (file.endsWith('.ts') && !file.endsWith('routes.ts')) {
          const text = readFileSync(file, 'utf8')
            .replace(/\/\*[\s\S]*?\*\//g, '')
            .replace(/^\s*\/\/.*$/gm, '');
          if (/['"`]\/(email|auth)\//.test(text)) offenders.push(file);
        }
      }
    };
    walk(new URL('../../src/ovh', import.meta.url).pathname);
    expect(offenders).toEqual([]);
  });
});
