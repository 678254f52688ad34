// `isoctl tenant list`: every tenant of the stack with its status (ok, drift, orphan, dangling).
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../../deps.js';
import { formatTable } from '../../io/output.js';
import type { TenantListResult } from '../../tenant/inventory.js';
import type { CommandRunner } from '../runner.js';
import { commandContext, withSpinner } from './context.js';

export interface ListTenantsOptions {
  /** Per-role reads (GetRole, ListRolePolicies, GetRolePolicy, probe user) to find policy, boundary and tag drift. */
  deep: boolean;
}

export async function runListTenants(opts: ListTenantsOptions, deps: Deps): Promise<TenantListResult> {
  const cc = await commandContext(deps, 'tenant list');
  const { listTenants } = await import('../../tenant/inventory.js');
  const result = await withSpinner(cc, () => listTenants(cc.ctx, { deep: opts.deep }));
  cc.done(false);
  return result;
}

export function renderTenantList(r: TenantListResult, c: ChalkInstance): string {
  if (r.tenants.length === 0) return `no tenants in stack ${r.stack}`;
  const color = (s: string) => (s === 'ok' ? c.green(s) : s === 'drift' ? c.yellow(s) : c.red(s));
  const rows = r.tenants.map((t) => [t.tenant, color(t.status), t.drift.join(',') || '-', t.role?.name ?? '-', t.mapping ? t.mapping.kind : '-', t.role?.createDate?.slice(0, 19).replace('T', ' ') ?? '-']);
  const summary = Object.entries(r.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return `${formatTable(['tenant', 'status', 'drift', 'role', 'mapping', 'created'], rows, c)}\n${c.dim(`${r.tenants.length} tenant(s): ${summary}; checked ${r.checked.join(', ')}${r.checked.includes('policy') ? '' : ' (--deep also compares policies, boundary and tags)'}`)}`;
}

export function registerListTenants(tenant: Command, runner: CommandRunner): void {
  tenant
    .command('list')
    .description('list the tenants of the stack with their status')
    .addHelpText('after', `
Examples:
  isoctl tenant list                # ok, drift, orphan or dangling per tenant
  isoctl tenant list --deep         # also compare policies, boundary and tags (one call per tenant)
  isoctl tenant list --json | jq -r '.tenants[] | select(.status != "ok") | .tenant'`)
    .option('--deep', 'also read each role to compare inline policy, boundary and tags (one more call per tenant)', false)
    .action(async (o: { deep: boolean }, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const result = await runListTenants({ deep: o.deep === true }, deps);
        deps.io.result(result, (c) => renderTenantList(result, c));
      }),
    );
}
