import { parseArgs } from 'node:util';
import { loadConfig, requireConfig } from '../../config/config.js';
import { OvhError } from '../../ovh/errors.js';
import { OvhClient } from '../../ovh/ovh-client.js';
import { accessRules } from '../../ovh/routes.js';

export const summary = 'ask OVH for a consumer key with exactly the access rules this tool uses';

const HELP = `usage: migrate-mailbox ovh-login [--redirect URL] [--allowed-ip CIDR ...] [--rules] [--json]

Asks OVH (POST /auth/credential) for a consumer key limited to the API calls this tool makes, then prints
the URL where an account administrator validates it, and the key to put in OVH_CONSUMER_KEY.

Needs OVH_APP_KEY and OVH_APP_SECRET (create an application at https://eu.api.ovh.com/createApp/, or
https://ca.api.ovh.com/createApp/, https://api.us.ovhcloud.com/createApp/), and OVH_ENDPOINT
(ovh-eu, ovh-ca, ovh-us; default ovh-eu) or OVH_HOST/OVH_PORT.

options:
  --redirect URL      where OVH sends the browser after validation
  --allowed-ip CIDR   restrict the key to these source addresses (repeatable)
  --rules             only print the access rules, ask nothing
  --json              print {"validationUrl","consumerKey","state","accessRules"} on stdout
`;

export async function run(argv: string[]): Promise<number> {
  let values: { redirect?: string; 'allowed-ip'?: string[]; rules?: boolean; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        redirect: { type: 'string' },
        'allowed-ip': { type: 'string', multiple: true },
        rules: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`ovh-login: ${(error as Error).message}\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }

  const rules = accessRules();
  if (values.rules) {
    process.stdout.write(values.json ? `${JSON.stringify(rules)}\n` : rules.map((r) => `${r.method.padEnd(6)} ${r.path}`).join('\n') + '\n');
    return 0;
  }

  const config = requireConfig(loadConfig(), ['OVH_APP_KEY', 'OVH_APP_SECRET'], 'to ask OVH for a consumer key');
  // The consumer key is what we are asking for: do not send an old one.
  const client = OvhClient.fromConfig({ ...config, OVH_CONSUMER_KEY: undefined });
  try {
    const credential = await client.requestCredential({
      accessRules: rules,
      ...(values.redirect ? { redirection: values.redirect } : {}),
      ...(values['allowed-ip']?.length ? { allowedIPs: values['allowed-ip'] } : {}),
    });
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ...credential, accessRules: rules })}\n`);
      return 0;
    }
    process.stdout.write(
      [
        `Requested a consumer key limited to ${rules.length} access rules (the calls this tool makes under /email/exchange, /email/pro, /email/mxplan and /email/domain; see --rules).`,
        '',
        'Open this URL, log in with the OVH account that owns the e-mail services, and validate:',
        `  ${credential.validationUrl}`,
        '',
        `Then set the consumer key (state now: ${credential.state}):`,
        `  export OVH_CONSUMER_KEY=${credential.consumerKey}`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    if (error instanceof OvhError) {
      process.stderr.write(`ovh-login: ${error.describe()}\n`);
      return 1;
    }
    throw error;
  } finally {
    client.close();
  }
}
