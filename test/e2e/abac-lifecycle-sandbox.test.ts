// The ABAC tenant lifecycle (issue 12) through the built CLI on the sandbox with lag: users of two
// tenants sign in through the identity pool (session tag isoctl-tenant from their claim, the
// credentials' aws:TokenIssueTime from the sandbox's STS). suspend shuts tenant alpha out (its
// existing credentials and fresh ones from its still-valid ID token), bravo untouched; resume lets
// alpha back in; revoke-sessions denies alpha's earlier credentials while a new sign-in reads; delete
// leaves a tombstone a still-valid ID token cannot get past. Re-runs make zero mutating calls; an
// unknown tenant is exit 3, revoke on a deleted tenant says it was deleted. The lifecycle commands run
// with the operator policy; with the scope roles' inline room full, a suspension spills into
// isoctl's managed deny-list policy, attached to both scope roles, and resume removes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsApis, cognitoProviderName, type AwsApis } from '../../src/aws/apis.js';
import { LIMITS, policySize, serializePolicy, type PolicyDocument } from '../../src/policy/index.js';
import { signInAsTenantUser, type TenantUserCredentials } from '../../src/sandbox-user.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox, type RequestLogLine } from '../helpers/sandbox.js';

const LAG = { iam: 300, cognito: 500, dynamodb: 800 };
let sb: TestSandbox;
let apis: AwsApis;
const users: Record<string, TenantUserCredentials> = {};

let operatorKeys: { accessKeyId: string; secretAccessKey: string };

function admin(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs });
}
/** The lifecycle commands run with the operator policy (`sandbox operator`), which the sandbox enforces. */
function cli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return runCli(['--endpoint-url', sb.endpoint, '--config', sb.configPath, ...args], {
    timeoutMs,
    env: { AWS_ACCESS_KEY_ID: operatorKeys.accessKeyId, AWS_SECRET_ACCESS_KEY: operatorKeys.secretAccessKey, AWS_REGION: sb.region },
  });
}
const mutating = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating).map((l) => `${l.service} ${l.operation}`);
const checks = (r: CliResult) => r.json().wait.checks.map((c: { name: string; state: string }) => `${c.name} ${c.state}`);

async function signIn(tenant: string): Promise<TenantUserCredentials> {
  return signInAsTenantUser({ endpoint: sb.endpoint, region: sb.region, credentials: sb.credentials }, sb.config, tenant);
}

/** Queries `tenant`'s partition of the pooled table with these credentials: `<n> row(s)`, or 'denied'. */
async function readRow(creds: TenantUserCredentials['credentials'], tenant: string): Promise<string> {
  const as = apis.withCredentials(creds);
  try {
    return `${await as.dynamodb.query({ table: sb.config.tables[0]!.name, keyName: 'tenantId', keyValue: { S: tenant } })} row(s)`;
  } catch (err) {
    if ((err as { kind?: string }).kind === 'access-denied') return 'denied';
    throw err;
  } finally {
    as.close();
  }
}

/** Fresh credentials bought with the user's ID token (still valid: it lives an hour), or the refusal. */
async function freshCredentials(u: TenantUserCredentials): Promise<TenantUserCredentials['credentials'] | Error> {
  try {
    const c = await apis.cognitoIdentity.getCredentialsForIdentity(u.identityId, { [cognitoProviderName(sb.region, sb.config.userPoolId)]: u.idToken });
    return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
  } catch (err) {
    return err as Error;
  }
}

