// `tenant verify a b c` and `tenant verify --all`: the isolation probe of many tenants with
// bounded concurrency. One role scan serves them all: it lists the tenants for --all, tells a
// missing tenant apart, and picks each probe's other tenant (another tenant of the stack).
import { setMaxListeners } from 'node:events';
import { tenantIdProblem } from '../../config/tenant-id.js';
import { IsoctlError } from '../../errors.js';
import type { TenantContext } from '../../tenant/context.js';
import { neighbourTenant } from '../../tenant/create.js';
import { role as roleResource } from '../../tenant/resources/index.js';
import { verifyTenant, type VerifyTenantResult } from '../../tenant/verify.js';
import { readRetry } from './observe.js';

export type VerifyStatus = 'isolated' | 'not-isolated' | 'failed';

export interface VerifyOutcome {
  tenant: string;
  status: VerifyStatus;
  against?: string | undefined;
  detail?: string | undefined;
  code?: string | undefined;
  result?: VerifyTenantResult | undefined;
}

export interface VerifyManyResult {
  stack: string;
  tenants: VerifyOutcome[];
  counts: Record<VerifyStatus, number>;
  interrupted: boolean;
}

export interface VerifyProgress {
  tenant: string;
  status: VerifyStatus;
  detail?: string | undefined;
  done: number;
  total: number;
  failed: number;
  pending: number;
}

export async function verifyTenants(
  ctx: TenantContext,
  ids: string[] | 'all',
  opts: { concurrency: number; onStart?: (total: number) => void; onProgress?: (e: VerifyProgress) => void },
): Promise<VerifyManyResult> {
  const { apis, config } = ctx;
  if (ctx.signal) setMaxListeners(Math.max(10, opts.concurrency * 8), ctx.signal);
  ctx.progress?.("listing the stack's tenants");
  const roles = await readRetry(ctx, () => apis.iam.listStackRoles(config.stack));
  const known = roles
    .map((r) => roleResource.tenantOfRoleName(config, r.name))
    .filter((t): t is string => t !== undefined && tenantIdProblem(t) === undefined)
    .sort();
  const tenants = ids === 'all' ? known : ids;
  const quiet: TenantContext = { ...ctx, progress: undefined };
  const outcomes: VerifyOutcome[] = [];
  opts.onStart?.(tenants.length);
  const bad = () => outcomes.filter((o) => o.status !== 'isolated').length;
  const report = (o: VerifyOutcome) => {
    outcomes.push(o);
    opts.onProgress?.({ tenant: o.tenant, status: o.status, detail: o.detail, done: outcomes.length, total: tenants.length, failed: bad(), pending: 0 });
  };
  let next = 0;
  const worker = async () => {
    while (!ctx.signal?.aborted) {
      const i = next++;
      if (i >= tenants.length) return;
      const tenant = tenants[i]!;
      if (!known.includes(tenant)) {
        report({ tenant, status: 'failed', detail: `tenant ${JSON.stringify(tenant)} has no role in stack ${config.stack}`, code: 'tenant_not_found' });
        continue;
      }
      // The next tenant of the stack in order (wrapping), else a tenant that does not exist.
      const k = known.indexOf(tenant);
      const against = known.length > 1 ? known[(k + 1) % known.length]! : neighbourTenant(tenant);
      try {
        const result = await verifyTenant(quiet, tenant, { against: known.length > 1 ? against : undefined });
        const failedChecks = result.checks.filter((c) => !c.ok).map((c) => c.name);
        report({
          tenant,
          status: result.isolated ? 'isolated' : 'not-isolated',
          against: result.against,
          result,
          detail: result.isolated ? undefined : `isolation does not hold: ${failedChecks.join(', ')}`,
        });
      } catch (err) {
        if (ctx.signal?.aborted) return;
        report({ tenant, status: 'failed', detail: (err as Error).message, code: err instanceof IsoctlError ? err.code : undefined });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, tenants.length)) }, worker));
  const order = new Map(tenants.map((t, i) => [t, i]));
  outcomes.sort((a, b) => order.get(a.tenant)! - order.get(b.tenant)!);
  const counts: Record<VerifyStatus, number> = { isolated: 0, 'not-isolated': 0, failed: 0 };
  for (const o of outcomes) counts[o.status]++;
  return { stack: config.stack, tenants: outcomes, counts, interrupted: ctx.signal?.aborted === true };
}
