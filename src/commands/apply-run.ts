// What `isoctl apply` and the bulk forms of `tenant create|delete` share: read the spec, run the
// engine (src/ops/apply) with confirmation and progress, render, and map the counts to the exit
// code. The commander wiring is in apply.ts and tenant/*.ts.
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../deps.js';
import { FailedError, InterruptedError, PendingError, UsageError } from '../errors.js';
import type { ApplyOptions, ApplyProgress, ApplyResult, PlannedApply, TenantsSpec } from '../ops/apply/index.js';
import type { WaitLevel } from '../tenant/wait.js';
import { commandContext, withSpinner } from './tenant/context.js';

export interface ApplyCommandOptions {
  /** Path of the tenants file, or `-` for stdin (file mode); or the spec itself (bulk forms). */
  file?: string | undefined;
  spec?: TenantsSpec | undefined;
  remove?: string[] | undefined;
  ignoreMissing?: boolean | undefined;
  prune: boolean;
  dryRun: boolean;
  concurrency?: number | undefined;
  wait: WaitLevel;
  timeoutMs: number;
  /** Words for the lock holder and the progress label. */
  purpose: string;
  /** Called once per finished tenant, next to the progress bar (the library's `onProgress`). */
  onProgress?: ((e: ApplyProgress) => void) | undefined;
}

export async function runApply(opts: ApplyCommandOptions, deps: Deps): Promise<PlannedApply | ApplyResult> {
  const engine = await import('../ops/apply/index.js');
  // The file is read and checked before the config's AWS side is touched: bad input is exit 2 with no call.
  // Flags first, then the file: a bad flag is reported as such whatever the file holds.
  const concurrency = engine.boundedConcurrency(opts.concurrency);
  let spec = opts.spec;
  let source = 'the command line';
  if (opts.file !== undefined) {
    const read = await engine.readSpecFile(opts.file, deps.io.streams.stdin);
    source = read.source;
    spec = engine.parseSpecText(read.text, read.source, read.format);
  }
  if (!spec) throw new UsageError('apply needs -f <file> (or - for stdin)', 'usage');
  const config = await deps.config();
  engine.assertSpecFitsConfig(config, spec, source);

  const cc = await commandContext(deps, opts.purpose);
  const { progressReporter } = await import('../io/progress-bar.js');
  const bar = await progressReporter(
    deps.io,
    opts.purpose.split(' ')[0] === 'tenant' ? opts.purpose.split(' ').slice(0, 2).join(' ') : opts.purpose.split(' ')[0]!,
  );
  const applyOpts: ApplyOptions = {
    prune: opts.prune,
    remove: opts.remove,
    ignoreMissing: opts.ignoreMissing,
    dryRun: opts.dryRun,
    concurrency,
    wait: opts.wait,
    timeoutMs: opts.timeoutMs,
    source,
    confirmDeletes: async (tenants) => {
      cc.done(false);
      const shown = tenants.length > 10 ? `${tenants.slice(0, 10).join(', ')} and ${tenants.length - 10} more` : tenants.join(', ');
      const why = opts.prune ? ' (in the stack, not in the file)' : '';
      await deps.prompter.confirmTyped(
        `Delete ${tenants.length} tenant(s) of stack ${config.stack}${why}: ${shown}?`,
        opts.prune ? config.stack : tenants.length === 1 ? tenants[0]! : `delete ${tenants.length}`,
      );
    },
    onPlan: (p) => {
      cc.done(false);
      bar.start(p.tenants.length);
    },
    onProgress: (e) => {
      bar.update(e);
      opts.onProgress?.(e);
    },
  };
  try {
    return await withSpinner(cc, () => engine.applyTenants(cc.ctx, spec, applyOpts));
  } finally {
    bar.stop();
    cc.done(false);
  }
}