/** Until `fn` says `want` (the sandbox's DynamoDB lag): assert on the state, not on time. */
async function eventually(fn: () => Promise<string>, want: string): Promise<void> {
  let last = '';
  for (let i = 0; i < 40; i++) {
    last = await fn();
    if (last === want) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(last).toBe(want);
}

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'abl', mapping: 'abac', granularity: 'tenant', lag: LAG });
  apis = awsApis(sb.clients);
  const init = await admin(['init']);
  expect(init.code, init.stderr).toBe(0);
  const op = await admin(['sandbox', 'operator', '--json']);
  expect(op.code, op.stderr).toBe(0);
  operatorKeys = { accessKeyId: op.json().accessKeyId, secretAccessKey: op.json().secretAccessKey };
  const ddbAdmin = new DynamoDBClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
  for (const t of ['alpha', 'bravo']) {
    const r = await admin(['tenant', 'create', t, '--wait', 'none']);
    expect(r.code, r.stderr).toBe(0);
    await ddbAdmin.send(new PutItemCommand({ TableName: sb.config.tables[0]!.name, Item: { tenantId: { S: t }, sk: { S: 'row' } } }));
    users[t] = await signIn(t);
  }
  ddbAdmin.destroy();
  await eventually(() => readRow(users.alpha!.credentials, 'alpha'), '1 row(s)');
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

