// S3 under isoctl's own documents (tenant data policy + stack boundary) for role sessions, seen
// through the AWS CLI: the tenant's prefix is readable and writable, another tenant's prefix and
// the bucket root are AccessDenied (AWS's XML error, parsed by botocore), and DeleteObjects is
// authorised per key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreatePolicyCommand, CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { stackConfigSchema } from '../../../src/config/schema.js';
import { buildBoundaryPolicy, buildDataPolicy, tenantTags } from '../../../src/policy/index.js';
import type { RunningSandbox } from '../../../src/sandbox/server.js';
import { TRUST, sandbox } from '../core/helpers.js';
import type { EnforcementDecision } from '../../../src/sandbox/dynamodb/authorize.js';
import type { ControlDecision } from '../../../src/sandbox/control-plane/authorize.js';
import { disagreements } from '../control-plane/simulate.js';
import { AwsCli, file, type AwsResult, type Creds } from './awscli.js';

const config = stackConfigSchema.parse({
  stack: 'files',
  region: 'us-east-1',
  accountId: '000000000000',
  userPoolId: 'us-east-1_AbC123',
  userPoolClientId: 'client123',
  identityPoolId: 'us-east-1:1234abcd-0000-0000-0000-000000000000',
  tables: [{ name: 'Orders', partitionKey: 'tenant' }],
  buckets: [{ name: 'tenant-files', prefix: 'tenants/{tenant}/' }],
});

let sb: RunningSandbox;
const cli = new AwsCli();
let acme: Creds;
let readOnly: Creds;
const decisions: EnforcementDecision[] = [];

async function sessionFor(tenant: string, scopes: string[] | undefined, boundaryArn: string, iam: IAMClient): Promise<Creds> {
  const name = `files-${tenant}${scopes ? `-${scopes.join('-')}` : ''}`;
  await iam.send(
    new CreateRoleCommand({
      RoleName: name,
      AssumeRolePolicyDocument: TRUST,
      PermissionsBoundary: boundaryArn,
      Tags: tenantTags(config, tenant),
    }),
  );
  await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'data', PolicyDocument: JSON.stringify(buildDataPolicy(config, tenant, scopes)) }));
  const role = sb.context.getRole(name, 'dynamodb')!;
  const c = sb.context.issueSession(role, `${tenant}-user`, {}, 900);
  return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
}

beforeAll(async () => {
  sb = await sandbox({ onS3Decision: (d) => decisions.push(d) });
  const iam = new IAMClient({ region: 'us-east-1', endpoint: sb.endpoint, credentials: sb.credentials, maxAttempts: 1 });
  const boundary = await iam.send(new CreatePolicyCommand({ PolicyName: 'files-boundary', PolicyDocument: JSON.stringify(buildBoundaryPolicy(config)) }));
  acme = await sessionFor('acme', undefined, boundary.Policy!.Arn!, iam);
  readOnly = await sessionFor('acme', ['read'], boundary.Policy!.Arn!, iam);
  iam.destroy();
  const admin = (...args: string[]) => cli.run(sb.endpoint, sb.credentials, ['s3api', ...args]);
  expect((await admin('create-bucket', '--bucket', 'tenant-files')).code).toBe(0);
  for (const key of ['tenants/beta/secret.txt', 'tenants/acme/seed.txt', 'top.txt'])
    expect((await admin('put-object', '--bucket', 'tenant-files', '--key', key, '--body', file('seed', `seed of ${key}`))).code).toBe(0);
}, 60_000);
afterAll(async () => {
  cli.close();
  await sb?.close();
});

const as = (creds: Creds, ...args: string[]): Promise<AwsResult> => cli.run(sb.endpoint, creds, ['s3api', ...args]);
const arn = 'arn:aws:sts::000000000000:assumed-role/files-acme/acme-user';

