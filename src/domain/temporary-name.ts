import { AddressError, MAX_LOCAL_LENGTH, parseAddress } from './address.js';

/** Suffixes tried for the temporary name: 01 .. 99 (OVH guide: john.smith -> john.smith01). */
export const MAX_TEMPORARY_SUFFIX = 99;

/** `john.smith@d` + 2 -> `john.smith02@d`. */
export function temporaryNameWithSuffix(address: string, suffix: number): string {
  if (!Number.isInteger(suffix) || suffix < 1 || suffix > MAX_TEMPORARY_SUFFIX) {
    throw new RangeError(`suffix must be 1..${MAX_TEMPORARY_SUFFIX}`);
  }
  const { local, domain } = parseAddress(address);
  const candidate = `${local}${String(suffix).padStart(2, '0')}`;
  if (candidate.length > MAX_LOCAL_LENGTH) throw new AddressError(address, 'it is too long to receive a temporary suffix');
  return `${candidate}@${domain}`;
}

/**
 * The first temporary name (`local01@domain`, then 02, 03, ...) that is not taken. `taken` holds addresses
 * (any case). Undefined when every suffix up to 99 is taken.
 */
export function nextFreeTemporaryName(address: string, taken: Iterable<string>, from = 1): string | undefined {
  const used = new Set<string>();
  for (const entry of taken) used.add(entry.trim().toLowerCase());
  for (let suffix = Math.max(1, from); suffix <= MAX_TEMPORARY_SUFFIX; suffix++) {
    const candidate = temporaryNameWithSuffix(address, suffix);
    if (!used.has(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Reads a requested temporary name: a full address, or just the part before @ (the source's domain is kept).
 * The temporary name must stay on the source's domain (a rename cannot move an account to another domain).
 */
export function resolveTemporaryName(sourceAddress: string, requested: string): { ok: true; address: string } | { ok: false; error: string } {
  const source = parseAddress(sourceAddress);
  const text = requested.trim();
  if (text === '') return { ok: false, error: 'the temporary name is empty' };
  const full = text.includes('@') ? text : `${text}@${source.domain}`;
  let parsed;
  try {
    parsed = parseAddress(full);
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  if (parsed.domain !== source.domain) {
    return { ok: false, error: `the temporary name must stay on ${source.domain} (a rename keeps the domain)` };
  }
  if (parsed.address === source.address) return { ok: false, error: 'the temporary name must differ from the source address' };
  return { ok: true, address: parsed.address };
}

/**
 * Where a staged destination account waits for its cut-over: `local.migrating@domain`, then `.migrating2`... up
 * to 9, the first that `taken` (addresses, any case) does not hold.
 */
export function nextFreeStagedName(address: string, taken: Iterable<string>): string | undefined {
  const used = new Set<string>();
  for (const entry of taken) used.add(entry.trim().toLowerCase());
  const { local, domain } = parseAddress(address);
  for (let n = 1; n <= 9; n++) {
    const candidate = `${local}.migrating${n === 1 ? '' : n}`;
    if (candidate.length > MAX_LOCAL_LENGTH) return undefined;
    if (!used.has(`${candidate}@${domain}`)) return `${candidate}@${domain}`;
  }
  return undefined;
}
