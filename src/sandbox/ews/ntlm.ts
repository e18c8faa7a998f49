import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import md4 from 'js-md4';

/**
 * The server side of NTLM for the EWS double (MS-NLMP): reads a Type 1 (negotiate), answers a Type 2 (challenge,
 * with target information so the client uses NTLMv2), and checks the Type 3 (authenticate) NTLMv2 response
 * against the account's password. Only NTLMv2 is accepted, as on a hardened Exchange.
 */

const SIGNATURE = Buffer.from('NTLMSSP\0', 'ascii');
const NEGOTIATE_UNICODE = 0x00000001;
const NEGOTIATE_OEM = 0x00000002;
const REQUEST_TARGET = 0x00000004;
const NEGOTIATE_NTLM = 0x00000200;
const NEGOTIATE_ALWAYS_SIGN = 0x00008000;
const TARGET_TYPE_DOMAIN = 0x00010000;
const NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000;
const NEGOTIATE_TARGET_INFO = 0x00800000;

export interface NtlmChallenge {
  challenge: Buffer;
  unicode: boolean;
  /** The `WWW-Authenticate` value, e.g. `NTLM TlRMTVNT...`. */
  header: string;
}

export interface NtlmAuthenticate {
  user: string;
  domain: string;
  workstation: string;
  ntResponse: Buffer;
}

function securityBuffer(message: Buffer, offset: number): Buffer {
  const length = message.readUInt16LE(offset);
  const start = message.readUInt32LE(offset + 4);
  if (start + length > message.length) throw new Error('NTLM security buffer out of range');
  return message.subarray(start, start + length);
}

function decode(token: string, type: number): Buffer {
  const message = Buffer.from(token, 'base64');
  if (message.length < 12 || !message.subarray(0, 8).equals(SIGNATURE)) throw new Error('not an NTLM message');
  if (message.readUInt32LE(8) !== type) throw new Error(`expected an NTLM type ${type} message`);
  return message;
}

/** Reads a Type 1 and builds the Type 2 to send back (scheme as the client used it: NTLM or Negotiate). */
export function challengeFor(type1Token: string, scheme: 'NTLM' | 'Negotiate', target = 'SANDBOX'): NtlmChallenge {
  const type1 = decode(type1Token, 1);
  const clientFlags = type1.length >= 16 ? type1.readUInt32LE(12) : 0;
  const unicode = (clientFlags & NEGOTIATE_UNICODE) !== 0 || (clientFlags & NEGOTIATE_OEM) === 0;
  const encoding: BufferEncoding = unicode ? 'utf16le' : 'latin1';
  const targetName = Buffer.from(target, encoding);
  const avPair = (id: number, value: string) => {
    const data = Buffer.from(value, 'utf16le');
    const head = Buffer.alloc(4);
    head.writeUInt16LE(id, 0);
    head.writeUInt16LE(data.length, 2);
    return Buffer.concat([head, data]);
  };
  const targetInfo = Buffer.concat([avPair(2, target), avPair(1, 'EWSDOUBLE'), avPair(4, 'sandbox.local'), avPair(3, 'ewsdouble.sandbox.local'), Buffer.alloc(4)]);
  const challenge = randomBytes(8);
  const flags =
    (unicode ? NEGOTIATE_UNICODE : NEGOTIATE_OEM) | REQUEST_TARGET | NEGOTIATE_NTLM | NEGOTIATE_ALWAYS_SIGN | TARGET_TYPE_DOMAIN | NEGOTIATE_EXTENDED_SESSIONSECURITY | NEGOTIATE_TARGET_INFO;
  const header = Buffer.alloc(48);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(2, 8);
  header.writeUInt16LE(targetName.length, 12);
  header.writeUInt16LE(targetName.length, 14);
  header.writeUInt32LE(48, 16);
  header.writeUInt32LE(flags >>> 0, 20);
  challenge.copy(header, 24);
  // 32..40 reserved
  header.writeUInt16LE(targetInfo.length, 40);
  header.writeUInt16LE(targetInfo.length, 42);
  header.writeUInt32LE(48 + targetName.length, 44);
  const message = Buffer.concat([header, targetName, targetInfo]);
  return { challenge, unicode, header: `${scheme} ${message.toString('base64')}` };
}

export function readAuthenticate(type3Token: string, unicode: boolean): NtlmAuthenticate {
  const message = decode(type3Token, 3);
  if (message.length < 52) throw new Error('NTLM type 3 message too short');
  const encoding: BufferEncoding = unicode ? 'utf16le' : 'latin1';
  return {
    ntResponse: Buffer.from(securityBuffer(message, 20)),
    domain: securityBuffer(message, 28).toString(encoding),
    user: securityBuffer(message, 36).toString(encoding),
    workstation: securityBuffer(message, 44).toString(encoding),
  };
}

function ntHash(password: string): Buffer {
  return Buffer.from(md4.create().update(Buffer.from(password, 'utf16le')).arrayBuffer());
}

/** True when the Type 3's NTLMv2 response proves knowledge of `password` for this challenge. */
export function verifyNtlmV2(authenticate: NtlmAuthenticate, challenge: Buffer, password: string): boolean {
  const response = authenticate.ntResponse;
  if (response.length <= 24) return false; // NTLMv1: refused
  const proof = response.subarray(0, 16);
  const blob = response.subarray(16);
  const v2Hash = createHmac('md5', ntHash(password))
    .update(Buffer.from(authenticate.user.toUpperCase() + authenticate.domain, 'utf16le'))
    .digest();
  const expected = createHmac('md5', v2Hash).update(Buffer.concat([challenge, blob])).digest();
  return timingSafeEqual(expected, proof);
}