describe('S3 enforcement with isoctl policies (role session, AWS CLI)', () => {
  it("own prefix: put, get, head, list with the prefix, delete; the tenant's role boundary allows it", async () => {
    const put = await as(acme, 'put-object', '--bucket', 'tenant-files', '--key', 'tenants/acme/report.txt', '--body', file('r', 'q3'));
    expect(put.code, put.stderr).toBe(0);
    expect((await as(acme, 'head-object', '--bucket', 'tenant-files', '--key', 'tenants/acme/report.txt')).json).toMatchObject({ ContentLength: 2 });
    const listed = await as(acme, 'list-objects-v2', '--bucket', 'tenant-files', '--prefix', 'tenants/acme/', '--delimiter', '/');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json.Contents.map((c: { Key: string }) => c.Key)).toEqual(['tenants/acme/report.txt', 'tenants/acme/seed.txt']);
    expect((await as(acme, 'delete-object', '--bucket', 'tenant-files', '--key', 'tenants/acme/report.txt')).code).toBe(0);
  });

  it("another tenant's prefix: GetObject, PutObject and DeleteObject are AccessDenied with AWS's message; HEAD is a bare 403", async () => {
    const get = await as(acme, 'get-object', '--bucket', 'tenant-files', '--key', 'tenants/beta/secret.txt', file('out', ''));
    expect(get.code).not.toBe(0);
    expect(get.stderr).toContain(
      `An error occurred (AccessDenied) when calling the GetObject operation: User: ${arn} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::tenant-files/tenants/beta/secret.txt" because no identity-based policy allows the s3:GetObject action`,
    );
    const put = await as(acme, 'put-object', '--bucket', 'tenant-files', '--key', 'tenants/beta/planted.txt', '--body', file('p', 'x'));
    expect(put.stderr).toContain('(AccessDenied) when calling the PutObject operation');
    const del = await as(acme, 'delete-object', '--bucket', 'tenant-files', '--key', 'tenants/beta/secret.txt');
    expect(del.stderr).toContain('(AccessDenied) when calling the DeleteObject operation');
    const head = await as(acme, 'head-object', '--bucket', 'tenant-files', '--key', 'tenants/beta/secret.txt');
    expect(head.stderr).toContain('An error occurred (403) when calling the HeadObject operation: Forbidden');
    // A key that only starts like the prefix is not inside it.
    const lookalike = await as(acme, 'put-object', '--bucket', 'tenant-files', '--key', 'tenants/acme-evil/x', '--body', file('p', 'x'));
    expect(lookalike.stderr).toContain('(AccessDenied)');
  });

  it('listing: the root, no prefix, and another prefix are denied (s3:prefix); the own prefix with max-keys is allowed', async () => {
    for (const args of [['--prefix', ''], [], ['--prefix', 'tenants/beta/'], ['--prefix', 'tenants/']]) {
      const r = await as(acme, 'list-objects-v2', '--bucket', 'tenant-files', ...args);
      expect(r.stderr, args.join(' ')).toContain(
        `(AccessDenied) when calling the ListObjectsV2 operation: User: ${arn} is not authorized to perform: s3:ListBucket on resource: "arn:aws:s3:::tenant-files"`,
      );
    }
    const page = await as(acme, 'list-objects-v2', '--bucket', 'tenant-files', '--prefix', 'tenants/acme/', '--max-keys', '1', '--no-paginate');
    expect(page.code, page.stderr).toBe(0);
    expect(page.json).toMatchObject({ KeyCount: 1, MaxKeys: 1 });
  });

  it('DeleteObjects is authorised per key as s3:DeleteObject: own keys deleted, the other tenant’s key reported AccessDenied and kept', async () => {
    await as(acme, 'put-object', '--bucket', 'tenant-files', '--key', 'tenants/acme/tmp.txt', '--body', file('t', 't'));
    const r = await as(acme, 'delete-objects', '--bucket', 'tenant-files', '--delete', 'Objects=[{Key=tenants/acme/tmp.txt},{Key=tenants/beta/secret.txt}]');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.Deleted).toEqual([{ Key: 'tenants/acme/tmp.txt' }]);
    expect(r.json.Errors).toEqual([{ Key: 'tenants/beta/secret.txt', Code: 'AccessDenied', Message: 'Access Denied' }]);
    expect((await cli.run(sb.endpoint, sb.credentials, ['s3api', 'head-object', '--bucket', 'tenant-files', '--key', 'tenants/beta/secret.txt'])).code).toBe(0);
  });

  it('a read-only scope: get and list the own prefix, but no put or delete', async () => {
    expect((await as(readOnly, 'get-object', '--bucket', 'tenant-files', '--key', 'tenants/acme/seed.txt', file('o', ''))).code).toBe(0);
    const put = await as(readOnly, 'put-object', '--bucket', 'tenant-files', '--key', 'tenants/acme/new.txt', '--body', file('n', 'n'));
    expect(put.stderr).toContain('(AccessDenied) when calling the PutObject operation');
    // A missing key is 404 only with s3:ListBucket on the bucket (GetObject, "Permissions"); the
    // tenant's ListBucket needs an s3:prefix, which GetObject does not carry: 403.
    const missing = await as(readOnly, 'get-object', '--bucket', 'tenant-files', '--key', 'tenants/acme/none.txt', file('o', ''));
    expect(missing.stderr).toContain('(AccessDenied) when calling the GetObject operation');
    const asAdmin = await cli.run(sb.endpoint, sb.credentials, [
      's3api',
      'get-object',
      '--bucket',
      'tenant-files',
      '--key',
      'tenants/acme/none.txt',
      file('o', ''),
    ]);
    expect(asAdmin.stderr).toContain('(NoSuchKey)');
  });

  it('unsigned and wrongly signed requests are refused in S3 words', async () => {
    const res = await fetch(`${sb.endpoint}/tenant-files/top.txt`, { headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/<Error><Code>AccessDenied<\/Code><Message>Access Denied<\/Message>.*<RequestId>/);
    const bad = await as({ ...acme, secretAccessKey: 'wrong' }, 'get-object', '--bucket', 'tenant-files', '--key', 'tenants/acme/seed.txt', file('o', ''));
    expect(bad.stderr).toContain('(SignatureDoesNotMatch)');
  });

  it('every enforcement decision above is the one iam-simulate (an independent evaluator) makes', async () => {
    expect(decisions.length).toBeGreaterThan(20);
    expect(new Set(decisions.map((d) => d.decision))).toEqual(new Set(['Allow', 'ImplicitDeny']));
    const logged = decisions.map((d) => ({ t: '', service: 's3', operation: d.request.action, ...d }) as ControlDecision);
    expect(await disagreements(logged, '000000000000')).toEqual([]);
  }, 60_000);
});
