// `isoctl apply -f` in ABAC mode (issue 12), through the built CLI on the sandbox: the file's tenants
// are created (registered, silo-less probe user in a scope group) with zero mutating IAM calls; a
// re-run of the same file makes zero mutating calls of any kind; --prune deletes the registry's
// tenants the file does not name, leaving their tombstone on every scope role.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { executeAbacPlan, planAbacApply } from '../../src/ops/apply/abac.js';
import { readDenyEntries, TOMBSTONE_POLICY_NAME } from '../../src/policy/index.js';
import type { TenantContext } from '../../src/tenant/context.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type RequestLogLine, type TestSandbox } from '../helpers/sandbox.js';

const mutating = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating).map((l) => `${l.service} ${l.operation}`);
type Outcome = { tenant: string; status: string };
const statuses = (doc: { tenants: Outcome[] }) => doc.tenants.map((t) => `${t.tenant} ${t.status}`);
const byOperation = (lines: RequestLogLine[]) => {
  const out: Record<string, number> = {};
  for (const l of lines) out[l.operation] = (out[l.operation] ?? 0) + 1;
  return out;
};

describe('apply in ABAC mode on the sandbox', () => {
  let sb: TestSandbox;
  let apis: AwsApis;
  let dir: string;
  const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  beforeAll(async () => {
    sb = await startTestSandbox({ stack: 'apa', mapping: 'abac' });
    apis = awsApis(sb.clients);
    dir = mkdtempSync(join(tmpdir(), 'isoctl-apply-abac-'));
    expect((await cli(['init'])).code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await sb?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the file tenants: registered, probe users in their scope group, zero mutating IAM calls; a re-run makes zero mutating calls', async () => {
    const f = file('t.yaml', 'tenants:\n  - id: t1\n  - id: t2\n    scopes: [read]\n  - id: t3\n');
    const mark = sb.mark();
    const r = await cli(['apply', '-f', f, '--wait', 'cognito', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(statuses(r.json())).toEqual(['t1 created', 't2 created', 't3 created']);
    const calls = sb.since(mark);
    expect(mutating(calls).filter((c) => c.startsWith('iam '))).toEqual([]);
    // The plan reads the fleet once (the id-reuse check of src/tenant/deleted-ids.ts too: one Scan of
    // the rows and one of the deletion records, no GetItem per new id); from the first write on, per tenant: its row written on the Scan's version
    // (no GetItem), its probe user made and put in its group, one sign-in that does not read the user
    // again (no AdminGetUser), and no data reads at the cognito level.
    const firstWrite = calls.findIndex((l) => l.mutating);
    expect(byOperation(calls.slice(firstWrite).filter((l) => l.operation !== 'DescribeUserPoolClient'))).toEqual({
      PutItem: 3,
      AdminCreateUser: 3,
      AdminAddUserToGroup: 3,
      AdminSetUserPassword: 3,
      AdminInitiateAuth: 3,
      GetId: 3,
      GetCredentialsForIdentity: 3,
      GetCallerIdentity: 3,
    });
    expect(calls.filter((l) => ['AdminGetUser', 'GetIdentityPoolRoles', 'DescribeTable', 'Query', 'BatchGetItem', 'GetItem'].includes(l.operation))).toEqual(
      [],
    );
    const list = await cli(['tenant', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.stringify(list.json())).toMatch(/t1[\s\S]*t2[\s\S]*t3/);
    expect((await apis.cognitoIdp.adminListGroupsForUser(sb.config.userPoolId, 'isoctl-probe-t2')).sort()).toEqual(['isoctl-apa-read']);

    const again = sb.mark();
    const r2 = await cli(['apply', '-f', f, '--json']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(statuses(r2.json())).toEqual(['t1 unchanged', 't2 unchanged', 't3 unchanged']);
    expect(mutating(sb.since(again))).toEqual([]);
    expect(byOperation(sb.since(again))).toEqual({ Scan: 1, GetRole: 1, ListUsers: 1, AdminListGroupsForUser: 3 });
  });

  it('--dry-run --prune plans the delete and changes nothing; --prune --yes deletes it with a tombstone on every scope role', async () => {
    const f = file('p.yaml', 'tenants:\n  - id: t1\n  - id: t2\n    scopes: [read]\n');
    const mark = sb.mark();
    const dry = await cli(['apply', '-f', f, '--prune', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json().tenants.map((t: { tenant: string; action: string }) => `${t.tenant} ${t.action}`)).toEqual(['t1 unchanged', 't2 unchanged', 't3 delete']);
    expect(mutating(sb.since(mark))).toEqual([]);
    const r = await cli(['apply', '-f', f, '--prune', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(statuses(r.json())).toEqual(['t1 unchanged', 't2 unchanged', 't3 deleted']);
    for (const role of ['isoctl-apa-read', 'isoctl-apa-write'])
      expect(readDenyEntries(await apis.iam.getRolePolicy(role, TOMBSTONE_POLICY_NAME)).map((e) => `${e.kind} ${e.tenant}`)).toEqual(['deleted t3']);
    expect(await apis.cognitoIdp.adminGetUser(sb.config.userPoolId, 'isoctl-probe-t3')).toBeUndefined();
    const again = sb.mark();
    const r2 = await cli(['apply', '-f', f, '--prune', '--yes', '--json']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(statuses(r2.json())).toEqual(['t1 unchanged', 't2 unchanged']);
    expect(mutating(sb.since(again))).toEqual([]);

    // The pruned id is not given to a new tenant while its tombstone stands (as `tenant create` refuses it):
    // t3 refused, nothing written for it; t4 made.
    const back = file('b.yaml', 'tenants:\n  - id: t3\n  - id: t4\n');
    const mark3 = sb.mark();
    const r3 = await cli(['apply', '-f', back, '--wait', 'none', '--json']);
    expect(r3.code, r3.stderr).toBe(1);
    expect(r3.json().tenants.map((t: Outcome & { code?: string }) => `${t.tenant} ${t.status} ${t.code ?? ''}`)).toEqual([
      't3 failed tenant_id_recently_deleted',
      't4 created ',
    ]);
    expect(mutating(sb.since(mark3)).sort()).toEqual(['cognito-idp AdminAddUserToGroup', 'cognito-idp AdminCreateUser', 'dynamodb PutItem']);
    expect(await apis.cognitoIdp.adminGetUser(sb.config.userPoolId, 'isoctl-probe-t3')).toBeUndefined();
  });

  it("a registry row another operator changed after the plan's Scan: the conditional put fails, the row is read again and decided on (the suspension kept)", async () => {
    const ctx: TenantContext = { config: sb.config, apis, now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)), purpose: 'test' };
    const lockTable = `isoctl-${sb.config.stack}-lock`;
    const plan = await planAbacApply(ctx, { tenants: [{ id: 't2', scopes: ['write'] }], remove: [], prune: false, ignoreMissing: false }, 2);
    expect(plan.tenants.map((t) => `${t.tenant} ${t.action}`)).toEqual(['t2 update']);
    const scanned = plan.registry.get('t2')!;
    // Between the plan and the write: another operator suspends t2.
    expect(
      await apis.registry.put(lockTable, 'tenant#t2', { ...scanned, status: 'suspended', version: scanned.version + 1 }, { version: scanned.version }),
    ).toBe(true);
    const mark = sb.mark();
    const r = await executeAbacPlan(ctx, plan, { concurrency: 1, wait: 'none', timeoutMs: 0 });
    expect(r.tenants.map((t) => `${t.tenant} ${t.status}`)).toEqual(['t2 updated']);
    expect(
      sb
        .since(mark)
        .filter((l) => l.service === 'dynamodb')
        .map((l) => `${l.operation}${l.error ? ` ${l.error}` : ''}`),
    ).toEqual(['PutItem ConditionalCheckFailedException', 'GetItem', 'PutItem']);
    expect(await apis.registry.get(lockTable, 'tenant#t2')).toMatchObject({ status: 'suspended', scopes: ['write'], version: scanned.version + 2 });
  });
});
