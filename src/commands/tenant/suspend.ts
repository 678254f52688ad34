// `isoctl tenant suspend <id>` / `tenant resume <id>`: deny all of a tenant's sessions (existing
// and new) until resumed; `--wait data` proves it with the probe identity.
import { Option, type Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../../deps.js';
import { UsageError } from '../../errors.js';
import type { LifecycleWait, SuspendResult } from '../../tenant/lifecycle.js';
import type { CommandRunner } from '../runner.js';
import { parseTimeout } from './create.js';
import { commandContext, suggestingTenants, withSpinner } from './context.js';
import { renderCheck } from './render.js';

export interface SuspendTenantOptions {
  tenant: string;
  suspend: boolean;
  wait: LifecycleWait;
  timeoutMs: number;
}

export async function runSuspendTenant(opts: SuspendTenantOptions, deps: Deps): Promise<SuspendResult> {
  const cc = await commandContext(deps, `tenant ${opts.suspend ? 'suspend' : 'resume'} ${opts.tenant}`);
  const { setSuspended } = await import('../../tenant/lifecycle.js');
  const result = await withSpinner(cc, () =>
    suggestingTenants(cc, opts.tenant, () => setSuspended(cc.ctx, { tenant: opts.tenant, wait: opts.wait, timeoutMs: opts.timeoutMs }, opts.suspend)),
  );
  cc.done(false);
  return result;
}

export function renderSuspendTenant(r: SuspendResult, c: ChalkInstance): string {
  const state = r.suspended ? c.yellow('suspended') : c.green('active');
  const lines = [
    `tenant ${c.bold(r.tenant)} ${state}${r.status === 'unchanged' ? c.dim(' (already so; nothing changed)') : ''}: ${r.suspended ? '' : 'no '}${r.deny}`,
  ];
  if (r.wait) {
    lines.push(`${c.bold('converged')} (${r.wait.level}) in ${(r.wait.elapsedMs / 1000).toFixed(1)}s:`);
    for (const k of r.wait.checks) lines.push(renderCheck(k, c));
  }
  return lines.join('\n');
}

export function parseLifecycleWait(value: string): LifecycleWait {
  if (value === 'none' || value === 'iam' || value === 'data') return value;
  throw new UsageError(`--wait must be one of none, iam, data (got ${JSON.stringify(value)})`, 'bad_flag');
}

function register(tenant: Command, runner: CommandRunner, suspend: boolean): void {
  const name = suspend ? 'suspend' : 'resume';
  tenant
    .command(name)
    .description(
      suspend
        ? "deny all of a tenant's sessions, existing and new, until `tenant resume` (role mode: a deny-all inline policy on its role; ABAC: a deny keyed on its tenant tag on the scope roles)"
        : "let a suspended tenant's sessions in again (removes the suspension deny)",
    )
    .addHelpText(
      'after',
      `
Examples:
  isoctl tenant ${name} acme                 # done when IAM shows the change
  isoctl tenant ${name} acme --wait data     # done when the probe identity is ${suspend ? 'denied its own rows' : 'allowed its own rows again'}`,
    )
    .argument('<id>', 'tenant id')
    .addOption(new Option('--wait <level>', 'wait until this is visible: none, iam, or data (the probe)').default('iam'))
    .option('--timeout <duration>', 'give up waiting after this long (exit 75; run again to finish)', '90s')
    .action(async (id: string, o: { wait: string; timeout: string }, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const result = await runSuspendTenant({ tenant: id, suspend, wait: parseLifecycleWait(o.wait), timeoutMs: parseTimeout(o.timeout) }, deps);
        deps.io.result(result, (c) => renderSuspendTenant(result, c));
      }),
    );
}

export function registerSuspendTenant(tenant: Command, runner: CommandRunner): void {
  register(tenant, runner, true);
  register(tenant, runner, false);
}
