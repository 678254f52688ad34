// `isoctl teardown`: remove what `init` made for a stack that has no tenants left (before
// `terraform destroy` / `cdk destroy` of the pools and tables, or when retiring a stack). Refuses
// while any tenant exists; prints the plan and asks (type the stack name) on a terminal, --yes
// otherwise; --dry-run only prints. Exit 0 done, 1 some removal failed, 4 refused (tenants, or
// pieces only administrator credentials may remove), 75 some removal still propagating.
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../deps.js';
import type { TeardownItem, TeardownResult } from '../tenant/teardown.js';
import { FailedError, PendingError, RefusedError, UsageError } from '../errors.js';
import { parseDuration } from '../config/duration.js';
import { formatTable } from '../io/output.js';
import type { RemovalState } from '../tenant/resources/types.js';
import type { CommandRunner } from './runner.js';
import { commandContext, withSpinner } from './tenant/context.js';

export interface TeardownOptions {
  dryRun: boolean;
  /** How long removals may take to be confirmed. */
  timeoutMs: number;
}

export const DEFAULT_TEARDOWN_TIMEOUT = '60s';

export async function runTeardown(opts: TeardownOptions, deps: Deps): Promise<TeardownResult> {
  const cc = await commandContext(deps, 'teardown');
  const { ctx } = cc;
  const { stackTenants, planTeardown, applyTeardown, teardownResult } = await import('../tenant/teardown.js');
  const [tenants, items] = await withSpinner(cc, async () => {
    ctx.progress?.(`looking for tenants of stack ${ctx.config.stack}`);
    const t = await stackTenants(ctx);
    return [t, t.length > 0 ? [] : await planTeardown(ctx)] as const;
  });
  cc.done(false);
  if (tenants.length > 0) {
    const shown = tenants.slice(0, 10).join(' ');
    throw new RefusedError(
      `stack ${ctx.config.stack} still has ${tenants.length} tenant(s): ${shown}${tenants.length > 10 ? ' ...' : ''}. Remove them first: \`isoctl apply -f <file listing no tenants> --prune\` or \`isoctl tenant delete ${shown}\`; nothing was changed`,
      'tenants_exist',
      { tenants },
    );
  }
  const due = items.filter((i) => i.state === 'planned');
  if (!opts.dryRun && due.length > 0) {
    if (!deps.io.json && !deps.globals.yes) deps.io.info(renderItems(items, deps.io.err));
    await deps.prompter.confirmTyped(`Remove ${due.length} piece(s) of stack ${ctx.config.stack} (${due.map((i) => i.kind).join(', ')})?`, ctx.config.stack);
    await withSpinner(cc, () =>
      applyTeardown(
        {
          apis: ctx.apis,
          config: ctx.config,
          now: ctx.now,
          sleep: ctx.sleep,
          signal: ctx.signal,
          deadline: ctx.now() + opts.timeoutMs,
          confirm: true,
          purpose: 'teardown',
          progress: ctx.progress,
        },
        items,
        (i) => deps.io.debug(`${i.state} ${i.kind} ${i.target}${i.detail ? `: ${i.detail}` : ''}`),
      ),
    );
    cc.done(false);
  }
  return teardownResult(ctx, items, opts.dryRun);
}

function renderItems(items: TeardownItem[], c: ChalkInstance): string {
  const color = (s: RemovalState) =>
    s === 'removed' ? c.green(s) : s === 'planned' ? c.cyan(s) : s === 'skipped' ? c.dim(s) : s === 'waiting' ? c.yellow(s) : c.red(s);
  return formatTable(
    ['kind', 'target', 'state', 'admin', 'why'],
    items.map((i) => [i.kind, i.target, color(i.state), i.adminOnly ? 'yes' : '', i.detail && i.state !== 'planned' ? `${i.reason}; ${i.detail}` : i.reason]),
    c,
  );
}

export function renderTeardown(r: TeardownResult, c: ChalkInstance): string {
  if (r.items.length === 0) return `stack ${r.stack}: nothing of isoctl's left to remove`;
  const counts = (Object.entries(r.counts) as Array<[RemovalState, number]>)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const head = r.dryRun
    ? `${c.bold('plan')} for the teardown of stack ${r.stack} (dry run; "admin": needs the admin step's credentials):`
    : `teardown of stack ${r.stack}:`;
  return `${head}\n${renderItems(r.items, c)}\n${c.dim(counts)}`;
}

export function registerTeardownCommand(program: Command, runner: CommandRunner): void {
  program
    .command('teardown')
    .description(
      'remove what init made (mapping entry, principal-tag map, ABAC scope roles and groups, lock table, boundary) from a stack with no tenants left',
    )
    .addHelpText(
      'after',
      `
Examples:
  isoctl teardown --dry-run     # what would be removed; changes nothing
  isoctl teardown               # asks you to type the stack name
  isoctl teardown --yes --json  # from a script, before \`terraform destroy\`

Refused (exit 4, nothing changed) while the stack has tenants: remove them first with
\`isoctl apply -f <file listing no tenants> --prune\` or \`isoctl tenant delete <id>...\`.
Only what isoctl made and tagged for this stack is removed. The boundary (and in token or ABAC
mode the identity pool's mapping entry and principal-tag map) need the admin step's credentials
(\`isoctl policy render <any-tenant> --kind admin\`): run as the operator, teardown removes the
rest, names those and exits 4; run it again with administrator credentials.

Exit codes: 0 done (or nothing left), 1 some removal failed, 4 refused (tenants exist, or pieces
need administrator credentials), 75 some removal still propagating (run teardown again).`,
    )
    .option('--dry-run', 'print what would be removed; change nothing', false)
    .option('--timeout <duration>', 'how long removals may take to be confirmed; later ones end "waiting" (exit 75)', DEFAULT_TEARDOWN_TIMEOUT)
    .action(async (o: { dryRun: boolean; timeout: string }, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const timeoutMs = parseDuration(o.timeout);
        if (timeoutMs === undefined || timeoutMs <= 0) throw new UsageError(`--timeout: "${o.timeout}" is not a duration like 60s or 2m`, 'bad_flag');
        const result = await runTeardown({ dryRun: o.dryRun === true, timeoutMs }, deps);
        deps.io.result(result, (c) => renderTeardown(result, c));
        if (result.dryRun) return;
        const denied = result.items.filter((i) => i.accessDenied);
        const failed = result.items.filter((i) => i.state === 'failed' && !i.accessDenied);
        if (failed.length > 0)
          throw new FailedError(
            `teardown: ${failed.length} removal(s) failed: ${failed.map((i) => `${i.kind} ${i.target} (${i.detail ?? ''})`).join('; ')}`,
            'teardown_failed',
          );
        if (denied.length > 0)
          throw new RefusedError(
            `teardown: these credentials may not remove ${denied.map((i) => `${i.kind} ${i.target}`).join(', ')}${result.items.some((i) => i.state === 'skipped' && i.detail?.startsWith('kept:')) ? ' (and what depends on them was kept)' : ''}: the operator policy denies it by design. Run \`isoctl teardown\` again with administrator credentials that allow \`isoctl policy render <any-tenant> --kind admin\`; what these credentials may remove is removed.`,
            'teardown_needs_admin',
            { needsAdmin: result.needsAdmin },
          );
        if (result.counts.waiting > 0)
          throw new PendingError(`teardown: ${result.counts.waiting} removal(s) not yet confirmed by AWS (${result.counts.removed} removed)`, 30);
      }),
    );
}
