import { domainToASCII } from 'node:url';

/** A mailbox address split into its parts, lower-cased, domain in ASCII (punycode). */
export interface MailboxAddress {
  local: string;
  domain: string;
  /** `local@domain`, the normal form used as identity everywhere (job ids, comparisons). */
  address: string;
}

export class AddressError extends Error {
  constructor(readonly input: string, reason: string) {
    super(`${JSON.stringify(input)} is not a valid mailbox address: ${reason}`);
    this.name = 'AddressError';
  }
}

/** Longest local part (RFC 5321) and whole address OVH accepts. */
export const MAX_LOCAL_LENGTH = 64;
export const MAX_ADDRESS_LENGTH = 254;

const LOCAL_ATOM = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Parses and normalises `local@domain`: trims, lower-cases, converts an internationalised domain to punycode.
 * The local part is a dot-atom (no quoted strings: OVH accounts never have them).
 */
export function parseAddress(input: string): MailboxAddress {
  const trimmed = input.trim();
  if (trimmed === '') throw new AddressError(input, 'it is empty');
  const at = trimmed.lastIndexOf('@');
  if (at <= 0) throw new AddressError(input, 'write it as name@domain');
  if (trimmed.indexOf('@') !== at) throw new AddressError(input, 'it has more than one @');
  const local = trimmed.slice(0, at).toLowerCase();
  const rawDomain = trimmed.slice(at + 1).replace(/\.$/, '');
  if (rawDomain === '') throw new AddressError(input, 'the domain is missing after @');
  if (local.length > MAX_LOCAL_LENGTH) throw new AddressError(input, `the part before @ is longer than ${MAX_LOCAL_LENGTH} characters`);
  const atoms = local.split('.');
  if (atoms.some((atom) => atom === '')) throw new AddressError(input, 'dots must separate characters (no leading, trailing or double dot)');
  if (!atoms.every((atom) => LOCAL_ATOM.test(atom))) throw new AddressError(input, 'the part before @ has characters e-mail addresses cannot hold');
  const domain = domainToASCII(rawDomain.toLowerCase());
  if (domain === '') throw new AddressError(input, 'the domain is not a valid domain name');
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) {
    throw new AddressError(input, 'the domain must look like example.com');
  }
  const address = `${local}@${domain}`;
  if (address.length > MAX_ADDRESS_LENGTH) throw new AddressError(input, `it is longer than ${MAX_ADDRESS_LENGTH} characters`);
  return { local, domain, address };
}

/** parseAddress without throwing. */
export function tryParseAddress(input: string): { ok: true; value: MailboxAddress } | { ok: false; error: string } {
  try {
    return { ok: true, value: parseAddress(input) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** The normal form of an address (throws AddressError). */
export function normalizeAddress(input: string): string {
  return parseAddress(input).address;
}

/** True when both inputs name the same mailbox. */
export function sameAddress(a: string, b: string): boolean {
  const left = tryParseAddress(a);
  const right = tryParseAddress(b);
  return left.ok && right.ok && left.value.address === right.value.address;
}

/** The free-slot domain of hosted platforms: `xxxx@configureme.me` accounts are unconfigured slots. */
export const SLOT_DOMAIN = 'configureme.me';

export function isFreeSlot(address: string): boolean {
  return address.trim().toLowerCase().endsWith(`@${SLOT_DOMAIN}`);
}
