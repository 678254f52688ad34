// `isoctl sandbox serve`: the local AWS on loopback until SIGINT/SIGTERM, then the state is saved.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Deps } from '../../deps.js';
import { FailedError, UsageError } from '../../errors.js';
import type { CommandRunner } from '../runner.js';
import type { LagConfig } from '../../sandbox/contract.js';
import type { FaultConfig } from '../../sandbox/settings.js';
import type { BootstrapResult } from './bootstrap-stack.js';
import { DEFAULT_STATE_DIR, granularityOption, mappingOption, renderBootstrap } from './bootstrap.js';

export interface ServeOptions {
  host: string;
  port: string;
  stateDir: string;
  lag?: string | undefined;
  faults?: string | undefined;
  seed?: string | undefined;
  rolesQuota?: string | undefined;
  accountId?: string | undefined;
  bootstrap?: boolean | undefined;
  mapping: 'token' | 'rules';
  granularity: 'tenant' | 'user';
}

export interface ServeResult {
  endpoint: string;
  region: string;
  accountId: string;
  stateDir: string;
  requestLog: string;
  pid: number;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The variables to export so the AWS CLI, SDKs and isoctl use the sandbox. */
  env: Record<'AWS_ENDPOINT_URL' | 'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY' | 'AWS_REGION' | 'AWS_DEFAULT_REGION', string>;
  lag: LagConfig;
  faults: FaultConfig;
  seed: number;
  rolesQuota: number;
  bootstrap?: BootstrapResult | undefined;
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`--port: "${text}" is not a port number 0..65535 (0 picks a free one)`, 'bad_flag');
  return Number(text);
}

function parsePositive(text: string, flag: string): number {
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1) throw new UsageError(`${flag}: "${text}" is not a positive whole number`, 'bad_flag');
  return Number(text);
}

