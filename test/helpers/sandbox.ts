// Starts the isoctl sandbox for tests (in this process, on a free loopback port, over a fresh
// temp state dir), bootstraps a stack's shared pieces (user pool, app client, identity pool,
// pooled table, isoctl.json) and reads the request log. CLI subprocesses reach it with
// `--sandbox <stateDir>` (they attach to this server) or `--endpoint-url` + its admin keys.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAwsClients, type AwsClients } from '../../src/aws/clients.js';
import type { StackConfig } from '../../src/config/schema.js';
import type { LagConfig } from '../../src/sandbox/contract.js';
import type { SandboxResponse } from '../../src/sandbox/server.js';
import { runCli, type CliResult } from './cli.js';

export interface RequestLogLine {
  t: string;
  service: string;
  operation: string;
  caller: string;
  status: number;
  mutating: boolean;
  error?: string;
}

export interface TestSandbox {
  stateDir: string;
  endpoint: string;
  region: string;
  accountId: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  configPath: string;
  config: StackConfig;
  clients: AwsClients;
  /** Every request the sandbox answered so far. */
  requests(): RequestLogLine[];
  /** A mark to count requests made after it. */
  mark(): number;
  since(mark: number): RequestLogLine[];
  stop(): Promise<void>;
}

export interface TestSandboxOptions {
  stack?: string;
  mapping?: 'token' | 'rules' | 'abac';
  granularity?: 'tenant' | 'user';
  lag?: Partial<LagConfig>;
  /** Keep the state dir after stop (debugging). */
  keep?: boolean;
  /** Receives every API answer the sandbox sends (shape tests). */
  onResponse?: (response: SandboxResponse) => void;
}

export async function startTestSandbox(opts: TestSandboxOptions = {}): Promise<TestSandbox> {
  const { startSandbox } = await import('../../src/sandbox/server.js');
  const { bootstrapSandbox } = await import('../../src/commands/sandbox/bootstrap-stack.js');
  const stateDir = mkdtempSync(join(tmpdir(), 'isoctl-sandbox-'));
  const hooks = opts.onResponse ? { onResponse: opts.onResponse } : {};
  const sb = await startSandbox({ stateDir, lag: opts.lag ?? {}, seed: 1, waitForAttached: false, ...hooks });
  const configPath = join(stateDir, 'isoctl.json');
  const boot = await bootstrapSandbox({
    endpoint: sb.endpoint,
    region: sb.region,
    credentials: sb.credentials,
    stack: opts.stack ?? 'e2e',
    mapping: opts.mapping ?? 'token',
    granularity: opts.granularity ?? 'tenant',
    out: configPath,
  });
  const clients = createAwsClients({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials, maxAttempts: 3 });
  const requests = (): RequestLogLine[] =>
    existsSync(sb.requestLogPath)
      ? readFileSync(sb.requestLogPath, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as RequestLogLine)
      : [];
  return {
    stateDir,
    endpoint: sb.endpoint,
    region: sb.region,
    accountId: sb.accountId,
    credentials: sb.credentials,
    configPath,
    config: boot.config,
    clients,
    requests,
    mark: () => requests().length,
    since: (mark) => requests().slice(mark),
    async stop() {
      clients.destroy();
      await sb.close();
      if (!opts.keep) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Waits (real clock, isoctl's own wait) until a table a test made is ACTIVE: the sandbox, like AWS, has a CREATING phase. */
export async function waitTableActive(clients: AwsClients, table: string): Promise<void> {
  const [{ waitForTableActive }, { dynamoApi }] = await Promise.all([import('../../src/tenant/table-active.js'), import('../../src/aws/dynamodb.js')]);
  await waitForTableActive({ now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) }, dynamoApi(clients), table, 'test table', 30_000);
}

/**
 * The built CLI against a running sandbox's endpoint with the given keys (an operator user, or the
 * admin's own): no attach handshake, so many processes can start at once.
 */
export function runCliWithKeys(
  sb: Pick<TestSandbox, 'endpoint' | 'configPath' | 'region'>,
  keys: { accessKeyId: string; secretAccessKey: string },
  args: string[],
  timeoutMs = 120_000,
): Promise<CliResult> {
  return runCli(['--endpoint-url', sb.endpoint, '--config', sb.configPath, ...args], {
    timeoutMs,
    env: { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_REGION: sb.region },
  });
}
