// `isoctl gc`: find the stack's orphaned roles, dangling groups or rules, probe users of tenants
// that no longer exist, half-created tenants and revoke-sessions statements past the longest
// credential lifetime; in ABAC mode, probe users of tenants not in the registry (their silo tables
// are listed and kept) and tombstones past the longest token lifetime; print the plan (dry run, the default) or remove
// them with --apply. Made for cron: no prompt without a terminal (--yes), no spinner, one JSON
// document, exit 0 done / 1 some failed / 75 some still propagating.
import type { MappingMode } from '../config/schema.js';
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../deps.js';
import type { GcItem, GcState } from '../ops/gc/plan.js';
import { formatTable } from '../io/output.js';
import { spinnerEnabled } from '../io/streams.js';
import { FailedError, PendingError, UsageError } from '../errors.js';
import type { TenantContext } from '../tenant/context.js';
import { parseDuration } from '../config/duration.js';
import type { CommandRunner } from './runner.js';

export interface GcOptions {
  apply: boolean;
  /** Nothing younger is touched. */
  minAgeMs: number;
  concurrency: number;
  /** How long removals may take to be confirmed. */
  timeoutMs: number;
}

export interface GcResult {
  stack: string;
  mapping: MappingMode;
  dryRun: boolean;
  minAgeSeconds: number;
  /**
   * What the scan read: the stack's roles (one ListRoles scan), groups or rules, probe users, the
   * tenant roles holding a revoke-sessions policy; in ABAC mode the registry's rows, the tombstoned
   * tenants and the ID token lifetime gc waits out (seconds).
   */
  scanned: {
    roles: number;
    groups: number | null;
    rules: number | null;
    probeUsers: number;
    revocationPolicies?: number | undefined;
    registryRows?: number | undefined;
    tombstones?: number | undefined;
    idTokenSeconds?: number | undefined;
  };
  items: GcItem[];
  counts: Record<GcState, number>;
  elapsedMs: number;
}

export const DEFAULT_MIN_AGE = '1h';
export const DEFAULT_GC_TIMEOUT = '60s';

export async function runGc(opts: GcOptions, deps: Deps): Promise<GcResult> {
  const started = deps.clock.now();
  const config = await deps.config();
  const apis = await deps.apis();
  const clock = { now: () => deps.clock.now(), sleep: (ms: number, s?: AbortSignal) => deps.clock.sleep(ms, s), signal: deps.signal };
  // A spinner only on a terminal; under cron, progress goes to --verbose only.
  const tty = spinnerEnabled(deps.io.streams, deps.io.opts.quiet, deps.io.opts.noColor);
  let spinner = tty ? deps.io.spinner(`scanning stack ${config.stack}`) : undefined;
  const progress = (m: string) => (spinner ? spinner.update(m) : deps.io.debug(m));
  const ctx = { ...clock, apis, config, purpose: 'gc', progress };
  const onItem = (i: GcItem) => deps.io.debug(`${i.state} ${i.kind} ${i.target}${i.detail ? `: ${i.detail}` : ''}`);
  try {
    progress(`scanning stack ${config.stack}`);
    const scan = config.mapping === 'abac' ? await scanAbac(ctx, opts) : await scanRoleMode(ctx, opts);
    const due = scan.items.filter((i) => i.state === 'planned');
    if (opts.apply && (due.length > 0 || scan.undated)) {
      spinner?.stop();
      spinner = undefined;
      if (due.length > 0) {
        // The plan before the question (a terminal without --yes); cron (--yes) gets only the result.
        if (!deps.io.json && !deps.globals.yes) deps.io.info(renderItems(scan.items, deps.io.err));
        await deps.prompter.confirmTyped(`Remove ${due.length} item(s) of stack ${config.stack} (${summarize(due)})?`, config.stack);
      }
      // A stopped spinner draws nothing: a new one shows the removals (they can take minutes).
      if (tty) spinner = deps.io.spinner(`removing ${due.length} item(s)`);
      await scan.apply(onItem);
    }
    return {
      stack: config.stack,
      mapping: config.mapping,
      dryRun: !opts.apply,
      minAgeSeconds: Math.floor(opts.minAgeMs / 1000),
      scanned: scan.scanned,
      items: scan.items,
      counts: countItems(scan.items),
      elapsedMs: Math.round(deps.clock.now() - started),
    };
  } finally {
    spinner?.stop();
  }
}

