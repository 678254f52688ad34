// `isoctl teardown` end to end against the sandbox, as the least-privilege operator (`isoctl
// sandbox operator`) and with the admin keys: refused (exit 4, nothing written) while a tenant
// exists; a dry run writes nothing; the operator removes what its policy allows (ABAC's scope
// groups and roles with their deny lists) and is refused the admin-only pieces (the boundary, the
// Token entry, the principal-tag map; the lock table stays while the entry does) with exit 4; the
// admin run removes the rest; a re-run finds nothing. What is not isoctl's stays: another entry
// the identity pool's Roles (its default role), a policy and a table of another stack.
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { lockTableName } from '../../src/config/schema.js';
import { boundaryPolicyArn, buildScopeRoles } from '../../src/policy/index.js';
import { mappingKeyOf } from '../../src/tenant/observe.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

interface Item {
  kind: string;
  target: string;
  state: string;
  adminOnly: boolean;
  accessDenied?: boolean;
  detail?: string;
}
interface Result {
  items: Item[];
  needsAdmin: string[];
  counts: Record<string, number>;
}

const sandboxes: TestSandbox[] = [];
afterAll(async () => {
  for (const sb of sandboxes) await sb.stop();
});

async function setUp(stack: string, mapping: 'token' | 'abac') {
  const sb = await startTestSandbox({ stack, mapping });
  sandboxes.push(sb);
  const asAdmin = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, '--config', sb.configPath, ...args], { timeoutMs: 120_000 });
  const init = await asAdmin(['init', '--json']);
  expect(init.code, init.stderr).toBe(0);
  const op = await asAdmin(['sandbox', 'operator', '--json']);
  expect(op.code, op.stderr).toBe(0);
  const keys = { accessKeyId: op.json<{ accessKeyId: string }>().accessKeyId, secretAccessKey: op.json<{ secretAccessKey: string }>().secretAccessKey };
  const asOperator = (args: string[]): Promise<CliResult> =>
    runCli(['--endpoint-url', sb.endpoint, '--config', sb.configPath, ...args], {
      timeoutMs: 120_000,
      env: { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_REGION: sb.region },
    });
  const writes = (mark: number) =>
    sb
      .since(mark)
      .filter((l) => l.mutating && l.status === 200)
      .map((l) => l.operation);
  return { sb, apis: awsApis(sb.clients), asAdmin, asOperator, writes };
}

const shape = (r: Result) => r.items.map((i) => `${i.kind}:${i.state}${i.accessDenied ? ':denied' : ''}`);

