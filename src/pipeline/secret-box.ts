import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** An encrypted secret as stored in Redis: `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
export type Sealed = string & { readonly __sealed: unique symbol };

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for the migration secrets kept in job data (passwords set on the source and the destination).
 * The key lives in a private field: logging or serialising the box never shows it. Each secret is bound to
 * its purpose (`aad`, e.g. the job id), so a sealed value copied into another job does not open there.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('SECRETS_KEY must be 32 bytes');
    this.#key = Buffer.from(key);
  }

  /** From SECRETS_KEY's text form: 64 hex digits or base64 of 32 bytes. */
  static fromText(text: string): SecretBox {
    const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
    return new SecretBox(key);
  }

  static random(): SecretBox {
    return new SecretBox(randomBytes(32));
  }

  seal(plaintext: string, aad = ''): Sealed {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.') as Sealed;
  }

  open(sealed: Sealed | string, aad = ''): string {
    const [version, iv, tag, body, extra] = sealed.split('.');
    if (version !== 'v1' || iv === undefined || tag === undefined || body === undefined || extra !== undefined) throw new Error('not a sealed secret');
    const ivBytes = Buffer.from(iv, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    try {
      // GCM checks only as many tag bytes as it is given (Node accepts 4 to 16): a truncated tag would make a
      // forgery 2^96 times easier. We seal with a 12-byte IV and a 16-byte tag, so anything else is not ours.
      if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new Error('bad length');
      const decipher = createDecipheriv('aes-256-gcm', this.#key, ivBytes, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('cannot open a sealed secret: SECRETS_KEY differs from the one that sealed it, or the value was altered');
    }
  }

  /**
   * An HMAC-SHA256 of `text` under a key derived from this one for `purpose` (so a MAC made for one use is worth
   * nothing for another), base64url.
   */
  mac(purpose: string, text: string): string {
    const key = createHmac('sha256', this.#key).update(`migrate-mailbox mac key: ${purpose}`).digest();
    return createHmac('sha256', key).update(text).digest('base64url');
  }

  /** True when `mac` is the MAC of `text` for `purpose` (compared in constant time). */
  verifyMac(purpose: string, text: string, mac: string): boolean {
    const expected = Buffer.from(this.mac(purpose, text));
    const given = Buffer.from(mac);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  toJSON(): string {
    return '[SecretBox]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[SecretBox]';
  }
}