function countItems(items: GcItem[]): Record<GcState, number> {
  const counts: Record<GcState, number> = { planned: 0, removed: 0, waiting: 0, failed: 0, skipped: 0 };
  for (const i of items) counts[i.state]++;
  return counts;
}

type GcCtx = TenantContext & { purpose: string };

interface Scanned {
  items: GcItem[];
  scanned: GcResult['scanned'];
  /** ABAC: undated tombstones, which --apply dates even when nothing else is due. */
  undated: boolean;
  apply(onItem: (i: GcItem) => void): Promise<void>;
}

async function scanRoleMode(ctx: GcCtx, opts: GcOptions): Promise<Scanned> {
  const [{ scanForGc }, { planGc }, { applyGc }, rev] = await Promise.all([
    import('../ops/gc/scan.js'),
    import('../ops/gc/plan.js'),
    import('../ops/gc/apply.js'),
    import('../ops/gc/revocations.js'),
  ]);
  const { apis, config } = ctx;
  const { listing, reads } = await scanForGc(apis, apis.scans, config, ctx, opts.concurrency);
  const items = planGc(config, listing, reads, { now: ctx.now(), minAgeMs: opts.minAgeMs });
  const deleted = await deletedIds(ctx, items);
  // Revocations past the longest credential lifetime, on the roles gc keeps.
  const removed = new Set(items.filter((i) => i.kind === 'role').map((i) => i.target));
  const revocations = await rev.scanRevocations(ctx, config, listing.roles, removed, opts.concurrency);
  items.push(...rev.planRevocations(config, revocations, ctx.now()));
  const prefix = `/isoctl/${config.stack}/`;
  return {
    items,
    undated: false,
    scanned: {
      roles: listing.roles.filter((r) => r.path === prefix).length,
      groups: listing.groups ? listing.groups.length : null,
      rules: listing.rules ? listing.rules.length : null,
      probeUsers: listing.probeUsers.length,
      revocationPolicies: revocations.size,
    },
    apply: async (onItem) => {
      await applyGc(ctx, items, { concurrency: opts.concurrency, timeoutMs: opts.timeoutMs, minAgeMs: opts.minAgeMs, onItem });
      await rev.applyRevocations(ctx, items, { onItem });
      await deleted.apply(onItem);
    },
  };
}

async function scanAbac(ctx: GcCtx, opts: GcOptions): Promise<Scanned> {
  const [{ scanForAbacGc }, { planAbacGc }, { applyAbacGc }] = await Promise.all([
    import('../ops/gc/abac-scan.js'),
    import('../ops/gc/abac-plan.js'),
    import('../ops/gc/abac-apply.js'),
  ]);
  const listing = await scanForAbacGc(ctx, opts.concurrency);
  const items = planAbacGc(ctx.config, listing, { now: ctx.now(), minAgeMs: opts.minAgeMs });
  const deleted = await deletedIds(ctx, items);
  return {
    items,
    undated: listing.tombstones.some((t) => t.at === undefined),
    scanned: {
      roles: 0,
      groups: null,
      rules: null,
      probeUsers: listing.probeUsers.length,
      registryRows: listing.registry.length,
      tombstones: listing.tombstones.length,
      idTokenSeconds: listing.idTokenSeconds,
    },
    apply: async (onItem) => {
      await applyAbacGc(ctx, listing, items, { concurrency: opts.concurrency, timeoutMs: opts.timeoutMs, onItem });
      await deleted.apply(onItem);
    },
  };
}

/** Every mode: the `deleted#<id>` records tenant delete leaves (src/ops/gc/deleted-ids.ts), added to `items`. */
async function deletedIds(ctx: GcCtx, items: GcItem[]): Promise<{ apply(onItem: (i: GcItem) => void): Promise<void> }> {
  const { scanDeletedIds, planDeletedIds, applyDeletedIds } = await import('../ops/gc/deleted-ids.js');
  const listing = await scanDeletedIds(ctx);
  const mine = planDeletedIds(ctx.config, listing, ctx.now());
  items.push(...mine);
  return { apply: (onItem) => applyDeletedIds(ctx, listing, mine, onItem) };
}

