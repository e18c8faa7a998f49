import type { RightKind } from './mail-platform.js';

/** Ids of the accounts holding each right on each account of one service (owner addresses in lower case). */
export type ServiceRights = Map<string, Partial<Record<RightKind, number[]>>>;

/**
 * What the `readFeatures` calls of one submission share: the rights of every account of a service, read once for
 * all the rows of a batch instead of once per row (three OVH reads per account of the service each time: a
 * 300-row batch from a 300-account service made 270,000 reads before it could start).
 */
export class FeatureReading {
  private readonly rights = new Map<string, Promise<ServiceRights>>();

  /** The rights of `service`, read by `read` the first time and shared afterwards; a failed read is not kept. */
  rightsOf(service: string, read: () => Promise<ServiceRights>): Promise<ServiceRights> {
    let found = this.rights.get(service);
    if (!found) {
      found = read();
      this.rights.set(service, found);
      found.catch(() => this.rights.delete(service));
    }
    return found;
  }
}
