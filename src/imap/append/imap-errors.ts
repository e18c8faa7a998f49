/** Errors raised while opening an IMAP session for appending. Each message says what to check. */

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
