// `isoctl doctor` end to end: the built CLI against the sandbox. A stack as init leaves it is
// healthy (exit 0); each setting doctor checks is then broken by hand through the SDK adapters,
// doctor must flag it (exit 1, JSON finding with the fix), and the fix it names must repair it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CognitoIdentityClient, DescribeIdentityPoolCommand, UpdateIdentityPoolCommand } from '@aws-sdk/client-cognito-identity';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { cognitoProviderName } from '../../src/aws/cognito-identity.js';
import { lockTableName } from '../../src/config/schema.js';
import { boundaryPolicyArn, serializePolicy } from '../../src/policy/index.js';
import { mappingKeyOf } from '../../src/tenant/observe.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sb: TestSandbox;
let apis: AwsApis;

const cli = (args: string[], env?: Record<string, string | undefined>): Promise<CliResult> =>
  runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000, env });

interface Doc {
  healthy: boolean;
  counts: Record<string, number>;
  findings: Array<{ check: string; status: string; message: string; fix?: { command?: string; action: string } }>;
}

async function doctor(args: string[] = []): Promise<{ code: number | null; doc: Doc; stderr: string }> {
  const r = await cli(['doctor', '--json', ...args]);
  return { code: r.code, doc: r.json() as Doc, stderr: r.stderr };
}

function problems(doc: Doc): string[] {
  return doc.findings.filter((f) => f.status === 'problem').map((f) => f.check);
}

function finding(doc: Doc, check: string) {
  const f = doc.findings.find((x) => x.check === check);
  if (!f) throw new Error(`no ${check} finding in ${JSON.stringify(doc.findings.map((x) => x.check))}`);
  return f;
}