describe.concurrent('isoctl teardown', () => {
  it('token mode: refused while a tenant exists; dry run; the operator is refused every admin-only piece; the admin removes them; foreign pieces stay', async () => {
    const { sb, apis, asAdmin, asOperator, writes } = await setUp('tdt', 'token');
    const { config } = sb;
    expect((await asOperator(['tenant', 'create', 'acme', '--wait', 'iam'])).code).toBe(0);

    let mark = sb.mark();
    const refused = await asOperator(['teardown', '--yes', '--json']);
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.json<{ error: { code: string; tenants: string[] } }>().error).toMatchObject({ code: 'tenants_exist', tenants: ['acme'] });
    expect(refused.stderr).toContain('acme');
    expect(refused.stderr).toContain('--prune');
    expect(refused.stderr).toContain('tenant delete acme');
    expect(writes(mark)).toEqual([]);
    expect((await asOperator(['tenant', 'delete', 'acme', '--yes'])).code).toBe(0);

    // Not isoctl's: the pool's default authenticated role, a policy and a table of another stack.
    const other = await plantForeign(apis, sb);

    mark = sb.mark();
    const dry = await asOperator(['teardown', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(shape(dry.json<Result>())).toEqual(['pool-mapping:planned', 'lock-table:planned', 'boundary:planned']);
    expect(dry.json<Result>().items.every((i) => i.adminOnly)).toBe(true);
    expect(writes(mark)).toEqual([]);
    // No terminal and no --yes: nothing is asked, nothing changes.
    expect((await asOperator(['teardown'])).code).toBe(2);

    const op = await asOperator(['teardown', '--yes', '--json']);
    expect(op.code, op.stderr).toBe(4);
    expect(op.stderr).toContain('administrator credentials');
    expect(shape(op.json<Result>())).toEqual(['pool-mapping:failed:denied', 'lock-table:skipped', 'boundary:failed:denied']);
    expect(op.json<Result>().needsAdmin).toEqual([`${config.identityPoolId} ${mappingKeyOf(config)}`, boundaryPolicyArn(config)]);

    const admin = await asAdmin(['teardown', '--yes', '--json']);
    expect(admin.code, admin.stderr).toBe(0);
    expect(shape(admin.json<Result>())).toEqual(['pool-mapping:removed', 'lock-table:removed', 'boundary:removed']);
    const again = await asAdmin(['teardown', '--yes', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json<Result>().items).toEqual([]);

    // An independent look: nothing of the stack's, everything foreign as it was.
    expect(await apis.iam.getPolicy(boundaryPolicyArn(config))).toBeUndefined();
    expect(await apis.dynamodb.describeTable(lockTableName(config))).toBeUndefined();
    const roles = await apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId);
    expect(roles.RoleMappings[mappingKeyOf(config)]).toBeUndefined();
    expect(roles.Roles).toEqual(other.roles);
    expect(await apis.iam.getPolicy(other.policyArn)).toBeDefined();
    expect(await apis.dynamodb.describeTable(other.table)).toBeDefined();
  }, 300_000);

  it('ABAC: the operator removes the scope groups and roles (deny lists included) and is refused the rest; the admin finishes', async () => {
    const { sb, apis, asAdmin, asOperator } = await setUp('tda', 'abac');
    const { config } = sb;
    // A deleted ABAC tenant leaves a deny tombstone in the scope roles' inline policies.
    expect((await asOperator(['tenant', 'create', 'acme', '--wait', 'none'])).code).toBe(0);
    expect((await asOperator(['tenant', 'delete', 'acme', '--yes'])).code).toBe(0);
    const specs = buildScopeRoles(config);
    expect((await apis.iam.listRolePolicies(specs[0]!.roleName)).length).toBeGreaterThan(1);

    const op = await asOperator(['teardown', '--yes', '--json']);
    expect(op.code, op.stderr).toBe(4);
    const kinds = specs.flatMap(() => ['scope-group:removed', 'scope-role:removed']);
    expect(shape(op.json<Result>())).toEqual([
      'pool-mapping:failed:denied',
      'principal-tags:failed:denied',
      ...kinds,
      'lock-table:skipped',
      'boundary:failed:denied',
    ]);
    for (const s of specs) {
      expect(await apis.iam.getRole(s.roleName)).toBeUndefined();
      expect(await apis.cognitoIdp.getGroup(config.userPoolId, s.roleName)).toBeUndefined();
    }
    const admin = await asAdmin(['teardown', '--yes', '--json']);
    expect(admin.code, admin.stderr).toBe(0);
    expect(shape(admin.json<Result>())).toEqual(['pool-mapping:removed', 'principal-tags:removed', 'lock-table:removed', 'boundary:removed']);
    expect(await apis.iam.listStackRoles(config.stack)).toEqual([]);
    expect(await apis.iam.getPolicy(boundaryPolicyArn(config))).toBeUndefined();
    expect(await apis.dynamodb.describeTable(lockTableName(config))).toBeUndefined();
    const again = await asOperator(['teardown', '--yes', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json<Result>().items).toEqual([]);
  }, 300_000);
});

async function plantForeign(apis: AwsApis, sb: TestSandbox) {
  const { config } = sb;
  const before = await apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId);
  const iam = await sb.clients.iam();
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' }, Action: 'sts:AssumeRoleWithWebIdentity' }],
  });
  const role = (await iam.send(new CreateRoleCommand({ RoleName: 'app-default', Path: '/', AssumeRolePolicyDocument: trust }))).Role!;
  const roles = { ...before.Roles, authenticated: role.Arn! };
  await apis.cognitoIdentity.setIdentityPoolRoles(config.identityPoolId, { Roles: roles, RoleMappings: before.RoleMappings });
  const policy = await apis.iam.createPolicy({
    name: 'isoctl-other-boundary',
    path: '/isoctl/other/',
    document: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }),
    tags: { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': 'other' },
  });
  const table = 'isoctl-other-lock';
  await apis.dynamodb.createTable({
    name: table,
    partitionKey: { name: 'lockId', type: 'S' },
    tags: { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': 'other' },
  });
  return { roles, policyArn: policy.arn, table };
}
