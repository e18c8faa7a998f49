/** Errors of our own IMAP connections (append and folder sessions). Each message says what to check. */

/** The server did not answer in time (greeting, TLS handshake, login). */
export class ImapTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImapTimeout';
  }
}

/** The server refused the credentials. */
export class ImapAuthenticationFailed extends Error {
  constructor(
    message: string,
    readonly serverText: string,
  ) {
    super(message);
    this.name = 'ImapAuthenticationFailed';
  }
}

/** A password would travel unencrypted to a host other than loopback. */
export class PlaintextLoginRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlaintextLoginRefused';
  }
}

/** The server said something this client cannot continue from (bad greeting, STARTTLS refused, garbage). */
export class ImapProtocolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImapProtocolError';
  }
}

/** The connection went away (dropped, BYE, timeout): commands pending on it may or may not have taken effect. */
export class ImapConnectionLost extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImapConnectionLost';
  }
}

/** The server answered a command with NO or BAD: the connection is fine, the command did not happen. */
export class ImapCommandFailed extends Error {
  constructor(
    readonly command: string,
    readonly status: string,
    readonly serverText: string,
    readonly code?: string,
  ) {
    super(`${command} failed: ${status}${code ? ` [${code}]` : ''} ${serverText}`);
    this.name = 'ImapCommandFailed';
  }
}
