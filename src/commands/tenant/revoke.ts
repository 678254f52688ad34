// `isoctl tenant revoke-sessions <id>`: for leaked credentials. Denies the tenant's credentials
// issued before now and signs its users out globally; new sign-ins keep working. `--wait data`
// proves it with the probe identity (its earlier credentials denied, a fresh sign-in allowed).
import { Option, type Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../../deps.js';
import type { LifecycleWait } from '../../tenant/lifecycle.js';
import type { RevokeResult } from '../../tenant/revoke.js';
import type { CommandRunner } from '../runner.js';
import { parseTimeout } from './create.js';
import { commandContext, suggestingTenants, withSpinner } from './context.js';
import { renderCheck } from './render.js';
import { parseLifecycleWait } from './suspend.js';

export interface RevokeSessionsOptions {
  tenant: string;
  wait: LifecycleWait;
  timeoutMs: number;
}

export async function runRevokeSessions(opts: RevokeSessionsOptions, deps: Deps): Promise<RevokeResult> {
  const cc = await commandContext(deps, `tenant revoke-sessions ${opts.tenant}`);
  const { revokeSessions } = await import('../../tenant/revoke.js');
  const input = { tenant: opts.tenant, wait: opts.wait, timeoutMs: opts.timeoutMs };
  const result = await withSpinner(cc, () => suggestingTenants(cc, opts.tenant, () => revokeSessions(cc.ctx, input)));
  cc.done(false);
  return result;
}

export function renderRevokeSessions(r: RevokeResult, c: ChalkInstance): string {
  const lines = [
    `tenant ${c.bold(r.tenant)}: credentials issued before ${c.bold(r.issuedBefore)} are denied (${r.deny})`,
    `signed out globally (refresh and access tokens revoked): ${r.signedOut.length === 0 ? c.dim('no users') : r.signedOut.join(', ')}`,
    c.dim(
      `inline policies of the role: ${r.inlinePolicyChars.used} of ${r.inlinePolicyChars.limit} characters; ID tokens stay valid until they expire; new sign-ins work`,
    ),
  ];
  if (r.wait) {
    lines.push(`${c.bold('converged')} (${r.wait.level}) in ${(r.wait.elapsedMs / 1000).toFixed(1)}s:`);
    for (const k of r.wait.checks) lines.push(renderCheck(k, c));
  }
  return lines.join('\n');
}

export function registerRevokeSessions(tenant: Command, runner: CommandRunner): void {
  tenant
    .command('revoke-sessions')
    .description("for leaked credentials: deny the tenant's credentials issued before now and sign its users out globally (new sign-ins keep working)")
    .addHelpText(
      'after',
      `
Examples:
  isoctl tenant revoke-sessions acme               # done when IAM shows the deny
  isoctl tenant revoke-sessions acme --wait data   # done when the probe's earlier credentials are denied and a fresh sign-in reads again`,
    )
    .argument('<id>', 'tenant id')
    .addOption(new Option('--wait <level>', 'wait until this is visible: none, iam, or data (the probe)').default('iam'))
    .option('--timeout <duration>', 'give up waiting after this long (exit 75; run again to finish)', '90s')
    .action(async (id: string, o: { wait: string; timeout: string }, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const result = await runRevokeSessions({ tenant: id, wait: parseLifecycleWait(o.wait), timeoutMs: parseTimeout(o.timeout) }, deps);
        deps.io.result(result, (c) => renderRevokeSessions(result, c));
      }),
    );
}
