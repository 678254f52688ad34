// The built CLI against moto (IAM, Cognito user pools, DynamoDB): the IAM and group steps of
// the tenant lifecycle. moto has no Set/GetIdentityPoolRoles, so `init` stops there (asserted),
// the stack's boundary and lock table are made through the adapter instead, and waits stop at `iam`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { validateConfig } from '../../src/config/load.js';
import { buildBoundaryPolicy, serializePolicy } from '../../src/policy/index.js';
import { motoTarget, type AwsTarget } from '../helpers/aws-target.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const STACK = 'motoe2e';
let target: AwsTarget;
let apis: AwsApis;
let dir: string;
let configPath: string;

function cli(args: string[]): Promise<CliResult> {
  return runCli(['--config', configPath, '--endpoint-url', target.endpoint, ...args], {
    env: { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: target.region },
  });
}

/** Mutating AWS calls the CLI made, from its --verbose call lines. */
function mutatingCalls(r: CliResult): string[] {
  return r.stderr
    .split('\n')
    .map((l) => /^aws (\S+) (\S+) /.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[2]}`)
    .filter((c) => /\s(Create|Put|Delete|Update|Tag|Untag|Set|Admin(Create|Update|Set|Add|Delete))/.test(c));
}

beforeAll(async () => {
  target = await motoTarget();
  apis = awsApis(target.clients);
  dir = mkdtempSync(join(tmpdir(), 'isoctl-moto-'));
  configPath = join(dir, 'isoctl.json');
  const raw = {
    stack: STACK,
    region: target.region,
    accountId: target.accountId,
    userPoolId: target.userPoolId,
    userPoolClientId: target.clientId,
    identityPoolId: target.identityPoolId,
    mapping: 'token',
    tables: [{ name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk' }],
  };
  writeFileSync(configPath, JSON.stringify(raw, null, 2));
  await apis.dynamodb.createTable({ name: 'Orders', partitionKey: { name: 'tenantId', type: 'S' }, sortKey: { name: 'sk', type: 'S' }, tags: {} });
});

afterAll(async () => {
  await target?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tenant lifecycle against moto (token mapping, --wait iam)', () => {
  it('init stops at the identity pool (moto lacks GetIdentityPoolRoles) before changing anything', async () => {
    const r = await cli(['init', '--json']);
    expect(r.code).toBe(1);
    expect(r.json().error.message).toMatch(/GetIdentityPoolRoles/);
    const boundary = await apis.iam.getPolicy(`arn:aws:iam::${target.accountId}:policy/isoctl/${STACK}/isoctl-${STACK}-boundary`);
    expect(boundary).toBeUndefined();
    // Make the boundary the way init would.
    const config = validateConfig(JSON.parse((await import('node:fs')).readFileSync(configPath, 'utf8')), configPath);
    await apis.iam.createPolicy({
      name: `isoctl-${STACK}-boundary`,
      path: `/isoctl/${STACK}/`,
      document: serializePolicy(buildBoundaryPolicy(config)),
      tags: { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': STACK },
    });
    // And the lock table, which also holds the tenant registry, as init would.
    await apis.dynamodb.createTable({
      name: `isoctl-${STACK}-lock`,
      partitionKey: { name: 'lockId', type: 'S' },
      sortKey: undefined,
      tags: { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': STACK },
    });
  });

  it('create makes role, inline policy, group and probe user; a re-run makes zero mutating calls', async () => {
    const first = await cli(['tenant', 'create', 'acme', '--wait', 'iam', '--json', '--verbose']);
    expect(first.code, first.stderr).toBe(0);
    const doc = first.json();
    expect(doc.status).toBe('created');
    expect(doc.steps.map((s: { action: string }) => s.action)).toEqual([
      'create-role',
      'put-data-policy',
      'create-group',
      'create-probe-user',
      'add-probe-to-group',
    ]);
    expect(doc.wait.checks.map((c: { name: string; state: string }) => [c.name, c.state])).toEqual([
      ['iam:role', 'ok'],
      ['iam:inline-policy', 'ok'],
    ]);
    expect(mutatingCalls(first)).toEqual([
      'dynamodb PutItem', // the registry row, before the AWS changes
      'iam CreateRole',
      'iam PutRolePolicy',
      'cognito-idp CreateGroup',
      'cognito-idp AdminCreateUser',
      'cognito-idp AdminAddUserToGroup',
    ]);
    const role = await apis.iam.getRole(`isoctl-${STACK}-acme`);
    expect(role?.path).toBe(`/isoctl/${STACK}/`);
    expect(role?.tags).toMatchObject({ 'isoctl:managed-by': 'isoctl', 'isoctl:stack': STACK, 'isoctl:tenant': 'acme' });
    expect((await apis.cognitoIdp.getGroup(target.userPoolId, 'acme'))?.roleArn).toBe(role?.arn);

    const again = await cli(['tenant', 'create', 'acme', '--wait', 'iam', '--json', '--verbose']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().status).toBe('unchanged');
    expect(mutatingCalls(again)).toEqual([]);
  });

  it('list and show', async () => {
    const list = await cli(['tenant', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.json().tenants).toEqual([
      expect.objectContaining({
        tenant: 'acme',
        status: 'ok',
        drift: [],
        mapping: { kind: 'group', roleArn: `arn:aws:iam::${target.accountId}:role/isoctl/${STACK}/isoctl-${STACK}-acme` },
      }),
    ]);
    const show = await cli(['tenant', 'show', 'acme', '--json']);
    expect(show.code, show.stderr).toBe(0);
    expect(show.json()).toMatchObject({ tenant: 'acme', status: 'ok', probeUser: { username: 'isoctl-probe-acme', groups: ['acme'] } });
    expect((await cli(['tenant', 'show', 'nobody', '--json'])).code).toBe(3);
  });

  it('a hand-edited inline policy is repaired by create (list --deep needs the mapping moto lacks)', async () => {
    await apis.iam.putRolePolicy(
      `isoctl-${STACK}-acme`,
      'isoctl-data',
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] }),
    );
    // list --deep also reads the identity pool's mapping (clobber detection), which moto does not
    // serve: it says so instead of a verdict (the drift verdict is tested on the sandbox).
    const deep = await cli(['tenant', 'list', '--deep', '--json']);
    expect(deep.code).not.toBe(0);
    expect(deep.stdout + deep.stderr).toMatch(/GetIdentityPoolRoles/);
    const fix = await cli(['tenant', 'create', 'acme', '--wait', 'iam', '--json', '--verbose']);
    expect(fix.code, fix.stderr).toBe(0);
    expect(fix.json().status).toBe('updated');
    expect(mutatingCalls(fix)).toEqual(['iam PutRolePolicy']);
    const again = await cli(['tenant', 'create', 'acme', '--wait', 'iam', '--json', '--verbose']);
    expect(again.json().status).toBe('unchanged');
    expect(mutatingCalls(again)).toEqual([]);
  });

  it('refuses (exit 4) a same-named role outside the stack path, for create and delete', async () => {
    await apis.iam.createRole({
      name: `isoctl-${STACK}-evil`,
      path: '/',
      trustPolicy: '{"Version":"2012-10-17","Statement":[]}',
      permissionsBoundaryArn: `arn:aws:iam::${target.accountId}:policy/isoctl/${STACK}/isoctl-${STACK}-boundary`,
      tags: {},
    });
    const del = await cli(['tenant', 'delete', 'evil', '--yes', '--json']);
    expect(del.code).toBe(4);
    expect(del.json().error.code).toBe('not_owned');
    const create = await cli(['tenant', 'create', 'evil', '--wait', 'none', '--json']);
    expect(create.code).toBe(4);
    expect(await apis.iam.getRole(`isoctl-${STACK}-evil`)).toBeDefined();
  });

  it('delete needs --yes without a terminal, removes in reverse order, then exit 3 / --ignore-missing 0', async () => {
    const noYes = await cli(['tenant', 'delete', 'acme']);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toMatch(/--yes/);
    const dry = await cli(['tenant', 'delete', 'acme', '--dry-run', '--json']);
    expect(dry.json().status).toBe('planned');
    const del = await cli(['tenant', 'delete', 'acme', '--yes', '--json', '--verbose']);
    expect(del.code, del.stderr).toBe(0);
    expect(del.json().items.map((i: { action: string }) => i.action)).toEqual(['delete-group', 'delete-probe-user', 'delete-inline-policy', 'delete-role']);
    // The deletion record (deleted#acme) is written before the first change, the registry row is
    // marked deleting, the pieces go, the record is dated again and the row is removed last.
    expect(mutatingCalls(del)).toEqual([
      'dynamodb PutItem',
      'dynamodb PutItem',
      'cognito-idp DeleteGroup',
      'cognito-idp AdminDeleteUser',
      'iam DeleteRolePolicy',
      'iam DeleteRole',
      'dynamodb PutItem',
      'dynamodb DeleteItem',
    ]);
    expect(await apis.iam.getRole(`isoctl-${STACK}-acme`)).toBeUndefined();
    expect((await cli(['tenant', 'delete', 'acme', '--yes'])).code).toBe(3);
    expect((await cli(['tenant', 'delete', 'acme', '--yes', '--ignore-missing'])).code).toBe(0);
  });
});
