import { nowIso, type SimDomain, type SimService } from '../state.js';
import { account, FAMILIES, service } from './families.js';
import type { HandlerContext, RouteTable } from './registry.js';

/**
 * DNS diagnostics as OVH computes them, against the simulated zone of a domain (`sim.setDnsZone`): the one in a
 * hosted domain (`GET .../domain/{domainName}`), a hosted account's (`.../diagnostics`, MX Plan `.../diagnostic`);
 * legacy MX Plan's validity fields use the same rules.
 */

const OVH_MX = ['mx0.mail.ovh.net', 'mx1.mail.ovh.net', 'mx2.mail.ovh.net', 'mx3.mail.ovh.net'];
const EXPECTED_SPF = 'IN TXT v=spf1 include:mx.ovh.com ~all';

/** A DNS name or record target compared without case or trailing dot. */
export const dnsName = (value: string) => value.toLowerCase().replace(/\.$/, '');

/** The zone has MX records and every one is OVH's. */
export const mxIsOvh = (mx: string[]) => mx.length > 0 && mx.every((m) => OVH_MX.includes(dnsName(m)));

/** Some TXT record is an SPF including OVH's. */
export const spfIncludesOvh = (spf: string[]) => spf.some((txt) => /^v=spf1\b.*\binclude:mx\.ovh\.com\b/.test(txt));

const autodiscoverTarget = (svc: SimService) => `0 0 443 ${svc.hostname}.`;
const srvIsValid = (svc: SimService, srv: string[]) => srv.some((record) => dnsName(record) === dnsName(autodiscoverTarget(svc)));

/** The DNS fields of a hosted domain (`email.*.Domain`), in the model's order. */
export function domainDiagnostic(ctx: HandlerContext, svc: SimService, d: SimDomain): Record<string, unknown> {
  const zone = ctx.state.zone(d.name);
  return {
    domainValidated: zone.owned || zone.cnames.map(dnsName).includes(`${d.cnameToCheck}.${d.name}`),
    cnameToCheck: d.cnameToCheck,
    mxIsValid: mxIsOvh(zone.mx),
    mxRecord: zone.mx,
    expectedMX: OVH_MX,
    srvIsValid: srvIsValid(svc, zone.srv),
    srvRecord: zone.srv,
    expectedAutodiscoverSRV: `_autodiscover._tcp.${d.name}. IN SRV ${autodiscoverTarget(svc)}`,
    spfIsValid: spfIncludesOvh(zone.spf),
    spfRecord: zone.spf,
    expectedSPF: EXPECTED_SPF,
    dkimDiagnostics: { state: d.type === 'authoritative' && d.state === 'ok' ? 'disabled' : 'toConfigure', errorCode: null, message: null },
  };
}

/** `GET .../account/{...}/diagnostics` (MX Plan: `diagnostic`): what the account's domain lets it do. */
export function registerDnsDiagnostics(table: RouteTable): void {
  for (const family of FAMILIES) {
    const diagnostics = family.platform === 'mxplan' ? 'diagnostic' : 'diagnostics';
    table.on('GET', `${family.accountPath}/${diagnostics}`, (ctx) => {
      const svc = service(ctx, family);
      const a = account(ctx, family, svc);
      const zone = ctx.state.zone(a.domain);
      const mxOk = mxIsOvh(zone.mx);
      return {
        canReceiveEmail: a.configured && mxOk,
        canSendEmail: a.configured,
        connectiveOWA: a.configured,
        connectiveWebmail: a.configured,
        isLocked: false,
        isMxValid: mxOk,
        isSpammer: false,
        isSrvValid: srvIsValid(svc, zone.srv),
        isSuspended: false,
        lastCheck: nowIso(),
      };
    });
  }
}
