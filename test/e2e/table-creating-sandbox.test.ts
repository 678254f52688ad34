// A new DynamoDB table is CREATING for a while, on AWS and (by default) on the sandbox: its data
// calls are ResourceNotFoundException until it is ACTIVE. Whoever in isoctl creates a table waits
// for ACTIVE before writing to it or reporting done: bootstrap's pooled table, init's lock table,
// tenant create's silo tables. Without that wait the first data call fails (shown here first).
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { AwsCallError } from '../../src/aws/errors.js';
import { DEFAULT_TABLE_CREATING_MS } from '../../src/sandbox/dynamodb/index.js';
import { waitForTableActive } from '../../src/tenant/table-active.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sb: TestSandbox;
let apis: AwsApis;
const realClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

function cli(args: string[]): Promise<CliResult> {
  return runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });
}
const status = async (table: string) => (await apis.dynamodb.describeTable(table))?.status;

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'tc', mapping: 'token', granularity: 'tenant' });
  apis = awsApis(sb.clients);
  const cfg = JSON.parse(readFileSync(sb.configPath, 'utf8'));
  cfg.tables.push({ name: 'tc-files', partitionKey: 'pk', model: 'silo' });
  writeFileSync(sb.configPath, JSON.stringify(cfg, null, 2));
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

describe(`tables are CREATING for ${DEFAULT_TABLE_CREATING_MS} ms by default; isoctl waits for ACTIVE`, () => {
  it('the sandbox default is not 0 (AWS is never instant)', () => {
    expect(DEFAULT_TABLE_CREATING_MS).toBeGreaterThan(0);
  });

  it('without the wait: the first data call on a new table is ResourceNotFoundException; after waitForTableActive it works', async () => {
    const created = await apis.dynamodb.createTable({ name: 'tc-raw', partitionKey: { name: 'lockId', type: 'S' }, tags: {} });
    expect(created.status).toBe('CREATING');
    const lease = { lockId: 'pool', owner: 'A', expiresAt: Date.now() + 60_000, holder: 'test' };
    const err = await apis.dynamodb.tryAcquireLease('tc-raw', lease, Date.now()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsCallError);
    expect((err as AwsCallError).awsCode).toBe('ResourceNotFoundException');
    expect((err as AwsCallError).kind).toBe('not-found');
    await waitForTableActive(realClock, apis.dynamodb, 'tc-raw');
    expect(await status('tc-raw')).toBe('ACTIVE');
    expect(await apis.dynamodb.tryAcquireLease('tc-raw', lease, Date.now())).toBeUndefined();
  });

  it('bootstrap hands out the config only once the pooled table is ACTIVE', async () => {
    expect(await status(sb.config.tables[0]!.name)).toBe('ACTIVE');
  });

  it('init: the lock table is ACTIVE when init reports done', async () => {
    const r = await cli(['init', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(await status('isoctl-tc-lock')).toBe('ACTIVE');
  });

  it('tenant create --wait none: the silo table is ACTIVE when create reports done', async () => {
    const r = await cli(['tenant', 'create', 'acme', '--wait', 'none', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().steps.map((s: { action: string }) => s.action)).toContain('create-silo-table');
    expect(await status('tc-files-acme')).toBe('ACTIVE');
  });

  it("tenant create --wait data: the probe reads its own silo table and is denied the neighbour's", async () => {
    const r = await cli(['tenant', 'create', 'globex', '--wait', 'data', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(await status('tc-files-globex')).toBe('ACTIVE');
    const v = await cli(['tenant', 'verify', 'globex', '--json']);
    expect(v.code, v.stderr).toBe(0);
    const checks = JSON.stringify(v.json());
    expect(checks).toContain('own-silo-table');
  });
});
