import { OvhPreconditionFailed } from './errors.js';
import { type HostedRoutes, type PlatformOptions } from './hosted-platform.js';
import { HostedFeaturePlatform } from './hosted-features.js';
import type { CreateAccountRequest, DnsDiagnostic, DomainInfo, ServiceInfo } from './mail-platform.js';
import { mxplanAccountSchema, mxplanCapabilitiesSchema, mxplanDomainSchema, mxplanServiceSchema, type MxplanAccount, type MxplanDomain, type MxplanService } from './models/mxplan.js';
import type { OvhClient } from './ovh-client.js';
import { MXPLAN } from './routes.js';
import { bytesToQuotaGb, formatBytes, MAX_DESTINATION_BYTES, pickQuota, quotaGbToBytes } from './units.js';

/**
 * New MX Plan (`/email/mxplan/{service}`): the E-mail Pro API minus domain attachment, SPF/DKIM fields and
 * account creation, plus per-account `capabilities` (allowed quotas). The domain is fixed: the service's own.
 */
export class MxPlanPlatform extends HostedFeaturePlatform<MxplanService, MxplanAccount, MxplanDomain> {
  readonly platform = 'mxplan' as const;
  protected readonly routes: HostedRoutes = MXPLAN;
  protected readonly serviceSchema = mxplanServiceSchema;
  protected readonly accountSchema = mxplanAccountSchema;
  protected readonly domainSchema = mxplanDomainSchema;
  protected readonly accountParam = 'email';

  constructor(client: OvhClient, service: string, options: PlatformOptions = {}) {
    super(client, service, { service }, options);
  }

  /** Allowed quotas (bytes) of a slot, from `GET .../account/{email}/capabilities`; undefined = no constraint. */
  async allowedQuotasOf(address: string): Promise<number[] | undefined> {
    const capabilities = await this.client.request(MXPLAN.capabilities, this.accountParams(address), { schema: mxplanCapabilitiesSchema });
    return capabilities.quotas?.map(quotaGbToBytes);
  }

  protected override fixedDomainOf(service: MxplanService): string {
    return service.domain;
  }

  protected async serviceExtras(service: MxplanService): Promise<Pick<ServiceInfo, 'fixedDomain' | 'allowedQuotas' | 'maxMailboxBytes'>> {
    const slot = await this.freeSlot();
    const allowedQuotas = slot ? await this.allowedQuotasOf(slot.primaryEmailAddress) : undefined;
    return { fixedDomain: this.fixedDomainOf(service), allowedQuotas, maxMailboxBytes: MAX_DESTINATION_BYTES.mxplan };
  }

  override async attachDomainNonAuthoritative(domain: string): Promise<DomainInfo> {
    const service = await this.serviceObject();
    if (domain.toLowerCase() !== service.domain.toLowerCase()) {
      throw new OvhPreconditionFailed('fixedDomain', `MX Plan ${this.service} has the fixed domain ${service.domain}; it cannot host ${domain}`, `choose an address @${service.domain} or an E-mail Pro / Exchange destination`);
    }
    const found = await this.requireDomain(domain);
    return this.domainInfo(found);
  }

  async dnsDiagnostic(domain: string): Promise<DnsDiagnostic> {
    const found = await this.requireDomain(domain);
    return { domain: found.name, checks: this.commonDnsChecks(found) };
  }

  /** The quota is chosen at configuration time: the smallest allowed one holding the mailbox plus headroom. */
  protected override async slotSettings(slot: MxplanAccount, request: CreateAccountRequest): Promise<Record<string, unknown>> {
    const allowed = await this.allowedQuotasOf(slot.primaryEmailAddress);
    if (request.neededBytes === undefined) return {};
    if (request.neededBytes > MAX_DESTINATION_BYTES.mxplan) {
      throw new OvhPreconditionFailed('quotaTooSmall', `${formatBytes(request.neededBytes)} exceed MX Plan's ${formatBytes(MAX_DESTINATION_BYTES.mxplan)} limit`, 'choose an E-mail Pro or Exchange destination, or clean up the mailbox first');
    }
    if (!allowed || allowed.length === 0) return super.slotSettings(slot, request);
    const chosen = pickQuota(allowed, request.neededBytes);
    if (chosen === undefined) {
      throw new OvhPreconditionFailed(
        'quotaTooSmall',
        `${formatBytes(request.neededBytes)} (plus headroom) fit in none of ${this.service}'s quotas: ${allowed.map(formatBytes).join(', ')}`,
        'choose another destination, or clean up the mailbox first',
      );
    }
    return { quota: bytesToQuotaGb(chosen) };
  }
}
