// `isoctl tenant create <id>`: make (or repair) a tenant and wait until AWS agrees it exists.
import { Option, type Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../../deps.js';
import { UsageError } from '../../errors.js';
import type { CreateTenantResult } from '../../tenant/create.js';
import type { WaitLevel } from '../../tenant/wait.js';
import { parseDuration } from '../../config/duration.js';
import type { CommandRunner } from '../runner.js';
import { collectScope, parseScopeFlag } from '../scope-flag.js';
import { commandContext, withSpinner } from './context.js';
import { renderCheck, renderStep } from './render.js';

export interface CreateTenantOptions {
  tenant: string;
  scopes?: string[] | undefined;
  wait: WaitLevel;
  timeoutMs: number;
  dryRun: boolean;
  /** The same tenant coming back: a recently deleted id is not refused (ABAC: its tombstone is lifted). */
  reuseId?: boolean | undefined;
}

export const DEFAULT_TIMEOUT_MS = 90_000;

export async function runCreateTenant(opts: CreateTenantOptions, deps: Deps): Promise<CreateTenantResult> {
  const cc = await commandContext(deps, `tenant create ${opts.tenant}`);
  const { createTenant } = await import('../../tenant/create.js');
  const result = await withSpinner(cc, () =>
    createTenant(cc.ctx, {
      tenant: opts.tenant,
      scopes: opts.scopes,
      wait: opts.wait,
      timeoutMs: opts.timeoutMs,
      dryRun: opts.dryRun,
      reuseId: opts.reuseId === true,
    }),
  );
  if (result.idReuse?.note) deps.io.warn(result.idReuse.note);
  // On a terminal the result below says "converged (level) in Ns" on the same screen: the
  // spinner then just goes away instead of printing it a second time. Progress logged to a file
  // or a pipe (stdout elsewhere, or --json) keeps its closing line.
  const resultOnScreen = !deps.io.json && deps.io.streams.stdout.isTTY === true && deps.io.streams.stderr.isTTY === true;
  if (resultOnScreen) cc.done(false);
  else cc.done(true, result.wait ? `converged in ${(result.wait.elapsedMs / 1000).toFixed(1)}s (${result.wait.level})` : undefined);
  return result;
}

export function renderCreateTenant(r: CreateTenantResult, c: ChalkInstance): string {
  const lines: string[] = [];
  if (r.idReuse) {
    lines.push(`${c.yellow('--reuse-id')}: tenant ${r.tenant} is taken back as the same tenant; waived:`);
    for (const w of r.idReuse.waived ?? []) lines.push(`  - ${w}`);
    const lift = r.idReuse.liftedTombstone;
    if (lift) lines.push(`  tombstone ${lift.planned ? 'would be lifted' : 'lifted'} from ${lift.roles.join(', ') || 'no scope role'}`);
  }
  if (r.dryRun) {
    lines.push(
      `${c.bold('plan')} for tenant ${r.tenant} (stack ${r.stack}, scopes ${r.scopes.join(', ')}): ${r.steps.length === 0 ? 'nothing to do' : `${r.steps.length} step(s)`}`,
    );
    for (const s of r.steps) lines.push(renderStep(s, c));
    if (r.documents) {
      lines.push(
        '',
        c.bold('trust policy:'),
        JSON.stringify(r.documents.trustPolicy, null, 2),
        '',
        c.bold('inline data policy:'),
        JSON.stringify(r.documents.dataPolicy, null, 2),
      );
    }
    return lines.join('\n');
  }
  const verb = r.status === 'unchanged' ? c.dim('unchanged') : r.status === 'created' ? c.green('created') : c.yellow('updated');
  lines.push(`tenant ${c.bold(r.tenant)} ${verb} (role ${r.role.arn})`);
  for (const s of r.steps) lines.push(renderStep(s, c));
  if (r.wait) {
    lines.push(`${c.bold('converged')} (${r.wait.level}) in ${(r.wait.elapsedMs / 1000).toFixed(1)}s:`);
    for (const k of r.wait.checks) lines.push(renderCheck(k, c));
  }
  return lines.join('\n');
}

export function parseWait(value: string): WaitLevel {
  if (value === 'none' || value === 'iam' || value === 'cognito' || value === 'data') return value;
  throw new UsageError(`--wait must be one of none, iam, cognito, data (got ${JSON.stringify(value)})`, 'bad_flag');
}

/**
 * The longest --timeout: IAM, Cognito and DynamoDB show a change within seconds to minutes, so an
 * hour already means something is wrong; past 2^31-1 ms (24.8 days) Node's timers also fire at
 * once, and a huge value ended the wait immediately.
 */
export const MAX_TIMEOUT_MS = 3_600_000;

export function parseTimeout(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new UsageError(`--timeout must be a duration like 90, 90s, 2m or 500ms (got ${JSON.stringify(value)})`, 'bad_flag');
  if (ms > MAX_TIMEOUT_MS)
    throw new UsageError(
      `--timeout must be at most 1h (got ${JSON.stringify(value)}): AWS propagates in seconds to minutes; a longer wait hides a stuck run. Exit 75 and a re-run finish the job`,
      'bad_flag',
    );
  return ms;
}

type CreateFlags = { scope?: string[]; wait: string; timeout: string; dryRun: boolean; reuseId: boolean; concurrency?: string };

export function registerCreateTenant(tenant: Command, runner: CommandRunner): void {
  tenant
    .command('create')
    .description('create or repair a tenant: role, inline policy, mapping, probe user; then wait until AWS sees it')
    .addHelpText(
      'after',
      `
Examples:
  isoctl tenant create acme                       # done when Cognito maps acme's users to the role
  isoctl tenant create acme --wait data           # done when acme's probe user reads its own rows
  isoctl tenant create acme --scope read          # read-only (scopes come from the config)
  isoctl tenant create acme --dry-run             # the plan and the exact documents; changes nothing
  isoctl tenant create acme --timeout 5m --json   # exit 75: not visible everywhere yet, run it again
  isoctl tenant create acme --reuse-id            # acme was deleted by mistake: take the id back (its old users get in again)
  isoctl tenant create acme globex initech        # several at once (the apply engine; exit 1 if any failed)`,
    )
    .argument('<ids...>', 'tenant id(s) (a-z, 0-9, -; 1-32 characters)')
    .option('--scope <names>', 'scopes the tenant gets (comma-separated or repeated; default: all, or the ones it has)', collectScope)
    .addOption(new Option('--wait <level>', 'wait until this service sees the tenant').choices(['none', 'iam', 'cognito', 'data']).default('cognito'))
    .option('--timeout <duration>', 'give up waiting after this long (exit 75; run again to finish)', '90s')
    .option('--dry-run', 'print the plan with the exact documents; change nothing', false)
    .option(
      '--reuse-id',
      'the same tenant coming back after a delete: do not refuse its recently deleted id (its old users get in again; ABAC: lifts its tombstone)',
      false,
    )
    .option('--concurrency <n>', 'with several ids: tenants worked on at once (default 8, at most 64)')
    .action(async (ids: string[], o: CreateFlags, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        if (ids.length > 1 && o.reuseId)
          throw new UsageError('--reuse-id takes one tenant id: take back one deleted tenant at a time (`isoctl tenant create <id> --reuse-id`)', 'bad_flag');
        if (ids.length > 1) {
          const { finishApply, parseConcurrency, runApply } = await import('../apply-run.js');
          const { specFromIds } = await import('../../ops/apply/index.js');
          const spec = specFromIds(
            ids,
            parseScopeFlag(o.scope)
              ?.flatMap((x) => x.split(','))
              .map((x) => x.trim())
              .filter(Boolean),
          );
          const result = await runApply(
            {
              spec,
              prune: false,
              dryRun: o.dryRun === true,
              concurrency: o.concurrency === undefined ? undefined : parseConcurrency(o.concurrency),
              wait: parseWait(o.wait),
              timeoutMs: parseTimeout(o.timeout),
              purpose: `tenant create ${ids.join(' ')}`,
            },
            deps,
          );
          return finishApply(result, deps);
        }
        const id = ids[0]!;
        const opts: CreateTenantOptions = {
          tenant: id,
          scopes: parseScopeFlag(o.scope),
          wait: parseWait(o.wait),
          timeoutMs: parseTimeout(o.timeout),
          dryRun: o.dryRun === true,
          reuseId: o.reuseId === true,
        };
        const result = await runCreateTenant(opts, deps);
        deps.io.result(result, (c) => renderCreateTenant(result, c));
      }),
    );
}
