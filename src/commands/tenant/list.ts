// `isoctl tenant list`: every tenant of the stack with its status (ok, drift, orphan, dangling,
// propagating: orphan or dangling within a minute of a create, not an alarm).
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../../deps.js';
import { formatTable } from '../../io/output.js';
import type { TenantListResult, TenantStatus } from '../../tenant/inventory.js';
import { FailedError, UsageError } from '../../errors.js';
import { didYouMean } from '../../config/did-you-mean.js';
import type { CommandRunner } from '../runner.js';
import { commandContext, withSpinner } from './context.js';

export interface ListTenantsOptions {
  /** Per-role reads (GetRole, ListRolePolicies, GetRolePolicy, probe user) to find policy, boundary and tag drift. */
  deep: boolean;
  /** Only tenants in these states (counts still cover the whole stack). */
  status?: TenantStatus[] | undefined;
}

export const TENANT_STATUSES: readonly TenantStatus[] = ['ok', 'drift', 'orphan', 'dangling', 'propagating'];
/** The states `tenant list --deep` exits 1 for (propagating is a create in progress, not an alarm). */
const DEEP_FAILS: readonly TenantStatus[] = ['drift', 'orphan', 'dangling'];

/** `--status drift,orphan` (or repeated): the states to show; a misspelt one is a usage error with a suggestion. */
export function parseStatusFlag(values: string[] | undefined): TenantStatus[] | undefined {
  if (values === undefined) return undefined;
  const names = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError(`--status needs at least one of ${TENANT_STATUSES.join(', ')}`, 'bad_flag');
  for (const n of names)
    if (!(TENANT_STATUSES as readonly string[]).includes(n))
      throw new UsageError(`--status: unknown state ${JSON.stringify(n)}${didYouMean(n, TENANT_STATUSES)}; one of ${TENANT_STATUSES.join(', ')}`, 'bad_flag');
  return [...new Set(names)] as TenantStatus[];
}

export async function runListTenants(opts: ListTenantsOptions, deps: Deps): Promise<TenantListResult> {
  const cc = await commandContext(deps, 'tenant list');
  // ABAC tenants have no IAM object of their own: the registry and Cognito say what exists.
  const { listTenants } =
    cc.ctx.config.mapping === 'abac' ? { listTenants: (await import('../../tenant/abac-list.js')).listAbacTenants } : await import('../../tenant/inventory.js');
  const result = await withSpinner(cc, () => listTenants(cc.ctx, { deep: opts.deep }));
  cc.done(false);
  const wanted = opts.status;
  return wanted ? { ...result, tenants: result.tenants.filter((t) => wanted.includes(t.status)) } : result;
}

