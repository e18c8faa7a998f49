import type { ServiceInfo, DnsDiagnostic } from './mail-platform.js';
import { proAccountSchema, proDomainSchema, proServiceSchema, type ProAccount, type ProDomain, type ProService } from './models/pro.js';
import type { OvhClient } from './ovh-client.js';
import { EMAIL_PRO } from './routes.js';
import { fullDnsChecks, type HostedRoutes, type PlatformOptions } from './hosted-platform.js';
import { HostedFeaturePlatform } from './hosted-features.js';
import { MAX_DESTINATION_BYTES } from './units.js';

/** E-mail Pro (`/email/pro/{service}`). New MX Plan shares almost all of it: see mxplan-platform.ts. */
export class EmailProPlatform extends HostedFeaturePlatform<ProService, ProAccount, ProDomain> {
  readonly platform = 'emailpro' as const;
  protected readonly routes: HostedRoutes = EMAIL_PRO;
  protected readonly serviceSchema = proServiceSchema;
  protected readonly accountSchema = proAccountSchema;
  protected readonly domainSchema = proDomainSchema;
  protected readonly accountParam = 'email';

  constructor(client: OvhClient, service: string, options: PlatformOptions = {}) {
    super(client, service, { service }, options);
  }

  protected async serviceExtras(): Promise<Pick<ServiceInfo, 'fixedDomain' | 'allowedQuotas' | 'maxMailboxBytes'>> {
    return { maxMailboxBytes: MAX_DESTINATION_BYTES.emailpro };
  }

  async dnsDiagnostic(domain: string): Promise<DnsDiagnostic> {
    const found = await this.requireDomain(domain);
    return { domain: found.name, checks: fullDnsChecks(this.commonDnsChecks(found), found) };
  }
}