describe('ABAC tenant lifecycle (sandbox, lag)', () => {
  it("suspend denies alpha's existing and fresh credentials, bravo keeps reading; a re-run changes nothing", async () => {
    const r = await cli(['tenant', 'suspend', 'alpha', '--wait', 'data', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ tenant: 'alpha', action: 'suspend', status: 'changed', suspended: true, changes: { iam: true, registry: 'updated' } });
    expect(checks(r)).toEqual(['iam:suspend-policy ok', 'dynamodb:probe-denied ok']);
    expect(await readRow(users.alpha!.credentials, 'alpha')).toBe('denied');
    const fresh = await freshCredentials(users.alpha!);
    expect(fresh).not.toBeInstanceOf(Error);
    expect(await readRow(fresh as TenantUserCredentials['credentials'], 'alpha')).toBe('denied');
    expect(await readRow(users.bravo!.credentials, 'bravo')).toBe('1 row(s)');
    // One statement on every scope role, keyed on the tenant tag.
    for (const role of ['isoctl-abl-read', 'isoctl-abl-write'])
      expect(await apis.iam.getRolePolicy(role, 'isoctl-suspensions')).toMatchObject({
        Statement: [{ Effect: 'Deny', Action: '*', Condition: { StringEquals: { 'aws:PrincipalTag/isoctl-tenant': ['alpha'] } } }],
      });
    const mark = sb.mark();
    const again = await cli(['tenant', 'suspend', 'alpha', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ status: 'unchanged', changes: { iam: false, registry: 'unchanged' } });
    expect(mutating(sb.since(mark))).toEqual([]);
  }, 60_000);

  it('resume lets the same credentials and fresh ones in again; a re-run changes nothing', async () => {
    const r = await cli(['tenant', 'resume', 'alpha', '--wait', 'data', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ action: 'resume', status: 'changed', suspended: false, changes: { iam: true, registry: 'updated' } });
    expect(checks(r)).toEqual(['iam:suspend-policy-gone ok', 'dynamodb:probe ok']);
    expect(await readRow(users.alpha!.credentials, 'alpha')).toBe('1 row(s)');
    const fresh = await freshCredentials(users.alpha!);
    expect(await readRow(fresh as TenantUserCredentials['credentials'], 'alpha')).toBe('1 row(s)');
    const mark = sb.mark();
    const again = await cli(['tenant', 'resume', 'alpha', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().status).toBe('unchanged');
    expect(mutating(sb.since(mark))).toEqual([]);
  }, 60_000);

  it("revoke-sessions denies alpha's earlier credentials only; a new sign-in reads; bravo is unaffected", async () => {
    const r = await cli(['tenant', 'revoke-sessions', 'alpha', '--wait', 'data', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(checks(r)).toEqual(['iam:revoke-policy ok', 'dynamodb:old-credentials-denied ok', 'dynamodb:new-sign-in ok']);
    expect(doc.signedOut).toEqual(['app-user-alpha', 'isoctl-probe-alpha']);
    expect(await readRow(users.alpha!.credentials, 'alpha')).toBe('denied');
    expect(await readRow(users.bravo!.credentials, 'bravo')).toBe('1 row(s)');
    const again = await signIn('alpha');
    expect(await readRow(again.credentials, 'alpha')).toBe('1 row(s)');
    for (const role of ['isoctl-abl-read', 'isoctl-abl-write'])
      expect(await apis.iam.getRolePolicy(role, 'isoctl-revocations')).toMatchObject({
        Statement: [
          {
            Effect: 'Deny',
            Condition: { StringEquals: { 'aws:PrincipalTag/isoctl-tenant': ['alpha'] }, DateLessThan: { 'aws:TokenIssueTime': doc.issuedBefore } },
          },
        ],
      });
    users.alpha = again;
  }, 60_000);

  it("with the scope roles' inline room full, suspend spills into isoctl's managed deny-list policy (operator keys); resume removes it", async () => {
    // Someone else's inline policy fills each scope role to 50 characters short of IAM's 10,240.
    for (const role of ['isoctl-abl-read', 'isoctl-abl-write']) {
      let used = 0;
      for (const name of await apis.iam.listRolePolicies(role))
        used += policySize(serializePolicy((await apis.iam.getRolePolicy(role, name)) as PolicyDocument));
      const base = {
        Version: '2012-10-17',
        Statement: [{ Sid: 'Pad', Effect: 'Deny', Action: 'sqs:GetQueueUrl', Resource: 'arn:aws:sqs:eu-west-1:123456789012:' }],
      };
      const pad = LIMITS.inlinePolicyCharsPerRole - 50 - used - policySize(serializePolicy(base as PolicyDocument));
      base.Statement[0]!.Resource += 'q'.repeat(pad);
      await apis.iam.putRolePolicy(role, 'padding', serializePolicy(base as PolicyDocument));
    }
    const arn = `arn:aws:iam::${sb.config.accountId}:policy/isoctl/abl/isoctl-abl-deny-list-1`;
    const r = await cli(['tenant', 'suspend', 'bravo', '--wait', 'data', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(checks(r)).toEqual(['iam:suspend-policy ok', 'dynamodb:probe-denied ok']);
    for (const role of ['isoctl-abl-read', 'isoctl-abl-write']) expect(await apis.iam.listAttachedRolePolicies(role)).toEqual([arn]);
    expect(await readRow(users.bravo!.credentials, 'bravo')).toBe('denied');
    expect(await readRow(users.alpha!.credentials, 'alpha')).toBe('1 row(s)');
    const back = await cli(['tenant', 'resume', 'bravo', '--wait', 'data', '--json']);
    expect(back.code, back.stderr).toBe(0);
    for (const role of ['isoctl-abl-read', 'isoctl-abl-write']) expect(await apis.iam.listAttachedRolePolicies(role)).toEqual([]);
    expect(await apis.iam.getPolicy(arn)).toBeUndefined();
    for (const role of ['isoctl-abl-read', 'isoctl-abl-write']) await apis.iam.deleteRolePolicy(role, 'padding');
  }, 60_000);

  it("delete: a still-valid ID token buys nothing of alpha's rows; unknown and deleted tenants are exit 3", async () => {
    const del = await cli(['tenant', 'delete', 'alpha', '--yes', '--json']);
    expect(del.code, del.stderr).toBe(0);
    // delete does not wait for DynamoDB to see the tombstone: within the configured lag it does.
    const fresh = await freshCredentials(users.alpha!);
    if (!(fresh instanceof Error)) await eventually(() => readRow(fresh, 'alpha'), 'denied');
    await eventually(() => readRow(users.alpha!.credentials, 'alpha'), 'denied');
    expect(await readRow(users.bravo!.credentials, 'bravo')).toBe('1 row(s)');

    const mark = sb.mark();
    const unknown = await cli(['tenant', 'suspend', 'nosuch', '--json']);
    expect(unknown.code, unknown.stderr).toBe(3);
    expect(unknown.json().error.code).toBe('tenant_not_found');
    const revoked = await cli(['tenant', 'revoke-sessions', 'alpha', '--json']);
    expect(revoked.code, revoked.stderr).toBe(3);
    expect(revoked.json().error).toMatchObject({ code: 'tenant_deleted', message: expect.stringContaining('was deleted') });
    expect(mutating(sb.since(mark))).toEqual([]);
  }, 60_000);
});