async function healthyAgain(): Promise<void> {
  const d = await doctor();
  expect(problems(d.doc)).toEqual([]);
  expect(d.code).toBe(0);
}

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'doc', mapping: 'token', granularity: 'user', lag: { iam: 100, cognito: 100, dynamodb: 100 } });
  apis = awsApis(sb.clients);
  expect((await cli(['init'])).code).toBe(0);
  const c = await cli(['tenant', 'create', 'acme', '--wait', 'iam']);
  expect(c.code, c.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

describe('doctor on the sandbox (token mapping, granularity user)', () => {
  it('a stack as init leaves it: healthy, exit 0, one finding per check', async () => {
    const { code, doc } = await doctor();
    expect(code).toBe(0);
    expect(doc.healthy).toBe(true);
    expect(doc.findings.map((f) => `${f.check}:${f.status}`)).toEqual([
      'account:ok',
      'user-pool:ok',
      'app-client:ok',
      'identity-pool:ok',
      'role-mapping:ok',
      'reach:ok',
      'clobber:ok',
      'principal-tags:ok',
      'boundary:ok',
      'trust:ok',
      'tenant-policies:ok',
      'tables:ok',
      'lock-table:ok',
      'quota-roles:ok',
      'quota-groups:ok',
      'permissions:ok',
    ]);
    const human = await cli(['doctor']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/healthy: 0 problem\(s\)/);
  });

  it('AmbiguousRoleResolution set to AuthenticatedRole by hand: role-mapping, fixed by `isoctl init`', async () => {
    const roles = await apis.cognitoIdentity.getIdentityPoolRoles(sb.config.identityPoolId);
    roles.RoleMappings[mappingKeyOf(sb.config)]!.AmbiguousRoleResolution = 'AuthenticatedRole';
    await apis.cognitoIdentity.setIdentityPoolRoles(sb.config.identityPoolId, roles);
    const { code, doc } = await doctor();
    expect(code).toBe(1);
    expect(problems(doc)).toEqual(['role-mapping']);
    expect(finding(doc, 'role-mapping').fix?.command).toBe('isoctl init');
    expect((await cli(['init'])).code).toBe(0);
    await healthyAgain();
  });

  it('the principal-tag map removed: principal-tags, fixed by `isoctl init`', async () => {
    await apis.cognitoIdentity.setPrincipalTagAttributeMap(sb.config.identityPoolId, cognitoProviderName(sb.region, sb.config.userPoolId), {
      useDefaults: true,
      principalTags: {},
    });
    const { code, doc } = await doctor();
    expect(code).toBe(1);
    expect(problems(doc)).toEqual(['principal-tags']);
    expect(finding(doc, 'principal-tags').fix?.command).toBe('isoctl init');
    expect((await cli(['init'])).code).toBe(0);
    await healthyAgain();
  });

  it('a boundary version widened by hand: boundary, fixed by `isoctl init`', async () => {
    await apis.iam.createPolicyVersion(
      boundaryPolicyArn(sb.config),
      serializePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] }),
    );
    const { code, doc } = await doctor();
    expect(code).toBe(1);
    expect(problems(doc)).toEqual(['boundary']);
    expect((await cli(['init'])).code).toBe(0);
    await healthyAgain();
  });

  it('a trust policy trusting another identity pool: trust names the tenant, fixed by `tenant create acme`', async () => {
    const role = await apis.iam.getRole('isoctl-doc-acme');
    const edited = JSON.stringify(role!.trustPolicy).replaceAll(sb.config.identityPoolId, 'us-east-1:00000000-0000-0000-0000-000000000000');
    await apis.iam.updateAssumeRolePolicy('isoctl-doc-acme', edited);
    await new Promise((r) => setTimeout(r, 200));
    const { code, doc } = await doctor();
    expect(code).toBe(1);
    expect(problems(doc)).toEqual(['trust']);
    expect(finding(doc, 'trust').message).toMatch(/isoctl-doc-acme \(aud is not/);
    expect(finding(doc, 'trust').fix?.command).toBe('isoctl tenant create acme');
    expect((await cli(['tenant', 'create', 'acme', '--wait', 'iam'])).code).toBe(0);
    await healthyAgain();
  });

  it('the lock table deleted: lock-table, fixed by `isoctl init`', async () => {
    await apis.dynamodb.deleteTable(lockTableName(sb.config));
    await new Promise((r) => setTimeout(r, 200));
    const { code, doc } = await doctor();
    expect(code).toBe(1);
    expect(problems(doc)).toEqual(['lock-table']);
    expect((await cli(['init'])).code).toBe(0);
    await healthyAgain();
  });

  it('the user pool provider removed from the identity pool: identity-pool', async () => {
    const client = new CognitoIdentityClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
    const pool = await client.send(new DescribeIdentityPoolCommand({ IdentityPoolId: sb.config.identityPoolId }));
    const { $metadata: _m, ...input } = pool;
    await client.send(
      new UpdateIdentityPoolCommand({
        ...input,
        IdentityPoolId: pool.IdentityPoolId!,
        IdentityPoolName: pool.IdentityPoolName!,
        AllowUnauthenticatedIdentities: false,
        CognitoIdentityProviders: [],
      }),
    );
    const { code, doc } = await doctor();
    expect(code).toBe(1);
    expect(problems(doc)).toContain('identity-pool');
    expect(finding(doc, 'identity-pool').message).toMatch(/does not list the provider/);
    await client.send(
      new UpdateIdentityPoolCommand({
        ...input,
        IdentityPoolId: pool.IdentityPoolId!,
        IdentityPoolName: pool.IdentityPoolName!,
        AllowUnauthenticatedIdentities: false,
        CognitoIdentityProviders: pool.CognitoIdentityProviders,
      }),
    );
    client.destroy();
    await healthyAgain();
  });

  it('a config naming another account and a missing user pool: account, user-pool', async () => {
    const cfg = JSON.parse(readFileSync(sb.configPath, 'utf8'));
    const path = join(sb.stateDir, 'wrong.json');
    writeFileSync(path, JSON.stringify({ ...cfg, accountId: '111122223333', userPoolId: `${sb.region}_Missing1` }));
    const { code, doc } = await doctor(['--config', path]);
    expect(code).toBe(1);
    expect(problems(doc)).toEqual(expect.arrayContaining(['account', 'user-pool']));
    expect(finding(doc, 'account').message).toMatch(/the credentials are for account 000000000000 .* the config says 111122223333/);
  });

  it("a caller without the operator policy (a tenant's session): permissions lists the denied actions", async () => {
    const pool = sb.config.userPoolId;
    await apis.cognitoIdp.adminCreateUser(pool, 'op', {});
    await apis.cognitoIdp.adminSetUserPassword(pool, 'op', 'Passw0rd!Passw0rd!');
    await apis.cognitoIdp.adminAddUserToGroup(pool, 'op', 'acme');
    const { idToken } = await apis.cognitoIdp.adminSignIn(pool, sb.config.userPoolClientId, 'op', 'Passw0rd!Passw0rd!');
    const logins = { [cognitoProviderName(sb.region, pool)]: idToken };
    const id = await apis.cognitoIdentity.getId(sb.config.identityPoolId, sb.accountId, logins);
    const creds = await apis.cognitoIdentity.getCredentialsForIdentity(id, logins);
    const r = await runCli(['--endpoint-url', sb.endpoint, '--config', sb.configPath, 'doctor', '--json'], {
      timeoutMs: 60_000,
      env: { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_SESSION_TOKEN: creds.sessionToken, AWS_REGION: sb.region },
    });
    expect(r.code, r.stderr).toBe(1);
    const doc = r.json() as Doc;
    const p = finding(doc, 'permissions');
    expect(p.status).toBe('problem');
    expect(p.message).toMatch(/iam:GetPolicy/);
    expect(p.message).toMatch(/cognito-idp:DescribeUserPool/);
    expect(p.fix?.command).toBe('isoctl policy render <any-tenant> --kind operator --json');
    expect(finding(doc, 'boundary').status).toBe('skipped');
  });

  it('the account at its roles quota: quota-roles (sandbox restarted on the same state with a quota of 1 role)', async () => {
    const q = await startTestSandbox({ stack: 'doq', mapping: 'token', granularity: 'tenant', keep: true });
    const qcli = (args: string[]) => runCli(['--sandbox', q.stateDir, ...args], { timeoutMs: 60_000 });
    try {
      expect((await qcli(['init'])).code).toBe(0);
      expect((await qcli(['tenant', 'create', 'acme', '--wait', 'none'])).code).toBe(0);
      await q.stop();
      const quota = await startSandbox({ stateDir: q.stateDir, rolesQuota: 1, waitForAttached: false });
      try {
        const r = await qcli(['doctor', '--json']);
        expect(r.code).toBe(1);
        const doc = r.json() as Doc;
        expect(problems(doc)).toEqual(['quota-roles']);
        expect(finding(doc, 'quota-roles').message).toBe('1 of 1 IAM roles used: no tenant can be created');
      } finally {
        await quota.close();
      }
    } finally {
      rmSync(q.stateDir, { recursive: true, force: true });
    }
  });
});
