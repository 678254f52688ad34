// `isoctl apply -f` in ABAC mode (issue 12), through the built CLI on the sandbox: the file's tenants
// are created (registered, silo-less probe user in a scope group) with zero mutating IAM calls; a
// re-run of the same file makes zero mutating calls of any kind; --prune deletes the registry's
// tenants the file does not name, leaving their tombstone on every scope role.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { readDenyEntries, TOMBSTONE_POLICY_NAME } from '../../src/policy/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type RequestLogLine, type TestSandbox } from '../helpers/sandbox.js';

const mutating = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating).map((l) => `${l.service} ${l.operation}`);
type Outcome = { tenant: string; status: string };
const statuses = (doc: { tenants: Outcome[] }) => doc.tenants.map((t) => `${t.tenant} ${t.status}`);

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
    expect(mutating(sb.since(mark)).filter((c) => c.startsWith('iam '))).toEqual([]);
    const list = await cli(['tenant', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.stringify(list.json())).toMatch(/t1[\s\S]*t2[\s\S]*t3/);
    expect((await apis.cognitoIdp.adminListGroupsForUser(sb.config.userPoolId, 'isoctl-probe-t2')).sort()).toEqual(['isoctl-apa-read']);

    const again = sb.mark();
    const r2 = await cli(['apply', '-f', f, '--json']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(statuses(r2.json())).toEqual(['t1 unchanged', 't2 unchanged', 't3 unchanged']);
    expect(mutating(sb.since(again))).toEqual([]);
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
  });
});
