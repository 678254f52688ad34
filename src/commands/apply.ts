// `isoctl apply -f <file>`: reconcile the stack to a tenants file (JSON or YAML; `-` is stdin).
// Flags only: the shared run (confirmation, progress, rendering, exit code) is apply-run.ts and
// the engine is src/ops/apply.
import { Option, type Command } from 'commander';
import type { CommandRunner } from './runner.js';
import { parseTimeout, parseWait } from './tenant/create.js';
import { finishApply, parseConcurrency, runApply, type ApplyCommandOptions } from './apply-run.js';

export function registerApplyCommand(program: Command, runner: CommandRunner): void {
  program
    .command('apply')
    .description('reconcile the stack to a tenants file: create missing tenants, update changed scopes, --prune deletes the others')
    .addHelpText(
      'after',
      `
The file (.json, .yaml or .yml; - reads stdin):
  { "tenants": [ { "id": "acme", "scopes": ["read", "write"] }, { "id": "globex" } ] }
A tenant without "scopes" gets every scope when new and keeps its scopes when it exists.

Examples:
  isoctl apply -f tenants.yaml --dry-run          # counts per action, then each tenant's steps
  isoctl apply -f tenants.yaml                    # create and update; tenants not in the file stay
  isoctl apply -f tenants.yaml --prune            # also delete the stack's tenants not in the file (asks)
  cat tenants.json | isoctl apply -f - --json     # one JSON document; exit 1 some failed, 75 some pending

Exit codes: 0 all applied; 1 some tenants failed (the others were applied); 75 some not yet
visible everywhere, none failed (run again); 2 bad file or flags (nothing changed); 130 interrupted.`,
    )
    .requiredOption('-f, --file <file>', 'tenants file (.json, .yaml, .yml), or - for stdin')
    .option('--prune', "delete the stack's tenants that the file does not name (typed confirmation, or --yes)", false)
    .option('--dry-run', 'print the plan; change nothing', false)
    .option('--concurrency <n>', 'tenants worked on at once (default 8, at most 64)')
    .addOption(new Option('--wait <level>', 'wait until this service sees each tenant').choices(['none', 'iam', 'cognito', 'data']).default('cognito'))
    .option('--timeout <duration>', 'give up waiting for a tenant after this long (it is then pending: exit 75; run again)', '90s')
    .action(async (o: { file: string; prune: boolean; dryRun: boolean; concurrency?: string; wait: string; timeout: string }, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const opts: ApplyCommandOptions = {
          file: o.file,
          prune: o.prune === true,
          dryRun: o.dryRun === true,
          concurrency: o.concurrency === undefined ? undefined : parseConcurrency(o.concurrency),
          wait: parseWait(o.wait),
          timeoutMs: parseTimeout(o.timeout),
          purpose: `apply -f ${o.file}`,
        };
        await finishApply(await runApply(opts, deps), deps);
      }),
    );
}
