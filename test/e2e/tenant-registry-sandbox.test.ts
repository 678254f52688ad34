// The tenant registry through the built CLI on the sandbox (with lag): 20 concurrent creates all
// registered; a stack whose rows are missing (made before the registry) is filled by the first
// list; a row whose AWS resources were deleted by hand and a tenant without a row are drift
// (--deep exits 1); create re-registers, delete removes the row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import type { CliResult } from '../helpers/cli.js';
import { runCliWithKeys, startTestSandbox, type TestSandbox, type RequestLogLine } from '../helpers/sandbox.js';

const LAG = { iam: 300, cognito: 300, dynamodb: 300 };
const N = 20;
let sb: TestSandbox;
let apis: AwsApis;
let lockTable: string;

// --endpoint-url with the sandbox's admin keys: 20 processes at once need no attach handshake.
const cli = (args: string[], timeoutMs = 120_000): Promise<CliResult> => runCliWithKeys(sb, sb.credentials, args, timeoutMs);
const mutating = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating).map((l) => `${l.service} ${l.operation}`);
const ids = Array.from({ length: N }, (_, i) => `t${String(i).padStart(2, '0')}`);

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'reg', mapping: 'token', lag: LAG });
  apis = awsApis(sb.clients);
  lockTable = `isoctl-${sb.config.stack}-lock`;
  const init = await cli(['init', '--json']);
  expect(init.code, init.stderr).toBe(0);
});

afterAll(async () => {
  await sb?.stop();
});

describe('tenant registry (sandbox, token mapping)', () => {
  it(`${N} concurrent creates (separate processes) are all registered, active, with their scopes`, async () => {
    const results = await Promise.all(ids.map((id) => cli(['tenant', 'create', id, '--wait', 'none', '--json'], 180_000)));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(results.map((r) => r.json().registry)).toEqual(ids.map(() => 'created'));
    const rows = await apis.registry.scan(lockTable, 'tenant#');
    const tenants = rows.rows.map((r) => r.row).filter((r) => r.tenant !== '');
    expect(tenants.map((r) => r.tenant).sort()).toEqual(ids);
    for (const r of tenants) {
      expect(r.status).toBe('active');
      expect(r.mode).toBe('token');
      expect(r.scopes.length).toBeGreaterThan(0);
      expect(r.version).toBe(1);
    }
    const list = await cli(['tenant', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const doc = list.json();
    expect(doc.registry).toMatchObject({ rows: N, filled: [], registryOnly: [], awsOnly: [] });
    expect(doc.registry.calls).toBeLessThanOrEqual(2);
    expect(doc.tenants.map((t: { lifecycle: string }) => t.lifecycle)).toEqual(ids.map(() => 'active'));
  }, 240_000);

  it('a stack without registry rows (made before the registry) is filled by the first list; --deep then agrees', async () => {
    for (const key of ['tenant#', ...ids.map((i) => `tenant#${i}`)]) await apis.registry.remove(lockTable, key);
    expect((await apis.registry.scan(lockTable, 'tenant#')).rows).toEqual([]);
    const list = await cli(['tenant', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.json().registry.filled).toEqual(ids);
    expect(list.json().tenants.every((t: { lifecycle: string }) => t.lifecycle === 'active')).toBe(true);
    const row = await apis.registry.get(lockTable, 'tenant#t03');
    expect(row).toMatchObject({ tenant: 't03', status: 'active', mode: 'token' });
    // Filled once: the next list writes nothing.
    const mark = sb.mark();
    const deep = await cli(['tenant', 'list', '--deep', '--json']);
    expect(deep.code, deep.stderr).toBe(0);
    expect(deep.json().registry.filled).toEqual([]);
    expect(mutating(sb.since(mark))).toEqual([]);
  }, 120_000);

  it('a row whose AWS resources were deleted by hand, and a tenant without a row, are drift: --deep exits 1', async () => {
    // t01's role, group and probe user go by hand; its row (registered a while ago) stays.
    const row = await apis.registry.get(lockTable, 'tenant#t01');
    const old = new Date(Date.now() - 3_600_000).toISOString();
    expect(await apis.registry.put(lockTable, 'tenant#t01', { ...row!, updatedAt: old, version: row!.version + 1 }, { version: row!.version })).toBe(true);
    const roleName = `isoctl-${sb.config.stack}-t01`;
    for (const p of await apis.iam.listRolePolicies(roleName)) await apis.iam.deleteRolePolicy(roleName, p);
    await apis.iam.deleteRole(roleName);
    expect(await apis.cognitoIdp.deleteGroup(sb.config.userPoolId, 't01')).toBe(true);
    expect(await apis.cognitoIdp.adminDeleteUser(sb.config.userPoolId, 'isoctl-probe-t01')).toBe(true);
    // t02's row goes by hand; its AWS resources stay.
    await apis.registry.remove(lockTable, 'tenant#t02');
    await new Promise((r) => setTimeout(r, 1_000)); // the sandbox's IAM/Cognito lag
    const deep = await cli(['tenant', 'list', '--deep', '--json']);
    expect(deep.code, deep.stderr).toBe(1);
    expect(deep.json().registry, JSON.stringify(deep.json().tenants.filter((t: { tenant: string }) => t.tenant === 't01'))).toMatchObject({
      registryOnly: ['t01'],
      awsOnly: ['t02'],
    });
    expect(deep.stderr).toMatch(/registry-only: t01; AWS-only: t02/);
    // Plain list reports it and exits 0 (as for other drift).
    const plain = await cli(['tenant', 'list', '--json']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.json().tenants.find((t: { tenant: string }) => t.tenant === 't02').lifecycle).toBeNull();
    // create re-registers t02 (AWS unchanged), delete removes t01's row.
    const create = await cli(['tenant', 'create', 't02', '--wait', 'none', '--json']);
    expect(create.code, create.stderr).toBe(0);
    expect(create.json()).toMatchObject({ status: 'unchanged', registry: 'created' });
    const del = await cli(['tenant', 'delete', 't01', '--yes', '--json']);
    expect(del.code, del.stderr).toBe(0);
    expect(del.json()).toMatchObject({ status: 'deleted', registry: 'removed' });
    const again = await cli(['tenant', 'list', '--deep', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().registry).toMatchObject({ rows: N - 1, registryOnly: [], awsOnly: [] });
  }, 120_000);

  it('create re-run makes zero mutating calls; delete marks deleting and removes the row at the end', async () => {
    const mark = sb.mark();
    const again = await cli(['tenant', 'create', 't05', '--wait', 'none', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().registry).toBe('unchanged');
    expect(mutating(sb.since(mark))).toEqual([]);
    const m2 = sb.mark();
    const del = await cli(['tenant', 'delete', 't05', '--yes', '--json']);
    expect(del.code, del.stderr).toBe(0);
    expect(del.json().registry).toBe('removed');
    const writes = mutating(sb.since(m2));
    expect(writes[0]).toBe('dynamodb PutItem');
    expect(writes.at(-1)).toBe('dynamodb DeleteItem');
    expect(await apis.registry.get(lockTable, 'tenant#t05')).toBeUndefined();
  }, 120_000);
});
