import { randomUUID } from 'node:crypto';
import { badRequest, conflict } from '../errors.js';
import { addressOf, DEFAULT_SPAM_CONFIG, nowIso, type SimDomain, type SimService } from '../state.js';
import { quotaGbToBytes, SERVER_DISK_UNIT_BYTES } from '../units.js';
import { renderTask } from './common.js';
import { domainDiagnostic } from './dns.js';
import { domain, EMAIL_PRO, FAMILIES, service } from './families.js';
import type { HandlerContext, RouteTable } from './registry.js';

/**
 * The hosted services and their domains: the lists of services per platform, a service (GET/PUT), its server,
 * E-mail Pro's billing flag; domains listed, read (with their DNS diagnostic), changed, attached and detached
 * through tasks (new MX Plan has its one fixed domain).
 */

const uuids = new Map<string, string>();
function uuidFor(key: string): string {
  if (!uuids.has(key)) uuids.set(key, randomUUID());
  return uuids.get(key)!;
}

function iam(service: SimService): Record<string, unknown> {
  const kind = { exchange: 'emailExchange', emailpro: 'emailPro', mxplan: 'emailMXPlan', 'mxplan-legacy': 'emailDomain' }[service.platform];
  return { id: uuidFor(service.key), urn: `urn:v1:eu:resource:${kind}:${service.name}`, displayName: service.displayName, tags: null };
}

function renderService(svc: SimService): Record<string, unknown> {
  const policy = svc.passwordPolicy;
  return {
    domain: svc.domain,
    displayName: svc.displayName,
    hostname: svc.hostname,
    offer: svc.offer,
    state: svc.state,
    webUrl: svc.webUrl,
    complexityEnabled: policy.complexityEnabled,
    minPasswordLength: policy.minPasswordLength,
    maxPasswordAge: policy.maxPasswordAge,
    minPasswordAge: policy.minPasswordAge,
    lockoutThreshold: policy.lockoutThreshold,
    lockoutDuration: 30,
    lockoutObservationWindow: 30,
    passwordHistoryCount: 0,
    maxReceiveSize: 100,
    maxSendSize: 100,
    adfsChangePassword: false,
    isZimbra: false,
    spamAndVirusConfiguration: DEFAULT_SPAM_CONFIG,
    sslExpirationDate: '2030-01-01',
    lastUpdateDate: svc.creationDate,
    taskPendingId: 0,
    iam: iam(svc),
  };
}

function renderDomain(ctx: HandlerContext, svc: SimService, d: SimDomain): Record<string, unknown> {
  return {
    name: d.name,
    state: d.state,
    type: d.type,
    mxRelay: d.mxRelay,
    main: d.main,
    taskPendingId: d.taskPendingId,
    ...domainDiagnostic(ctx, svc, d),
    domainAliases: [],
    isAliasDomain: false,
    organization2010: null,
    sbrDefault: null,
    sendConnectorIdDefault: null,
  };
}

