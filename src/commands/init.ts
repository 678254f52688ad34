// `isoctl init`: validate the config against AWS and make the stack's shared pieces (boundary,
// lock table, identity-pool role mapping, principal-tag map). Idempotent.
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../deps.js';
import type { InitResult } from '../tenant/stack.js';
import type { CommandRunner } from './runner.js';
import { commandContext, withSpinner } from './tenant/context.js';

export interface InitOptions {
  dryRun: boolean;
}

export async function runInit(opts: InitOptions, deps: Deps): Promise<InitResult> {
  const cc = await commandContext(deps, 'init');
  const { initStack } = await import('../tenant/stack.js');
  const result = await withSpinner(cc, () => initStack(cc.ctx, { dryRun: opts.dryRun }));
  cc.done(false);
  for (const w of result.warnings) deps.io.warn(w);
  return result;
}

export function renderInit(r: InitResult, c: ChalkInstance): string {
  const head =
    r.status === 'planned'
      ? `${c.bold('plan')} for stack ${r.stack} (account ${r.accountId}): ${r.steps.length === 0 ? 'nothing to do' : `${r.steps.length} step(s)`}`
      : `stack ${c.bold(r.stack)} ${r.status === 'unchanged' ? c.dim('unchanged') : c.green(r.status)} (account ${r.accountId}, ${r.mapping.mode} mapping)`;
  const lines = [head];
  for (const s of r.steps)
    lines.push(`  ${s.state === 'planned' ? c.cyan('~') : c.green('+')} ${s.action.padEnd(22)} ${s.target}${c.dim(`  (${s.detail ?? s.reason})`)}`);
  lines.push(c.dim(`  boundary ${r.boundaryArn}`), c.dim(`  lock table ${r.lockTable}`));
  return lines.join('\n');
}

export function registerInitCommand(program: Command, runner: CommandRunner): void {
  program
    .command('init')
    .description("validate the config against AWS and create the stack's boundary, lock table and identity-pool mapping (idempotent)")
    .addHelpText(
      'after',
      `
Examples:
  isoctl init --dry-run    # what would change; changes nothing
  isoctl init              # idempotent: run it again after changing the config`,
    )
    .option('--dry-run', 'print what would change; change nothing', false)
    .action(async (o: { dryRun: boolean }, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const result = await runInit({ dryRun: o.dryRun === true }, deps);
        deps.io.result(result, (c) => renderInit(result, c));
      }),
    );
}
