import type { AccessRule } from '../auth.js';
import type { RouteTable } from './registry.js';

/** `GET /auth/time` (epoch seconds) and `POST /auth/credential` (a consumer key limited to its access rules). */
export function registerAuth(table: RouteTable): void {
  table.on('GET', '/auth/time', () => Math.floor(Date.now() / 1000));
  table.on('POST', '/auth/credential', (ctx) => {
    const rules = (ctx.body.accessRules as AccessRule[]).map((rule) => ({ method: rule.method, path: rule.path }));
    const consumerKey = ctx.auth.issue(rules);
    ctx.changed();
    return {
      consumerKey,
      state: 'pendingValidation',
      validationUrl: `https://${ctx.host}/auth/?credentialToken=${consumerKey.slice(0, 16)}`,
    };
  });
}
