import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { Platform } from '../domain/platform.js';
import type { FeatureChange, FeatureTask } from '../ovh/mail-platform.js';
import { CancelledError, TransientError } from './errors.js';
import type { FeatureResult } from './migration-service.js';
import type { Keys } from './queue-names.js';
import { markChanged } from './thread-ledger.js';

/**
 * What the pipeline keeps in Redis about features beyond one migration: links (rights, group memberships) left
 * pending on a destination service because another mailbox is not there yet, the registry of mailboxes migrated
 * (to say where the other end of a link went, and to map a temporary name back to its address), and a lock per
 * destination service that serialises feature changes there (two migrations creating the same contact or right at
 * once would each be refused the other's).
 */

/** A destination service as the link store names it. */
export interface ServiceRef {
  platform: Platform;
  /** The service as the adapter names it (`ORG/SERVICE` for Exchange). */
  service: string;
}

export function serviceKey(ref: ServiceRef): string {
  return `${ref.platform}:${ref.service.toLowerCase()}`;
}

/** A link waiting on one destination service, and what became of it. */
export interface LinkEntry {
  key: string;
  change: FeatureChange;
  platform: Platform;
  service: string;
  /** `started`: its OVH task is recorded (`task`), to be waited for, never posted again. */
  status: 'pending' | 'started' | Exclude<FeatureResult, 'pending'>;
  /** pending: the addresses (or domains) it waits for. */
  waitsFor: string[];
  /** The migrations that left it pending (or whose undo put it back), with the mailbox each moved. */
  owners: { jobId: string; address: string }[];
  task?: FeatureTask;
  detail?: string;
  instruction?: string;
  /** ISO time of the last change. */
  updatedAt: string;
  /** Who resolved it: `mig-ADDRESS` (a features step) or `batch-ID` (a batch's end). */
  resolvedBy?: string;
}

/** A mailbox migrated (its features step started): where to, and under which temporary name its source stays. */
export interface MigratedMailbox {
  address: string;
  platform: Platform;
  service: string;
  temporaryAddress: string;
  jobId: string;
  at: string;
}