/** Prints the result and turns the counts into the exit code: 0 done, 1 some failed, 75 some pending, 130 interrupted. */
export async function finishApply(result: PlannedApply | ApplyResult, deps: Deps, what = 'tenant(s)'): Promise<void> {
  deps.io.result(result, (c) => (result.dryRun ? renderPlan(result, c) : renderApply(result, c)));
  if (result.dryRun) return;
  const { exitKindOf } = await import('../ops/apply/index.js');
  const kind = exitKindOf(result);
  const names = (s: string) => result.tenants.filter((t) => t.status === s).map((t) => t.tenant);
  const list = (xs: string[]) => (xs.length > 8 ? `${xs.slice(0, 8).join(', ')} and ${xs.length - 8} more` : xs.join(', '));
  const done = result.counts.created + result.counts.updated + result.counts.deleted;
  if (kind === 'interrupted')
    throw new InterruptedError(
      `interrupted: ${done} ${what} changed, ${result.counts.unchanged} unchanged, ${result.counts.pending} not finished (${list(names('pending'))}); run the same command again to finish`,
    );
  if (kind === 'failed')
    throw new FailedError(
      `${result.counts.failed} of ${result.tenants.length} ${what} failed: ${list(names('failed'))}; the others were applied`,
      'apply_failed',
    );
  if (kind === 'pending') {
    const after = Math.max(1, ...result.tenants.map((t) => t.retryAfterSeconds ?? 0));
    throw new PendingError(`${result.counts.pending} of ${result.tenants.length} ${what} not yet visible everywhere: ${list(names('pending'))}`, after);
  }
}

const ACTION_MARK: Record<string, (c: ChalkInstance) => string> = {
  create: (c) => c.green('+'),
  update: (c) => c.yellow('~'),
  unchanged: (c) => c.dim('='),
  delete: (c) => c.red('-'),
  refused: (c) => c.red('✗'),
};

export function renderPlan(p: PlannedApply, c: ChalkInstance): string {
  const counts = Object.entries(p.counts)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  const lines = [`${c.bold('plan')} for stack ${p.stack} (${p.mapping} mapping${p.prune ? ', --prune' : ''}): ${counts}`];
  for (const t of p.tenants) {
    if (t.action === 'unchanged') continue;
    lines.push(
      `${ACTION_MARK[t.action]!(c)} ${c.bold(t.tenant)} ${t.action}${t.scopes ? c.dim(` (scopes ${t.scopes.join(', ')})`) : ''}${t.reason ? `: ${t.reason}` : ''}`,
    );
    for (const s of t.steps) lines.push(`    ${c.cyan('~')} ${s.action.padEnd(24)} ${s.target}${c.dim(`  (${s.reason})`)}`);
  }
  if (p.counts.unchanged > 0) lines.push(c.dim(`${p.counts.unchanged} tenant(s) unchanged`));
  return lines.join('\n');
}

const STATUS_MARK: Record<string, (c: ChalkInstance, s: string) => string> = {
  created: (c, s) => c.green(s),
  updated: (c, s) => c.yellow(s),
  unchanged: (c, s) => c.dim(s),
  deleted: (c, s) => c.red(s),
  failed: (c, s) => c.red(s),
  pending: (c, s) => c.yellow(s),
};

export function renderApply(r: ApplyResult, c: ChalkInstance): string {
  const counts = Object.entries(r.counts)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => STATUS_MARK[k]!(c, `${v} ${k}`))
    .join(', ');
  const lines = [`stack ${r.stack}: ${counts || 'nothing to do'} ${c.dim(`(${r.tenants.length} tenant(s) in ${(r.elapsedMs / 1000).toFixed(1)}s)`)}`];
  for (const t of r.tenants) {
    if (t.status === 'unchanged') continue;
    lines.push(`  ${STATUS_MARK[t.status]!(c, t.status.padEnd(9))} ${t.tenant}${t.detail ? c.dim(`  ${t.detail}`) : ''}`);
    // An update says what changed (a create or delete is the usual set of steps).
    if (t.status === 'updated') for (const s of t.steps) lines.push(c.dim(`      ${s.action} ${s.target}: ${s.reason}`));
  }
  return lines.join('\n');
}

export function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n))
    throw new UsageError(`--concurrency must be a whole number (got ${JSON.stringify(value)})`, 'bad_flag');
  return n;
}
