// Deleting a tenant moments after `create --wait none`, while IAM reads do not show its role
// yet: delete must still remove the role (found by operator QA: it used to remove only the
// group and probe user, report the tenant deleted, and leave an orphaned role behind).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const LAG = { iam: 2500, cognito: 0, dynamodb: 0 };
let sb: TestSandbox;
let apis: AwsApis;

const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'late', mapping: 'token', granularity: 'tenant', lag: LAG });
  apis = awsApis(sb.clients);
  const init = await cli(['init', '--json']);
  expect(init.code, init.stderr).toBe(0);
});

afterAll(async () => {
  await sb?.stop();
});

describe('tenant delete right after create, inside the IAM lag', () => {
  it('waits for the role IAM does not show yet and removes it too', async () => {
    const created = await cli(['tenant', 'create', 'quick', '--wait', 'none', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const mark = sb.mark();
    const deleted = await cli(['tenant', 'delete', 'quick', '--yes', '--json']);
    expect(deleted.code, deleted.stderr).toBe(0);
    const actions = deleted.json().items.map((i: { action: string; state: string }) => `${i.action}:${i.state}`);
    expect(actions).toEqual(
      expect.arrayContaining(['delete-group:removed', 'delete-probe-user:removed', 'delete-inline-policy:removed', 'delete-role:removed']),
    );
    expect(
      sb
        .since(mark)
        .filter((l) => l.mutating)
        .map((l) => l.operation),
    ).toContain('DeleteRole');
    // Once IAM's lag has passed, nothing of the tenant is left for gc to find.
    await new Promise((r) => setTimeout(r, LAG.iam + 200));
    expect(await apis.iam.getRole('isoctl-late-quick')).toBeUndefined();
    const list = await cli(['tenant', 'list', '--json']);
    expect(list.json().tenants).toEqual([]);
  });
});
