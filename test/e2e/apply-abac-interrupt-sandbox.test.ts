// Ctrl-C during `isoctl apply -f` in ABAC mode (issue 12), as test/reliability/apply.test.ts does
// for role mode: the built CLI applies 6 tenants one at a time (--concurrency 1, --wait cognito, on
// the sandbox with lag); SIGINT arrives when the second tenant's registry row is written, so the
// first tenant is done (sign-in included) and the second is in flight. The CLI stops taking
// tenants, exits 130 with one JSON document (interrupted; the first created, the second created or
// pending, the rest pending, not started: no row, no probe user), and the same apply run again
// converges: the first tenant is unchanged, the only writes are the ones the others still needed,
// and a third run writes nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { createAwsClients, type AwsClients } from '../../src/aws/clients.js';
import { bootstrapSandbox } from '../../src/commands/sandbox/bootstrap-stack.js';
import type { StackConfig } from '../../src/config/schema.js';
import type { RequestLogEntry } from '../../src/sandbox/request-log.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { runCli, spawnCli, type CliResult } from '../helpers/cli.js';

const LAG = { iam: 0, cognito: 300, dynamodb: 100 };
const ids = ['i1', 'i2', 'i3', 'i4', 'i5', 'i6'];
let dir: string;
let sb: RunningSandbox;
let config: StackConfig;
let clients: AwsClients;
let apis: AwsApis;
const log: RequestLogEntry[] = [];
/** The CLI to interrupt, and on which registry write. */
const target = { pid: 0, puts: 0, at: 2 };

const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', dir, ...args], { timeoutMs: 90_000 });
const mutating = (lines: RequestLogEntry[]) => lines.filter((l) => l.mutating && l.status < 400).map((l) => l.operation);
const lockTable = () => `isoctl-${config.stack}-lock`;
const registered = async () =>
  (await apis.registry.scan(lockTable(), 'tenant#')).rows
    .map((r) => r.row.tenant)
    .filter(Boolean)
    .sort();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'isoctl-abac-int-'));
  sb = await startSandbox({
    stateDir: dir,
    lag: LAG,
    seed: 1,
    waitForAttached: false,
    onRequestLogged: (e) => {
      log.push(e);
      if (target.pid === 0 || e.service !== 'dynamodb' || e.operation !== 'PutItem' || e.status >= 400) return;
      if (++target.puts === target.at) {
        process.kill(target.pid, 'SIGINT');
        target.pid = 0;
      }
    },
  });
  config = (
    await bootstrapSandbox({
      endpoint: sb.endpoint,
      region: sb.region,
      credentials: sb.credentials,
      stack: 'abint',
      mapping: 'abac',
      granularity: 'tenant',
      out: join(dir, 'isoctl.json'),
    })
  ).config;
  clients = createAwsClients({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials, maxAttempts: 3 });
  apis = awsApis(clients);
  const init = await cli(['init', '--json']);
  expect(init.code, init.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  clients?.destroy();
  await sb?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ABAC apply interrupted by SIGINT (sandbox, lag)', () => {
  it('exit 130 with the JSON result after the first tenant; the rest not started; the same apply converges, the first tenant untouched', async () => {
    const f = join(dir, 'int.json');
    writeFileSync(f, JSON.stringify({ tenants: ids.map((id) => ({ id })) }));
    const child = spawnCli(['--sandbox', dir, 'apply', '-f', f, '--concurrency', '1', '--wait', 'cognito', '--json'], { timeoutMs: 90_000 });
    target.pid = child.pid;
    const r = await child.done;
    expect(target.puts, 'the SIGINT was sent').toBeGreaterThanOrEqual(target.at);
    expect(r.code, r.stderr).toBe(130);
    const out = r.json();
    expect(out.interrupted).toBe(true);
    const status = Object.fromEntries((out.tenants as Array<{ tenant: string; status: string }>).map((t) => [t.tenant, t.status]));
    expect(status.i1).toBe('created');
    expect(['created', 'pending']).toContain(status.i2);
    for (const t of ids.slice(2)) expect(status[t], t).toBe('pending');
    expect(out.counts.created + out.counts.pending).toBe(ids.length);
    expect(r.stderr).toMatch(/interrupted: \d+ tenant\(s\) changed, .* not finished .*run the same command again/);

    // Past the sandbox's lag, so what the interrupted run wrote is what every reader sees.
    await new Promise((resolve) => setTimeout(resolve, 2 * LAG.cognito));
    // Not started: no registry row, no probe user.
    const rows = await registered();
    expect(rows.filter((t) => t !== 'i1' && t !== 'i2')).toEqual([]);
    expect(rows).toContain('i1');
    for (const t of ids.slice(2)) expect(await apis.cognitoIdp.adminGetUser(config.userPoolId, `isoctl-probe-${t}`), t).toBeUndefined();
    // What i2 got before the interrupt: its row (the write that triggered it), maybe its probe user.
    const i2User = await apis.cognitoIdp.adminGetUser(config.userPoolId, 'isoctl-probe-i2');
    const i2Groups = i2User ? await apis.cognitoIdp.adminListGroupsForUser(config.userPoolId, 'isoctl-probe-i2') : [];

    const mark = log.length;
    const again = await cli(['apply', '-f', f, '--wait', 'none', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const after = Object.fromEntries((again.json().tenants as Array<{ tenant: string; status: string }>).map((t) => [t.tenant, t.status]));
    expect(after.i1).toBe('unchanged');
    for (const t of ids.slice(2)) expect(after[t], t).toBe('created');
    // The writes of the re-run are exactly what i2..i6 still needed: nothing for i1.
    const want = [
      ...(rows.includes('i2') ? [] : ['PutItem']),
      ...(i2User ? [] : ['AdminCreateUser']),
      ...(i2Groups.length > 0 ? [] : ['AdminAddUserToGroup']),
      ...ids.slice(2).flatMap(() => ['PutItem', 'AdminCreateUser', 'AdminAddUserToGroup']),
    ].sort();
    expect(mutating(log.slice(mark)).sort()).toEqual(want);
    expect(await registered()).toEqual(ids);

    const third = log.length;
    const r3 = await cli(['apply', '-f', f, '--json']);
    expect(r3.code, r3.stderr).toBe(0);
    expect(r3.json().counts.unchanged).toBe(ids.length);
    expect(mutating(log.slice(third))).toEqual([]);
  }, 120_000);
});
