// `isoctl tenant verify <id>`: sign in as the tenant's probe identity and try reads that must
// succeed and reads that must be denied. Exit 0 when isolation holds, 1 when it does not.
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../../deps.js';
import { FailedError, UsageError } from '../../errors.js';
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
  if (opts.against !== undefined && opts.against === opts.tenant) throw new UsageError(`--against must name another tenant than ${JSON.stringify(opts.tenant)}`, 'bad_flag');
  const cc = await commandContext(deps, `tenant verify ${opts.tenant}`);
  const { verifyTenant } = await import('../../tenant/verify.js');
  const result = await withSpinner(cc, () => suggestingTenants(cc, opts.tenant, () => verifyTenant(cc.ctx, opts.tenant, { against: opts.against })));
  cc.done(false);
  return result;
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
    .addHelpText('after', `
Examples:
  isoctl tenant verify acme                          # acme's probe against another tenant of the stack
  isoctl tenant verify acme --against globex --json  # exit 1 when globex's rows are readable`)
    .argument('<id>', 'tenant id')
    .option('--against <tenant>', 'the other tenant whose partition must be denied (default: another tenant of the stack)')
    .action(async (id: string, o: { against?: string }, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const result = await runVerifyTenant({ tenant: id, against: o.against }, deps);
        deps.io.result(result, (c) => renderVerifyTenant(result, c));
        if (!result.isolated) {
          const failed = result.checks.filter((k) => !k.ok).map((k) => k.name);
          throw new FailedError(`isolation does not hold for tenant ${result.tenant}: ${failed.join(', ')}`, 'isolation_failed');
        }
      }),
    );
}
