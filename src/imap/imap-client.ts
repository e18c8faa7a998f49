import { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import { describeEndpoint, isLoopback, type ImapEndpoint } from './endpoint.js';

/**
 * Refuses to send a password in clear text to anything but loopback unless the user said --allow-plaintext.
 * `imap://` to a remote host therefore requires STARTTLS.
 */
export function starttlsPolicy(endpoint: ImapEndpoint): boolean | undefined {
  const plaintextOk = endpoint.allowPlaintext === true || isLoopback(endpoint.host);
  if (endpoint.security === 'tls') return undefined;
  if (endpoint.security === 'plain') {
    if (!plaintextOk) throw new Error(`refusing a plain-text login to ${describeEndpoint(endpoint)}: use imaps:// or pass --allow-plaintext`);
    return false;
  }
  return plaintextOk ? undefined : true;
}

/** Opens and logs in an imapflow client for an endpoint; errors name the endpoint and what to check. */
export async function connectImap(endpoint: ImapEndpoint, logger?: Logger): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.security === 'tls',
    doSTARTTLS: starttlsPolicy(endpoint),
    auth: { user: endpoint.user, pass: endpoint.password },
    tls: endpoint.ca ? { ca: endpoint.ca } : undefined,
    logger: imapflowLogger(logger),
    disableAutoIdle: true,
    disableCompression: true,
    connectionTimeout: 30_000,
    greetingTimeout: 15_000,
    socketTimeout: 5 * 60_000,
    maxLockHoldTime: false,
  });
  // An 'error' event without a listener would crash the process; failures surface through the pending command.
  client.on('error', (error: Error) => logger?.debug({ err: error, endpoint: describeEndpoint(endpoint) }, 'imap connection error'));
  try {
    await client.connect();
  } catch (error) {
    client.close();
    const detail = (error as { responseText?: string }).responseText ?? (error as Error).message;
    const authFailed = (error as { authenticationFailed?: boolean }).authenticationFailed;
    throw new Error(
      `cannot log in to ${describeEndpoint(endpoint)}: ${detail}` +
        (authFailed ? ' (check the user name and the password variable)' : ' (check the host, port, TLS mode and IMAP_CA_FILE)'),
      { cause: error },
    );
  }
  return client;
}

/** imapflow's own logs only at LOG_LEVEL=trace: they are per command. */
function imapflowLogger(logger: Logger | undefined): Logger | false {
  if (!logger || logger.levelVal > 10) return false;
  return logger.child({ component: 'imapflow' });
}

/** Logs out politely when possible, never throws. */
export async function closeImap(client: ImapFlow | undefined): Promise<void> {
  if (!client) return;
  if (!client.usable) {
    client.close();
    return;
  }
  await Promise.race([client.logout().catch(() => client.close()), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  client.close();
}