export function registerServices(table: RouteTable): void {
  table.on('GET', '/email/exchange', (ctx) => [...new Set(ctx.state.servicesOf('exchange').map((s) => s.organization!))]);
  table.on('GET', '/email/exchange/{organizationName}/service', (ctx) =>
    ctx.state
      .servicesOf('exchange')
      .filter((s) => s.organization === ctx.path.organizationName)
      .map((s) => s.service),
  );
  table.on('GET', '/email/pro', (ctx) => ctx.state.servicesOf('emailpro').map((s) => s.service));
  table.on('GET', '/email/mxplan', (ctx) => ctx.state.servicesOf('mxplan').map((s) => s.service));
  table.on('GET', '/email/pro/{service}/billingMigrated', (ctx) => service(ctx, EMAIL_PRO).billingMigrated ?? true);

  for (const family of FAMILIES) {
    const P = family.prefix;

    table.on('GET', P, (ctx) => renderService(service(ctx, family)));
    table.on('PUT', P, (ctx) => {
      const svc = service(ctx, family);
      if (typeof ctx.body.displayName === 'string') svc.displayName = ctx.body.displayName;
      if (typeof ctx.body.minPasswordLength === 'number') svc.passwordPolicy.minPasswordLength = ctx.body.minPasswordLength;
      if (typeof ctx.body.complexityEnabled === 'boolean') svc.passwordPolicy.complexityEnabled = ctx.body.complexityEnabled;
      ctx.changed();
      return null;
    });
    table.on('GET', `${P}/server`, async (ctx) => {
      const svc = service(ctx, family);
      let used = 0;
      for (const a of svc.accounts) used += (await ctx.dovecot.usage(svc, addressOf(a))).bytes + a.usagePaddingBytes;
      const size = svc.accounts.reduce((sum, a) => sum + quotaGbToBytes(a.quota), 0);
      return {
        commercialVersion: '2019',
        currentDiskUsage: Math.ceil(used / SERVER_DISK_UNIT_BYTES),
        diskSize: Math.ceil(size / SERVER_DISK_UNIT_BYTES),
        individual2010: false,
        ip: '127.0.0.1',
        ipV6: null,
        isAValid: true,
        isAaaaValid: false,
        isPtrValid: true,
        isPtrV6Valid: false,
        owaMfa: false,
        state: 'ok',
        taskPendingId: 0,
        version: 15,
      };
    });

    // ---- domains
    table.on('GET', `${P}/domain`, (ctx) =>
      service(ctx, family)
        .domains.filter((d) => (ctx.query.state === undefined || d.state === ctx.query.state) && (ctx.query.main === undefined || d.main === ctx.query.main))
        .map((d) => d.name),
    );
    table.on('GET', `${P}/domain/{domainName}`, (ctx) => {
      const svc = service(ctx, family);
      return renderDomain(ctx, svc, domain(ctx, family, svc));
    });
    table.on('PUT', `${P}/domain/{domainName}`, (ctx) => {
      const svc = service(ctx, family);
      const d = domain(ctx, family, svc);
      if (d.state !== 'ok') throw conflict(`Domain ${d.name} is busy (state ${d.state})`);
      const type = (ctx.body.type as SimDomain['type'] | undefined) ?? d.type;
      const mxRelay = 'mxRelay' in ctx.body ? (ctx.body.mxRelay as string | null) : d.mxRelay;
      if (family.platform === 'mxplan' && type !== d.type) throw badRequest('[type] The domain of an MX Plan service cannot change type');
      const task = ctx.tasks.create(svc, 'setDomain', undefined, {
        apply: () => {
          d.type = type;
          d.mxRelay = type === 'authoritative' ? null : mxRelay;
          d.state = 'ok';
          d.taskPendingId = 0;
        },
        rollback: () => {
          d.state = 'ok';
          d.taskPendingId = 0;
        },
      });
      d.taskPendingId = task.id;
      ctx.changed();
      return null;
    });
    if (family.platform === 'mxplan') continue;
    table.on('POST', `${P}/domain`, (ctx) => {
      const svc = service(ctx, family);
      const name = String(ctx.body.name).toLowerCase();
      if (!/^(?=.{1,253}$)([a-z0-9](-*[a-z0-9])*\.)+[a-z0-9-]{2,}$/.test(name)) throw badRequest(`[name] ${JSON.stringify(name)} is not a valid domain name (use punycode)`);
      if (svc.domains.some((d) => d.name === name)) throw conflict(`Domain ${name} is already attached to this service`);
      const type = ctx.body.type as SimDomain['type'];
      const d: SimDomain = {
        name,
        type,
        state: 'creating',
        mxRelay: type === 'nonAuthoritative' ? ((ctx.body.mxRelay as string | undefined) ?? null) : null,
        main: ctx.body.main === true,
        taskPendingId: 0,
        cnameToCheck: `${svc.service.replace(/[^a-z0-9]/gi, '').slice(-5).toLowerCase()}-check`,
        creationDate: nowIso(),
      };
      svc.domains.push(d);
      const task = ctx.tasks.create(svc, 'addDomain', undefined, {
        apply: () => {
          d.state = 'ok';
          d.taskPendingId = 0;
        },
        rollback: () => {
          svc.domains.splice(svc.domains.indexOf(d), 1);
        },
      });
      d.taskPendingId = task.id;
      ctx.changed();
      return renderTask(task);
    });
    table.on('DELETE', `${P}/domain/{domainName}`, (ctx) => {
      const svc = service(ctx, family);
      const d = domain(ctx, family, svc);
      if (svc.accounts.some((a) => a.domain === d.name)) throw badRequest(`Domain ${d.name} still has accounts: rename or reset them first`);
      d.state = 'deleting';
      const task = ctx.tasks.create(svc, 'deleteDomain', undefined, {
        apply: () => {
          svc.domains.splice(svc.domains.indexOf(d), 1);
        },
        rollback: () => {
          d.state = 'ok';
          d.taskPendingId = 0;
        },
      });
      d.taskPendingId = task.id;
      ctx.changed();
      return renderTask(task);
    });
  }
}