function summarize(items: GcItem[]): string {
  const by = new Map<string, number>();
  for (const i of items) by.set(i.kind, (by.get(i.kind) ?? 0) + 1);
  return [...by.entries()].map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`).join(', ');
}

function ageText(s: number | null): string {
  if (s === null) return '-';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

function renderItems(items: GcItem[], c: ChalkInstance): string {
  const color = (s: GcState) =>
    s === 'removed' ? c.green(s) : s === 'planned' ? c.cyan(s) : s === 'skipped' ? c.dim(s) : s === 'waiting' ? c.yellow(s) : c.red(s);
  return formatTable(
    ['kind', 'tenant', 'target', 'state', 'age', 'why'],
    items.map((i) => [
      i.kind,
      i.tenant,
      i.target,
      color(i.state),
      ageText(i.ageSeconds),
      i.detail && i.state !== 'removed' ? `${i.reason}; ${i.detail}` : i.reason,
    ]),
    c,
  );
}

export function renderGc(r: GcResult, c: ChalkInstance): string {
  const counts = (Object.entries(r.counts) as Array<[GcState, number]>)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const took = `in ${(r.elapsedMs / 1000).toFixed(1)}s`;
  const scanned =
    r.mapping === 'abac'
      ? `scanned ${r.scanned.registryRows ?? 0} registry row(s), ${r.scanned.probeUsers} probe user(s), ${r.scanned.tombstones ?? 0} tombstone(s) ${took}`
      : `scanned ${r.scanned.roles} role(s), ${r.scanned.groups !== null ? `${r.scanned.groups} group(s)` : `${r.scanned.rules} rule(s)`}, ${r.scanned.probeUsers} probe user(s), ${r.scanned.revocationPolicies ?? 0} revocation policy(ies) ${took}`;
  if (r.items.length === 0) return `stack ${r.stack}: nothing to collect (${scanned})`;
  const head = r.dryRun
    ? `${c.bold('plan')} for stack ${r.stack} (dry run; --apply removes the planned items, nothing younger than ${ageText(r.minAgeSeconds)} is touched):`
    : `gc of stack ${r.stack}:`;
  return `${head}\n${renderItems(r.items, c)}\n${c.dim(`${counts}; ${scanned}`)}`;
}

export function registerGcCommand(program: Command, runner: CommandRunner): void {
  program
    .command('gc')
    .description(
      "find the stack's orphaned roles, dangling groups/rules, stale probe users, half-created tenants, past revocations (ABAC: unregistered tenants' probe users, expired tombstones); remove them with --apply",
    )
    .addHelpText(
      'after',
      `
Examples:
  isoctl gc                                      # the plan (a dry run)
  isoctl gc --apply                              # asks you to type the stack name
  isoctl gc --apply --yes --min-age 6h --json    # from cron`,
    )
    .option('--apply', 'remove the planned items (asks on a terminal; --yes otherwise)', false)
    .option('--min-age <duration>', 'never touch anything younger (from CreateDate or the isoctl:created-at tag)', DEFAULT_MIN_AGE)
    .option('--concurrency <n>', 'tenants handled in parallel (1-16)', '4')
    .option('--timeout <duration>', 'how long removals may take to be confirmed; later ones end "waiting" (exit 75)', DEFAULT_GC_TIMEOUT)
    .addHelpText(
      'after',
      '\nExit codes: 0 nothing failed or waiting (and always for a dry run), 1 some removal failed, 75 some removal is still propagating (run gc again).\nCron: isoctl gc --apply --yes --json (see README "Scheduled cleanup").',
    )
    .action(async (o: { apply: boolean; minAge: string; concurrency: string; timeout: string }, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const minAgeMs = parseDuration(o.minAge);
        if (minAgeMs === undefined) throw new UsageError(`--min-age: "${o.minAge}" is not a duration like 30m, 1h or 2h`, 'bad_flag');
        const timeoutMs = parseDuration(o.timeout);
        if (timeoutMs === undefined || timeoutMs <= 0) throw new UsageError(`--timeout: "${o.timeout}" is not a duration like 60s or 2m`, 'bad_flag');
        const concurrency = Number(o.concurrency);
        if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16)
          throw new UsageError('--concurrency: a whole number from 1 to 16', 'bad_flag');
        const result = await runGc({ apply: o.apply === true, minAgeMs, concurrency, timeoutMs }, deps);
        deps.io.result(result, (c) => renderGc(result, c));
        if (result.dryRun) return;
        if (result.counts.failed > 0)
          throw new FailedError(
            `gc: ${result.counts.failed} removal(s) failed (${result.counts.removed} removed, ${result.counts.waiting} waiting)`,
            'gc_failed',
          );
        if (result.counts.waiting > 0)
          throw new PendingError(`gc: ${result.counts.waiting} removal(s) not yet confirmed by AWS (${result.counts.removed} removed)`, 30);
      }),
    );
}