/** Compare-and-set of one hash field: ARGV[2] is the value expected now ('' = absent), ARGV[3] the new one. */
const CAS = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (current or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`;

const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
const RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

/** Only the registry entry of this very migration is removed (a later migration of the address keeps its own). */
const FORGET = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local entry = cjson.decode(raw)
if entry.jobId ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HGET', KEYS[2], entry.temporaryAddress) == ARGV[1] then redis.call('HDEL', KEYS[2], entry.temporaryAddress) end
return 1
`;

const lower = (value: string) => value.trim().toLowerCase();

/** The link entries of `keys` on one service, for a report (read-only; no lock, no FeatureLinks needed). */
export async function readLinks(redis: Redis, keys: Keys, ref: ServiceRef, wanted: readonly string[]): Promise<Record<string, LinkEntry>> {
  const out: Record<string, LinkEntry> = {};
  if (wanted.length === 0) return out;
  const raw = await redis.hmget(keys.links(serviceKey(ref)), ...wanted);
  wanted.forEach((key, i) => {
    if (raw[i]) out[key] = JSON.parse(raw[i]!) as LinkEntry;
  });
  return out;
}

export class FeatureLinks {
  /**
   * @param lockMs how long a holder's lock on a service outlives it (renewed every third of it while held): a killed
   *   worker's lock is free again after this, like its job's lock (JOB_LOCK_SECONDS).
   * @param maxWaitMs how long to wait for another holder before giving up with a transient error (the step is
   *   then retried later).
   */
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly lockMs: number,
    private readonly maxWaitMs = 15 * 60_000,
  ) {}

  // ---- the registry of migrated mailboxes ------------------------------------------------------------------

  async recordMigrated(entry: MigratedMailbox): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.migrated(), lower(entry.address), JSON.stringify(entry))
      .hset(this.keys.migratedTemporary(), lower(entry.temporaryAddress), lower(entry.address))
      .exec();
  }

  /** Undo: the address is back on its source. */
  async forgetMigrated(address: string, jobId: string): Promise<void> {
    await this.redis.eval(FORGET, 2, this.keys.migrated(), this.keys.migratedTemporary(), lower(address), jobId);
  }

  async migrated(addresses: readonly string[]): Promise<Map<string, MigratedMailbox>> {
    const wanted = [...new Set(addresses.map(lower))];
    const found = new Map<string, MigratedMailbox>();
    if (wanted.length === 0) return found;
    const raw = await this.redis.hmget(this.keys.migrated(), ...wanted);
    wanted.forEach((address, i) => {
      if (raw[i]) found.set(address, JSON.parse(raw[i]!) as MigratedMailbox);
    });
    return found;
  }

  /** Temporary address -> the address of the mailbox migrated away from it, for those that are temporary names. */
  async originals(addresses: readonly string[]): Promise<Map<string, string>> {
    const wanted = [...new Set(addresses.map(lower))];
    const found = new Map<string, string>();
    if (wanted.length === 0) return found;
    const raw = await this.redis.hmget(this.keys.migratedTemporary(), ...wanted);
    wanted.forEach((address, i) => {
      if (raw[i]) found.set(address, raw[i]!);
    });
    return found;
  }

  // ---- links per destination service -----------------------------------------------------------------------

  async entries(ref: ServiceRef): Promise<LinkEntry[]> {
    const all = await this.redis.hgetall(this.keys.links(serviceKey(ref)));
    return Object.values(all).map((raw) => JSON.parse(raw) as LinkEntry);
  }

  get(ref: ServiceRef, keys: readonly string[]): Promise<Record<string, LinkEntry>> {
    return readLinks(this.redis, this.keys, ref, keys);
  }

  /** Every destination service that has links. */
  async services(): Promise<ServiceRef[]> {
    const keys = await this.redis.smembers(this.keys.linkServices());
    return keys.map((key) => {
      const at = key.indexOf(':');
      return { platform: key.slice(0, at) as Platform, service: key.slice(at + 1) };
    });
  }

  /**
   * Changes one link atomically (compare-and-set, retried when someone else changed it in between): `change` gets
   * the entry as stored now and returns the new one, or undefined to leave it. Returns what is stored afterwards.
   * The migrations owning the link are marked changed, so their status and threads are read again.
   */
  async update(ref: ServiceRef, key: string, change: (current: LinkEntry | undefined) => LinkEntry | undefined): Promise<LinkEntry | undefined> {
    const hash = this.keys.links(serviceKey(ref));
    for (let attempt = 0; attempt < 20; attempt++) {
      const raw = (await this.redis.hget(hash, key)) ?? '';
      const current = raw ? (JSON.parse(raw) as LinkEntry) : undefined;
      const next = change(current);
      if (!next) return current;
      const written = JSON.stringify(next);
      if ((await this.redis.eval(CAS, 1, hash, key, raw, written)) === 1) {
        if (!raw) await this.redis.sadd(this.keys.linkServices(), serviceKey(ref));
        for (const owner of new Set(next.owners.map((o) => o.jobId))) await markChanged(this.redis, this.keys, owner);
        return next;
      }
    }
    throw new TransientError(`the pending link ${key} on ${ref.service} keeps changing under us: trying again later`);
  }

  // ---- one holder at a time per destination service ------------------------------------------------------

  /**
   * Runs `work` holding the service's lock: waits while another migration (or a batch's end) holds it; a holder
   * that died lets go after `lockMs`. Aborting `signal` (a cancel) stops the wait.
   */
  async withServiceLock<T>(ref: ServiceRef, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    const key = this.keys.linksLock(serviceKey(ref));
    const token = randomUUID();
    const deadline = Date.now() + this.maxWaitMs;
    let delay = 50;
    while ((await this.redis.set(key, token, 'PX', this.lockMs, 'NX')) !== 'OK') {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new CancelledError(String(signal.reason ?? 'a worker shutdown'));
      if (Date.now() > deadline) {
        throw new TransientError(`another migration has been recreating features on ${ref.service} for over ${Math.round(this.maxWaitMs / 60_000)} min: trying again later`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(500, delay * 2);
    }
    const renewal = setInterval(() => {
      void this.redis.eval(RENEW, 1, key, token, String(this.lockMs)).catch(() => undefined);
    }, Math.max(100, Math.floor(this.lockMs / 3)));
    try {
      return await work();
    } finally {
      clearInterval(renewal);
      await this.redis.eval(RELEASE, 1, key, token).catch(() => undefined);
    }
  }
}
