// The AWS CLI (botocore, an independent client) parses the sandbox's answer to every IAM and
// STS operation: exit 0 and the fields its models define, policy documents decoded as botocore
// decodes AWS's URL-encoded ones, and AWS-shaped errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningSandbox } from '../../../src/sandbox/server.js';
import { BOUNDARY, cognitoOpenIdToken, cognitoTrust, dataPolicy, sandbox } from './helpers.js';

let sb: RunningSandbox;
const noAwsConfig = join(mkdtempSync(join(tmpdir(), 'isoctl-awscli-')), 'none');

beforeAll(async () => {
  sb = await sandbox();
});
afterAll(async () => {
  await sb?.close();
});

interface AwsResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

/** `aws --endpoint-url <sandbox> <args>` with the admin keys (AWS CLI v1 has no pager; AWS_PAGER is cleared anyway). */
function aws(args: string[], creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = sb.credentials): Promise<AwsResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
    AWS_CONFIG_FILE: noAwsConfig,
    AWS_SHARED_CREDENTIALS_FILE: noAwsConfig,
  });
  if (creds.sessionToken) env.AWS_SESSION_TOKEN = creds.sessionToken;
  return new Promise((resolve, reject) => {
    const child = spawn('aws', ['--endpoint-url', sb.endpoint, '--output', 'json', ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: unknown;
      try {
        json = stdout.trim() === '' ? undefined : JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

async function ok(args: string[]): Promise<any> {
  const r = await aws(args);
  expect(r.code, `aws ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.json;
}

const PATH = '/isoctl/cli/';
const ROLE = 'isoctl-cli-acme';
let boundaryArn: string;

// Each case runs several `aws` processes (Python start-up each): 300 s, so a loaded machine cannot time them out (60 s did at load 22).
describe('IAM through the AWS CLI', { timeout: 300_000 }, () => {
  it('policies: create-policy, get-policy, create/get/list/delete-policy-version, list-policies', async () => {
    const created = await ok([
      'iam',
      'create-policy',
      '--policy-name',
      'isoctl-cli-boundary',
      '--path',
      PATH,
      '--policy-document',
      BOUNDARY,
      '--description',
      'cli',
    ]);
    boundaryArn = created.Policy.Arn;
    expect(created.Policy).toMatchObject({ PolicyName: 'isoctl-cli-boundary', Path: PATH, DefaultVersionId: 'v1', IsAttachable: true });
    expect((await ok(['iam', 'get-policy', '--policy-arn', boundaryArn])).Policy.Description).toBe('cli');
    const v2 = await ok(['iam', 'create-policy-version', '--policy-arn', boundaryArn, '--policy-document', BOUNDARY, '--set-as-default']);
    expect(v2.PolicyVersion).toMatchObject({ VersionId: 'v2', IsDefaultVersion: true });
    const got = await ok(['iam', 'get-policy-version', '--policy-arn', boundaryArn, '--version-id', 'v2']);
    expect(got.PolicyVersion.Document).toEqual(JSON.parse(BOUNDARY)); // botocore URL-decodes and parses it
    const versions = await ok(['iam', 'list-policy-versions', '--policy-arn', boundaryArn]);
    expect(versions.Versions.map((v: { VersionId: string }) => v.VersionId)).toEqual(['v2', 'v1']);
    await ok(['iam', 'delete-policy-version', '--policy-arn', boundaryArn, '--version-id', 'v1']);
    const listed = await ok(['iam', 'list-policies', '--scope', 'Local', '--path-prefix', PATH]);
    expect(listed.Policies.map((p: { PolicyName: string }) => p.PolicyName)).toEqual(['isoctl-cli-boundary']);
  });

  it('roles: create-role with path, boundary, tags and duration; get-role; list-roles with paging; update-assume-role-policy', async () => {
    const trust = cognitoTrust('us-east-1:11111111-2222-3333-4444-555555555555');
    const created = await ok([
      'iam',
      'create-role',
      '--role-name',
      ROLE,
      '--path',
      PATH,
      '--assume-role-policy-document',
      trust,
      '--permissions-boundary',
      boundaryArn,
      '--max-session-duration',
      '7200',
      '--description',
      'tenant acme',
      '--tags',
      'Key=isoctl:stack,Value=cli',
      'Key=isoctl:tenant,Value=acme',
    ]);
    expect(created.Role).toMatchObject({
      RoleName: ROLE,
      Path: PATH,
      Arn: `arn:aws:iam::000000000000:role${PATH}${ROLE}`,
      MaxSessionDuration: 7200,
      PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: boundaryArn },
    });
    expect(created.Role.AssumeRolePolicyDocument).toEqual(JSON.parse(trust));
    const got = (await ok(['iam', 'get-role', '--role-name', ROLE])).Role;
    expect(got.Tags).toEqual([
      { Key: 'isoctl:stack', Value: 'cli' },
      { Key: 'isoctl:tenant', Value: 'acme' },
    ]);
    expect(got.CreateDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    await ok(['iam', 'create-role', '--role-name', 'isoctl-cli-beta', '--path', PATH, '--assume-role-policy-document', trust]);
    const page1 = await ok(['iam', 'list-roles', '--path-prefix', PATH, '--max-items', '1']);
    expect(page1.Roles).toHaveLength(1);
    expect(page1.NextToken).toBeTruthy(); // the CLI turns Marker/IsTruncated into its own NextToken
    const all = await ok(['iam', 'list-roles', '--path-prefix', PATH]);
    expect(all.Roles.map((r: { RoleName: string }) => r.RoleName)).toEqual(['isoctl-cli-acme', 'isoctl-cli-beta']);
    const next = cognitoTrust('us-east-1:99999999-2222-3333-4444-555555555555');
    expect(await ok(['iam', 'update-assume-role-policy', '--role-name', 'isoctl-cli-beta', '--policy-document', next])).toBeUndefined();
    expect((await ok(['iam', 'get-role', '--role-name', 'isoctl-cli-beta'])).Role.AssumeRolePolicyDocument).toEqual(JSON.parse(next));
  });

  it('inline policies, boundaries and tags', async () => {
    await ok(['iam', 'put-role-policy', '--role-name', ROLE, '--policy-name', 'data', '--policy-document', dataPolicy('acme')]);
    const got = await ok(['iam', 'get-role-policy', '--role-name', ROLE, '--policy-name', 'data']);
    expect(got).toMatchObject({ RoleName: ROLE, PolicyName: 'data', PolicyDocument: JSON.parse(dataPolicy('acme')) });
    expect((await ok(['iam', 'list-role-policies', '--role-name', ROLE])).PolicyNames).toEqual(['data']);
    await ok(['iam', 'tag-role', '--role-name', ROLE, '--tags', 'Key=team,Value=blue']);
    await ok(['iam', 'untag-role', '--role-name', ROLE, '--tag-keys', 'isoctl:tenant']);
    expect((await ok(['iam', 'list-role-tags', '--role-name', ROLE])).Tags).toEqual([
      { Key: 'isoctl:stack', Value: 'cli' },
      { Key: 'team', Value: 'blue' },
    ]);
    await ok(['iam', 'delete-role-permissions-boundary', '--role-name', ROLE]);
    await ok(['iam', 'put-role-permissions-boundary', '--role-name', ROLE, '--permissions-boundary', boundaryArn]);
    expect((await ok(['iam', 'get-role', '--role-name', ROLE])).Role.PermissionsBoundary.PermissionsBoundaryArn).toBe(boundaryArn);
  });

  it('errors come back as AWS errors the CLI names: NoSuchEntity, DeleteConflict, MalformedPolicyDocument', async () => {
    const missing = await aws(['iam', 'get-role', '--role-name', 'nope']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('An error occurred (NoSuchEntity) when calling the GetRole operation: The role with name nope cannot be found.');
    const conflict = await aws(['iam', 'delete-role', '--role-name', ROLE]);
    expect(conflict.stderr).toContain(
      'An error occurred (DeleteConflict) when calling the DeleteRole operation: Cannot delete entity, must delete policies first.',
    );
    const busy = await aws(['iam', 'delete-policy', '--policy-arn', boundaryArn]);
    expect(busy.stderr).toContain('(DeleteConflict) when calling the DeletePolicy operation: Cannot delete a policy attached to entities.');
    const malformed = await aws([
      'iam',
      'put-role-policy',
      '--role-name',
      ROLE,
      '--policy-name',
      'bad',
      '--policy-document',
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem"}]}',
    ]);
    expect(malformed.stderr).toContain('(MalformedPolicyDocument) when calling the PutRolePolicy operation: Policy statement must contain resources.');
    const unknownKey = await aws(['iam', 'list-roles'], { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' });
    expect(unknownKey.stderr).toContain('(InvalidClientTokenId) when calling the ListRoles operation: The security token included in the request is invalid.');
  });

  it('deletes: delete-role-policy, delete-role, delete-policy; get-account-summary', async () => {
    await ok(['iam', 'delete-role-policy', '--role-name', ROLE, '--policy-name', 'data']);
    await ok(['iam', 'delete-role', '--role-name', ROLE]);
    await ok(['iam', 'delete-role', '--role-name', 'isoctl-cli-beta']);
    await ok(['iam', 'delete-policy', '--policy-arn', boundaryArn]);
    const summary = (await ok(['iam', 'get-account-summary'])).SummaryMap;
    expect(summary).toMatchObject({
      Roles: 0,
      RolesQuota: 1000,
      Policies: 0,
      AssumeRolePolicySizeQuota: 2048,
      RolePolicySizeQuota: 10240,
      PolicySizeQuota: 6144,
    });
  });
});

describe('STS through the AWS CLI', { timeout: 300_000 }, () => {
  it('get-caller-identity, assume-role-with-web-identity (unsigned, as the CLI sends it), and the session identity', async () => {
    expect(await ok(['sts', 'get-caller-identity'])).toEqual({
      UserId: expect.stringMatching(/^AIDA/),
      Account: '000000000000',
      Arn: 'arn:aws:iam::000000000000:user/isoctl-sandbox-admin',
    });
    const { token, identityPoolId, identityId } = await cognitoOpenIdToken(sb);
    await ok(['iam', 'create-role', '--role-name', 'web-cli', '--assume-role-policy-document', cognitoTrust(identityPoolId)]);
    const assumed = await ok([
      'sts',
      'assume-role-with-web-identity',
      '--role-arn',
      'arn:aws:iam::000000000000:role/web-cli',
      '--role-session-name',
      'cli-session',
      '--web-identity-token',
      token,
      '--duration-seconds',
      '900',
    ]);
    expect(assumed).toMatchObject({
      SubjectFromWebIdentityToken: identityId,
      Audience: identityPoolId,
      Provider: 'cognito-identity.amazonaws.com',
      AssumedRoleUser: { Arn: 'arn:aws:sts::000000000000:assumed-role/web-cli/cli-session' },
    });
    expect(assumed.Credentials.Expiration).toMatch(/^\d{4}-\d\d-\d\dT/);
    const me = await aws(['sts', 'get-caller-identity'], {
      accessKeyId: assumed.Credentials.AccessKeyId,
      secretAccessKey: assumed.Credentials.SecretAccessKey,
      sessionToken: assumed.Credentials.SessionToken,
    });
    expect(me.code, me.stderr).toBe(0);
    expect(me.json.Arn).toBe('arn:aws:sts::000000000000:assumed-role/web-cli/cli-session');
    const denied = await aws([
      'sts',
      'assume-role-with-web-identity',
      '--role-arn',
      'arn:aws:iam::000000000000:role/none',
      '--role-session-name',
      'denied',
      '--web-identity-token',
      token,
    ]);
    expect(denied.stderr).toContain(
      '(AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to perform sts:AssumeRoleWithWebIdentity',
    );
  });
});
