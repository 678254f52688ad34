// `isoctl sandbox bootstrap`: a user pool, app client, identity pool and pooled table in the
// sandbox (running, or started in this process), and a ready isoctl.json.
import { Option, type Command } from 'commander';
import { resolve, join } from 'node:path';
import type { Deps } from '../../deps.js';
import type { CommandRunner } from '../runner.js';
import type { BootstrapResult } from './bootstrap-stack.js';

export const DEFAULT_STATE_DIR = '.isoctl/sandbox';

export interface BootstrapCommandOptions {
  stateDir?: string | undefined;
  mapping: 'token' | 'rules';
  granularity: 'tenant' | 'user';
  out?: string | undefined;
}

export interface BootstrapCommandResult extends BootstrapResult {
  stateDir: string;
  endpoint: string;
}

export async function runBootstrap(opts: BootstrapCommandOptions, deps: Deps): Promise<BootstrapCommandResult> {
  const stateDir = resolve(opts.stateDir ?? deps.globals.sandbox ?? DEFAULT_STATE_DIR);
  const [{ attachSandbox }, { bootstrapSandbox }] = await Promise.all([import('../../sandbox/attach.js'), import('./bootstrap-stack.js')]);
  const sandbox = await attachSandbox({ stateDir, log: (m) => deps.io.debug(m) });
  try {
    const result = await bootstrapSandbox({
      endpoint: sandbox.endpoint,
      region: deps.globals.region ?? sandbox.region,
      credentials: sandbox.credentials,
      stack: deps.globals.stack ?? 'demo',
      mapping: opts.mapping,
      granularity: opts.granularity,
      clock: { ...deps.clock, signal: deps.signal },
      out: resolve(opts.out ?? join(stateDir, 'isoctl.json')),
    });
    return { stateDir, endpoint: sandbox.endpoint, ...result };
  } finally {
    await sandbox.close();
  }
}

export function renderBootstrap(r: BootstrapResult, c: { green(s: string): string; dim(s: string): string }): string {
  const line = (what: string, name: string, id: string | undefined, step: string) =>
    `${c.green('✓')} ${what} ${name}${id ? ` (${id})` : ''}: ${step === 'created' ? 'created' : 'already there'}`;
  return [
    line('user pool', r.userPool.name, r.userPool.id, r.userPool.step),
    line('app client', r.userPoolClient.name, r.userPoolClient.id, r.userPoolClient.step),
    line('identity pool', r.identityPool.name, r.identityPool.id, r.identityPool.step),
    line('table', r.table.name, undefined, r.table.step),
    `${c.green('✓')} ${r.configPath}: ${r.configWritten ? 'written' : 'unchanged'} (stack ${r.config.stack}, ${r.config.mapping} mapping, granularity ${r.config.granularity})`,
  ].join('\n');
}

export function mappingOption(): Option {
  return new Option('--mapping <mode>', 'how users map to tenant roles').choices(['token', 'rules']).default('token');
}

export function granularityOption(): Option {
  return new Option('--granularity <level>', 'isolate per tenant or per user').choices(['tenant', 'user']).default('tenant');
}

export function registerBootstrapCommand(group: Command, runner: CommandRunner): void {
  group
    .command('bootstrap')
    .description('create a user pool, app client, identity pool and pooled table in the sandbox, and write isoctl.json (idempotent)')
    .option('--state-dir <dir>', `sandbox state directory (default: --sandbox's dir, else ${DEFAULT_STATE_DIR})`)
    .addOption(mappingOption())
    .addOption(granularityOption())
    .option('--out <file>', 'where to write the config (default <state-dir>/isoctl.json)')
    .addHelpText('after', '\nThe stack name comes from the global --stack (default "demo"); the region from --region (default the sandbox\'s).')
    .action(async (opts: BootstrapCommandOptions, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const result = await runBootstrap(opts, deps);
        deps.io.result(result, (c) => renderBootstrap(result, c));
      }),
    );
}
