// `isoctl tenant verify <id>`: sign in as the tenant's probe identity and try reads that must
// succeed and reads that must be denied. Exit 0 when isolation holds, 1 when it does not.
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../../deps.js';
import { FailedError, InterruptedError, UsageError } from '../../errors.js';
import type { VerifyManyResult } from '../../ops/apply/verify-many.js';
import type { VerifyTenantResult } from '../../tenant/verify.js';
import type { CommandRunner } from '../runner.js';
import { commandContext, suggestingTenants, withSpinner } from './context.js';

export interface VerifyTenantOptions {
  tenant: string;
  /** The tenant whose partition the probe must be denied (default: another tenant of the stack). */
  against?: string | undefined;
}

export async function runVerifyTenant(opts: VerifyTenantOptions, deps: Deps): Promise<VerifyTenantResult> {
  // Probing a tenant against itself reads its own rows: "isolation does NOT hold" (exit 1) would page someone for a typo.
  if (opts.against !== undefined && opts.against === opts.tenant)
    throw new UsageError(`--against must name another tenant than ${JSON.stringify(opts.tenant)}`, 'bad_flag');
  const cc = await commandContext(deps, `tenant verify ${opts.tenant}`);
  const { verifyTenant } = await import('../../tenant/verify.js');
  const result = await withSpinner(cc, () => suggestingTenants(cc, opts.tenant, () => verifyTenant(cc.ctx, opts.tenant, { against: opts.against })));
  cc.done(false);
  return result;
}

export async function runVerifyMany(ids: string[] | 'all', concurrency: number | undefined, deps: Deps): Promise<VerifyManyResult> {
  const { boundedConcurrency, specFromIds } = await import('../../ops/apply/index.js');
  if (ids !== 'all') specFromIds(ids);
  const n = boundedConcurrency(concurrency);
  const cc = await commandContext(deps, ids === 'all' ? 'tenant verify --all' : `tenant verify ${ids.join(' ')}`);
  const { verifyTenants } = await import('../../ops/apply/verify-many.js');
  const { progressReporter } = await import('../../io/progress-bar.js');
  const bar = await progressReporter(deps.io, 'tenant verify');
  try {
    return await withSpinner(cc, () =>
      verifyTenants(cc.ctx, ids, {
        concurrency: n,
        onStart: (total) => {
          cc.done(false);
          bar.start(total);
        },
        onProgress: (e) => bar.update(e),
      }),
    );
  } finally {
    bar.stop();
    cc.done(false);
  }
}

export function renderVerifyMany(r: VerifyManyResult, c: ChalkInstance): string {
  const mark = { isolated: c.green('✓'), 'not-isolated': c.red('✗'), failed: c.red('✗') };
  const lines = r.tenants.map(
    (t) =>
      `  ${mark[t.status]} ${t.tenant.padEnd(20)} ${t.status}${t.against ? c.dim(` (against ${t.against})`) : ''}${t.detail ? c.dim(`  ${t.detail}`) : ''}`,
  );
  lines.push(
    `${r.tenants.length} tenant(s) of stack ${r.stack}: ${r.counts.isolated} isolated, ${r.counts['not-isolated']} not isolated, ${r.counts.failed} failed`,
  );
  return lines.join('\n');
}

export function renderVerifyTenant(r: VerifyTenantResult, c: ChalkInstance): string {
  const lines = [`probe of tenant ${c.bold(r.tenant)} as ${r.roleArn} (identity ${r.identityId}, key ${r.accessKeyId}), other tenant ${r.against}:`];
  for (const k of r.checks) {
    const mark = k.ok ? c.green('✓') : c.red('✗');
    const what = `${k.action} ${k.table} [${k.keys.join(', ')}]`;
    lines.push(`  ${mark} ${k.name.padEnd(20)} expect ${k.expect.padEnd(5)} got ${k.outcome.padEnd(7)} ${what}${k.detail ? c.dim(`\n      ${k.detail}`) : ''}`);
  }
  lines.push(r.isolated ? c.green(`isolation holds for ${r.tenant}`) : c.red(`isolation does NOT hold for ${r.tenant}`));
  return lines.join('\n');
}

export function registerVerifyTenant(tenant: Command, runner: CommandRunner): void {
  tenant
    .command('verify')
    .description('run the end-to-end isolation probe for a tenant (exit 0 when isolation holds, 1 when not)')
    .addHelpText(
      'after',
      `
Examples:
  isoctl tenant verify acme                          # acme's probe against another tenant of the stack
  isoctl tenant verify acme --against globex --json  # exit 1 when globex's rows are readable
  isoctl tenant verify acme globex                   # several tenants, each against another of the stack
  isoctl tenant verify --all --concurrency 8         # every tenant of the stack; exit 1 if any leaks`,
    )
    .argument('[ids...]', 'tenant id(s)')
    .option('--against <tenant>', 'the other tenant whose partition must be denied (default: another tenant of the stack)')
    .option('--all', 'probe every tenant of the stack', false)
    .option('--concurrency <n>', 'with several tenants: probes run at once (default 8, at most 64)')
    .action(async (ids: string[], o: { against?: string; all: boolean; concurrency?: string }, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        if (o.all && ids.length > 0) throw new UsageError('pass tenant ids or --all, not both', 'flag_conflict');
        if (!o.all && ids.length === 0) throw new UsageError('tenant verify needs a tenant id (or several, or --all)', 'usage');
        if (o.all || ids.length > 1) {
          if (o.against !== undefined)
            throw new UsageError('--against applies to one tenant; with several each is probed against another tenant of the stack', 'flag_conflict');
          const { parseConcurrency } = await import('../apply-run.js');
          const many = await runVerifyMany(o.all ? 'all' : ids, o.concurrency === undefined ? undefined : parseConcurrency(o.concurrency), deps);
          deps.io.result(many, (c) => renderVerifyMany(many, c));
          if (many.interrupted) throw new InterruptedError(`interrupted: ${many.tenants.length} tenant(s) probed; run the same command again`);
          const bad = many.tenants.filter((t) => t.status !== 'isolated');
          if (bad.length > 0)
            throw new FailedError(
              `${bad.length} of ${many.tenants.length} tenant(s) not verified: ${bad.map((t) => `${t.tenant} (${t.status})`).join(', ')}`,
              many.counts['not-isolated'] > 0 ? 'isolation_failed' : 'verify_failed',
            );
          return;
        }
        const id = ids[0]!;
        const result = await runVerifyTenant({ tenant: id, against: o.against }, deps);
        deps.io.result(result, (c) => renderVerifyTenant(result, c));
        if (!result.isolated) {
          const failed = result.checks.filter((k) => !k.ok).map((k) => k.name);
          throw new FailedError(`isolation does not hold for tenant ${result.tenant}: ${failed.join(', ')}`, 'isolation_failed');
        }
      }),
    );
}