export function renderTenantList(r: TenantListResult, c: ChalkInstance): string {
  if (r.tenants.length === 0)
    return Object.values(r.counts).some((n) => n > 0) ? `no tenants in stack ${r.stack} in the states asked for` : `no tenants in stack ${r.stack}`;
  const color = (s: string) => (s === 'ok' ? c.green(s) : s === 'drift' ? c.yellow(s) : s === 'propagating' ? c.cyan(s) : c.red(s));
  const life = (s: string | null) => (s === null ? c.red('unregistered') : s === 'active' ? s : c.yellow(s));
  const when = (iso: string | undefined) => iso?.slice(0, 19).replace('T', ' ') ?? '-';
  const abac = r.mapping === 'abac';
  // ABAC tenants have no role of their own: their scopes (registry) and, when read, the probe user
  // (carrying the tenant claim) stand in the role's place.
  const probesRead = r.checked.includes('probe');
  const [headers, rows] = abac
    ? [
        ['tenant', 'status', 'lifecycle', 'drift', 'scopes', ...(probesRead ? ['probe user'] : []), 'registered'],
        r.tenants.map((t) => [
          t.tenant,
          color(t.status),
          life(t.lifecycle),
          t.drift.join(',') || '-',
          t.registered?.scopes.join(',') || '-',
          ...(probesRead ? [t.probeUser ?? '-'] : []),
          when(t.registered?.createdAt),
        ]),
      ]
    : [
        ['tenant', 'status', 'lifecycle', 'drift', 'role', 'mapping', 'created'],
        r.tenants.map((t) => [
          t.tenant,
          color(t.status),
          life(t.lifecycle),
          t.drift.join(',') || '-',
          t.role?.name ?? '-',
          t.mapping ? t.mapping.kind : '-',
          when(t.role?.createDate),
        ]),
      ];
  const summary = Object.entries(r.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const total = Object.values(r.counts).reduce((a, b) => a + b, 0);
  const unfinished = r.tenants.filter((t) => t.drift.includes('probe')).map((t) => t.tenant);
  const finish =
    unfinished.length === 0
      ? ''
      : `\n${c.yellow(`not complete (no probe user to sign in as): ${unfinished.join(', ')}; run \`isoctl tenant create <tenant>\` again to finish`)}`;
  const details = r.tenants
    .filter((t) => t.fix !== undefined || (t.findings?.length ?? 0) > 0)
    .map((t) =>
      [`${c.bold(t.tenant)}: ${t.status}`, ...(t.findings ?? []).map((f) => `  - ${f.aspect}: ${f.detail}`), ...(t.fix ? [`  fix: ${t.fix}`] : [])].join('\n'),
    );
  const table = formatTable(headers, rows, c);
  return `${table}${details.length > 0 ? `\n\n${details.join('\n')}` : ''}\n${registryLines(r, c)}${c.dim(`${r.tenants.length === total ? '' : `${r.tenants.length} shown; `}${total} tenant(s): ${summary}; checked ${r.checked.join(', ')}${checkedHint(r)}`)}${finish}${r.clobber ? `\n${c.red('!')} ${r.clobber.tenants.length} tenant(s) lost their identity-pool ${r.mapping === 'rules' ? 'rule' : abac ? 'mapping entry or principal-tag map' : 'mapping entry'} (the pool shows ${r.clobber.found}). Likely cause: ${r.clobber.cause}.\n  Repair: ${r.clobber.command}. ${r.clobber.action}` : ''}`;
}

/** What the footer says was not compared. */
function checkedHint(r: TenantListResult): string {
  if (r.mapping !== 'abac') return r.checked.includes('policy') ? '' : ' (--deep also compares policies, boundary and tags)';
  if (!r.registry.comparedWithAws) return ' (registry only; --deep also checks probe users, silo tables and the identity pool)';
  return r.checked.includes('silo-table') ? '' : ' (--deep also checks silo tables, scope groups and the identity pool)';
}

function registryLines(r: TenantListResult, c: ChalkInstance): string {
  const g = r.registry;
  const lines: string[] = [];
  if (g.filled.length > 0) lines.push(c.dim(`registry filled from AWS: ${g.filled.join(', ')}`));
  if (g.registryOnly.length > 0)
    lines.push(
      c.yellow(`registry-only (${r.mapping === 'abac' ? 'no probe user carrying the claim' : 'no role or mapping'} in AWS): ${g.registryOnly.join(', ')}`),
    );
  if (g.awsOnly.length > 0) lines.push(c.yellow(`AWS-only (no registry row): ${g.awsOnly.join(', ')}`));
  return lines.map((l) => `${l}\n`).join('');
}

/** `--deep`: the registry and AWS must agree; a tenant on one side only is drift (exit 1, after the listing). */
export function assertRegistryAgrees(r: TenantListResult): void {
  const { registryOnly, awsOnly } = r.registry;
  if (registryOnly.length === 0 && awsOnly.length === 0) return;
  const parts = [
    registryOnly.length > 0 ? `registry-only: ${registryOnly.join(', ')}` : '',
    awsOnly.length > 0 ? `AWS-only: ${awsOnly.join(', ')}` : '',
  ].filter(Boolean);
  throw new FailedError(
    `the registry and AWS disagree (${parts.join('; ')}); \`isoctl tenant create <id>\` registers a tenant AWS shows, \`isoctl tenant delete <id>\` removes a row whose resources are gone`,
    'registry_drift',
    { details: { registryOnly, awsOnly } },
  );
}

export function registerListTenants(tenant: Command, runner: CommandRunner): void {
  tenant
    .command('list')
    .description('list the tenants of the stack with their status')
    .addHelpText(
      'after',
      `
Examples:
  isoctl tenant list                # ok, drift, orphan, dangling or propagating per tenant
  isoctl tenant list --deep         # also compare policies, boundary and tags (one call per tenant)
                                    # ABAC: the plain list reads only the registry; --deep also reads
                                    # probe users, silo tables and the identity pool
  isoctl tenant list --status drift,orphan   # only those (counts still cover every tenant)
  isoctl tenant list --json | jq -r '.tenants[] | select(.status != "ok") | .tenant'`,
    )
    .option(
      '--deep',
      'also read each role to compare inline and attached policies, boundary and tags, and prove the data policy stays within the tenant (ABAC: read the probe users, silo tables and the identity pool, and compare them with the registry); exit 1 on drift, orphan or dangling',
      false,
    )
    .option(
      '--status <states>',
      `only tenants in these states: ${TENANT_STATUSES.join(', ')} (comma-separated or repeated)`,
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .action(async (o: { deep: boolean; status?: string[] }, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const result = await runListTenants({ deep: o.deep === true, status: parseStatusFlag(o.status) }, deps);
        deps.io.result(result, (c) => renderTenantList(result, c));
        // --deep is the drift check (cron, CI): exit 1 when a tenant drifted or is missing parts.
        const bad = o.deep === true ? result.tenants.filter((t) => DEEP_FAILS.includes(t.status)) : [];
        if (bad.length > 0)
          throw new FailedError(
            `tenant list --deep: ${bad.length} tenant(s) not ok: ${bad.map((t) => `${t.tenant} (${t.status}${t.drift.length > 0 ? `: ${t.drift.join(', ')}` : ''})`).join(', ')}`,
            'tenant_drift',
          );
        if (o.deep === true) assertRegistryAgrees(result);
      }),
    );
}
