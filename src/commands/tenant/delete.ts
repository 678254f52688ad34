// `isoctl tenant delete <id>`: remove mapping, probe user, inline policies and role; only what
// carries the stack's path and tags. Asks to type the id on a terminal; otherwise needs --yes.
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../../deps.js';
import type { DeleteTenantResult, RemovalItem } from '../../tenant/delete.js';
import type { CommandRunner } from '../runner.js';
import { commandContext, withSpinner } from './context.js';
import { renderCheck } from './render.js';
import { parseTimeout } from './create.js';

export interface DeleteTenantOptions {
  tenant: string;
  dryRun: boolean;
  ignoreMissing: boolean;
  /** Wait until IAM stops showing the role; undefined: do not wait. */
  timeoutMs?: number | undefined;
}

export async function runDeleteTenant(opts: DeleteTenantOptions, deps: Deps): Promise<DeleteTenantResult> {
  const cc = await commandContext(deps, `tenant delete ${opts.tenant}`);
  const { deleteTenant } = await import('../../tenant/delete.js');
  const result = await withSpinner(cc, () =>
    deleteTenant(cc.ctx, {
      tenant: opts.tenant,
      dryRun: opts.dryRun,
      ignoreMissing: opts.ignoreMissing,
      waitMs: opts.timeoutMs,
      confirm: async (steps) => {
        cc.done(false);
        await deps.prompter.confirmTyped(
          `Delete tenant ${opts.tenant} of stack ${cc.ctx.config.stack} (${steps.length} removal(s): ${steps.map((s) => s.action).join(', ')})?`,
          opts.tenant,
        );
      },
    }),
  );
  cc.done(false);
  return result;
}

export function renderDeleteTenant(r: DeleteTenantResult, c: ChalkInstance): string {
  if (r.status === 'absent') return `tenant ${r.tenant} does not exist in stack ${r.stack}; nothing to delete`;
  const head =
    r.status === 'planned'
      ? `${c.bold('plan')} to delete tenant ${r.tenant} (stack ${r.stack}): ${r.items.length} removal(s)`
      : `tenant ${c.bold(r.tenant)} ${c.red('deleted')}: ${r.counts.removed} removed, ${r.counts.skipped} already gone`;
  const lines = [head, ...r.items.map((i) => renderRemoval(i, c))];
  if (r.wait) for (const k of r.wait.checks) lines.push(renderCheck(k, c));
  if (r.kept.length) lines.push(c.dim(`  kept silo table(s) ${r.kept.join(', ')}: they hold the tenant's data; delete them yourself when you mean to`));
  return lines.join('\n');
}

/** One removal in the removal vocabulary (the same marks as create's steps: ~ planned, + done, = left alone). */
export function renderRemoval(i: RemovalItem, c: ChalkInstance): string {
  const mark = { planned: c.cyan('~'), removed: c.green('+'), skipped: c.dim('='), waiting: c.yellow('…'), failed: c.red('✗') }[i.state];
  return `  ${mark} ${i.action.padEnd(24)} ${i.target}${c.dim(`  (${i.detail ?? i.reason})`)}`;
}

export function registerDeleteTenant(tenant: Command, runner: CommandRunner): void {
  tenant
    .command('delete')
    .description('delete a tenant: mapping, probe user, inline policies, role (asks first; --yes without a terminal)')
    .addHelpText(
      'after',
      `
Examples:
  isoctl tenant delete acme                          # asks you to type acme
  isoctl tenant delete acme --dry-run                # what would be removed; changes nothing
  isoctl tenant delete acme --yes --json             # scripts: no question, one JSON document
  isoctl tenant delete acme --yes --ignore-missing   # exit 0 when acme is already gone
  isoctl tenant delete acme globex --yes             # several at once (the apply engine)`,
    )
    .argument('<ids...>', 'tenant id(s)')
    .option('--dry-run', 'print the plan; change nothing', false)
    .option('--ignore-missing', 'exit 0 when the tenant does not exist', false)
    .option('--no-wait', 'do not wait until IAM stops showing the role')
    .option('--timeout <duration>', 'give up waiting after this long (exit 75; run again to finish)', '90s')
    .option('--concurrency <n>', 'with several ids: tenants worked on at once (default 8, at most 64)')
    .action(async (ids: string[], o: { dryRun: boolean; ignoreMissing: boolean; wait: boolean; timeout: string; concurrency?: string }, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const timeoutMs = o.wait === false ? undefined : parseTimeout(o.timeout);
        if (ids.length > 1) {
          const { finishApply, parseConcurrency, runApply } = await import('../apply-run.js');
          const { specFromIds } = await import('../../ops/apply/index.js');
          const remove = specFromIds(ids).tenants.map((t) => t.id);
          const result = await runApply(
            {
              spec: { tenants: [] },
              remove,
              ignoreMissing: o.ignoreMissing === true,
              prune: false,
              dryRun: o.dryRun === true,
              concurrency: o.concurrency === undefined ? undefined : parseConcurrency(o.concurrency),
              wait: timeoutMs === undefined ? 'none' : 'iam',
              timeoutMs: timeoutMs ?? 90_000,
              purpose: `tenant delete ${ids.join(' ')}`,
            },
            deps,
          );
          return finishApply(result, deps);
        }
        const id = ids[0]!;
        const result = await runDeleteTenant({ tenant: id, dryRun: o.dryRun === true, ignoreMissing: o.ignoreMissing === true, timeoutMs }, deps);
        deps.io.result(result, (c) => renderDeleteTenant(result, c));
      }),
    );
}