/** Starts the server; resolves once it listens. `stop()` saves the state and releases the state dir. */
export async function startServe(opts: ServeOptions, deps: Deps): Promise<{ result: ServeResult; stop(): Promise<void> }> {
  const { parseFaultSpec, parseLagSpec, parseSeed } = await import('../../sandbox/settings.js');
  const port = parsePort(opts.port);
  const lag = opts.lag !== undefined ? parseLagSpec(opts.lag) : undefined;
  const faults = opts.faults !== undefined ? parseFaultSpec(opts.faults) : undefined;
  const seed = opts.seed !== undefined ? parseSeed(opts.seed) : undefined;
  const rolesQuota = opts.rolesQuota !== undefined ? parsePositive(opts.rolesQuota, '--roles-quota') : 1000;
  if (opts.accountId !== undefined && !/^\d{12}$/.test(opts.accountId))
    throw new UsageError(`--account-id: "${opts.accountId}" is not a 12-digit account id`, 'bad_flag');
  const region = deps.globals.region ?? 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new UsageError(`--region: "${region}" is not an AWS region like us-east-1`, 'bad_flag');
  const stateDir = resolve(opts.stateDir);

  const { startSandbox } = await import('../../sandbox/server.js');
  let running;
  try {
    running = await startSandbox({
      host: opts.host,
      port,
      stateDir,
      lag,
      faults,
      seed,
      rolesQuota,
      region,
      accountId: opts.accountId,
      log: (m) => deps.io.warn(m),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new FailedError(`${opts.host}:${port} is already in use; pass --port 0 for a free port`, 'port_in_use');
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`--host: cannot listen on "${opts.host}"`, 'bad_flag');
    throw err;
  }
  const result: ServeResult = {
    endpoint: running.endpoint,
    region: running.region,
    accountId: running.accountId,
    stateDir,
    requestLog: running.requestLogPath,
    pid: process.pid,
    credentials: { ...running.credentials },
    env: {
      AWS_ENDPOINT_URL: running.endpoint,
      AWS_ACCESS_KEY_ID: running.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: running.credentials.secretAccessKey,
      AWS_REGION: running.region,
      // The AWS CLI v1 reads only AWS_DEFAULT_REGION ("You must specify a region" otherwise).
      AWS_DEFAULT_REGION: running.region,
    },
    lag: running.lag,
    faults: running.faults,
    seed: running.seed,
    rolesQuota,
  };
  try {
    if (opts.bootstrap) {
      const { bootstrapSandbox } = await import('./bootstrap-stack.js');
      result.bootstrap = await bootstrapSandbox({
        endpoint: running.endpoint,
        region: running.region,
        credentials: running.credentials,
        stack: deps.globals.stack ?? 'demo',
        mapping: opts.mapping,
        granularity: opts.granularity,
        clock: { ...deps.clock, signal: deps.signal },
        out: resolve(stateDir, 'isoctl.json'),
      });
    }
  } catch (err) {
    await running.close();
    throw err;
  }
  return { result, stop: () => running.close() };
}

/** Resolves when the command's abort signal fires (SIGINT / SIGTERM, handled in src/cli.ts). */
export function untilStopped(signal: AbortSignal): Promise<void> {
  return new Promise((r) => {
    if (signal.aborted) return r();
    signal.addEventListener('abort', () => r(), { once: true });
  });
}

function renderServe(r: ServeResult, c: { green(s: string): string; dim(s: string): string }): string {
  const lines = Object.entries(r.env).map(([k, v]) => `export ${k}=${v}`);
  if (r.bootstrap) lines.push('', renderBootstrap(r.bootstrap, c));
  return lines.join('\n');
}

export function registerServeCommand(group: Command, runner: CommandRunner): void {
  group
    .command('serve')
    .description('run the local AWS sandbox (IAM, STS, Cognito, DynamoDB) on loopback until SIGINT/SIGTERM')
    .addHelpText(
      'after',
      `
Examples:
  isoctl sandbox serve                                              # port 4566, state in .isoctl/sandbox
  isoctl sandbox serve --lag iam=1s,cognito=2s,dynamodb=3s          # AWS's eventual consistency, shorter
  isoctl sandbox serve --port 0 --faults throttle=0.05 --seed 7     # a free port; reproducible faults`,
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '4566')
    .option('--state-dir <dir>', 'state directory', DEFAULT_STATE_DIR)
    .option('--lag <spec>', 'consistency lag per observer, e.g. iam=2s,cognito=5s,dynamodb=8s')
    .option('--faults <spec>', 'fault rates, e.g. throttle=0.05,5xx=0.02,reset=0.01')
    .option('--seed <n>', 'seed of the fault generator (reproducible faults)')
    .option('--roles-quota <n>', 'IAM roles quota of the account', '1000')
    .option('--account-id <id>', 'the account id the sandbox pretends to be', '000000000000')
    .option('--bootstrap', 'also create a user pool, app client, identity pool and table, and write <state-dir>/isoctl.json')
    .addOption(mappingOption())
    .addOption(granularityOption())
    .addHelpText('after', '\nPrints the endpoint and admin credentials as shell exports (one JSON document with --json).')
    .action(async (opts: ServeOptions, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const { result, stop } = await startServe(opts, deps);
        try {
          deps.io.info(`isoctl sandbox listening on ${result.endpoint} (state ${result.stateDir}, pid ${result.pid})`);
          const { formatFaults, formatLag } = await import('../../sandbox/settings.js');
          deps.io.info(`lag ${formatLag(result.lag)}; faults ${formatFaults(result.faults)}; seed ${result.seed}; request log ${result.requestLog}`);
          deps.io.result(result, (c) => renderServe(result, c));
          deps.io.info('Press Ctrl-C to stop; the state is saved on exit.');
          await untilStopped(deps.signal);
        } finally {
          await stop();
        }
        deps.io.info('sandbox stopped; state saved');
      }),
    );
}
