// IAM over the wire with unmodified SDK v3 clients: every operation, its AWS behaviours and errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  GetAccountSummaryCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { RunningSandbox } from '../../../src/sandbox/server.js';
import { BOUNDARY, TRUST, dataPolicy, failure, iamClient, sandbox } from './helpers.js';

let sb: RunningSandbox;
let iam: IAMClient;

beforeAll(async () => {
  sb = await sandbox({ rolesQuota: 20 });
  iam = iamClient(sb);
});
afterAll(async () => {
  iam?.destroy();
  await sb?.close();
});

const decode = (s: string | undefined) => JSON.parse(decodeURIComponent(s ?? ''));

describe('roles', () => {
  it('CreateRole returns the role with path, ARN, id, boundary and tags; GetRole is case-insensitive', async () => {
    const boundary = await iam.send(new CreatePolicyCommand({ PolicyName: 'b1', Path: '/isoctl/s1/', PolicyDocument: BOUNDARY }));
    const out = await iam.send(
      new CreateRoleCommand({
        RoleName: 'isoctl-s1-acme',
        Path: '/isoctl/s1/',
        AssumeRolePolicyDocument: TRUST,
        Description: 'tenant acme',
        MaxSessionDuration: 7200,
        PermissionsBoundary: boundary.Policy!.Arn,
        Tags: [
          { Key: 'isoctl:stack', Value: 's1' },
          { Key: 'isoctl:tenant', Value: 'acme' },
        ],
      }),
    );
    const role = out.Role!;
    expect(role.Arn).toBe('arn:aws:iam::000000000000:role/isoctl/s1/isoctl-s1-acme');
    expect(role.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(role.Path).toBe('/isoctl/s1/');
    expect(role.CreateDate).toBeInstanceOf(Date);
    expect(decode(role.AssumeRolePolicyDocument)).toEqual(JSON.parse(TRUST));
    expect(role.PermissionsBoundary).toEqual({ PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: boundary.Policy!.Arn });
    expect(role.Tags).toEqual([
      { Key: 'isoctl:stack', Value: 's1' },
      { Key: 'isoctl:tenant', Value: 'acme' },
    ]);
    const got = (await iam.send(new GetRoleCommand({ RoleName: 'ISOCTL-S1-ACME' }))).Role!;
    expect(got.RoleName).toBe('isoctl-s1-acme');
    expect(got.MaxSessionDuration).toBe(7200);
    expect(got.Description).toBe('tenant acme');
    expect(got.RoleId).toBe(role.RoleId);
  });

  it('refuses a duplicate name (any case) with EntityAlreadyExists 409', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'dup', AssumeRolePolicyDocument: TRUST }));
    const e = await failure(iam.send(new CreateRoleCommand({ RoleName: 'DUP', AssumeRolePolicyDocument: TRUST })));
    expect(e).toMatchObject({ name: 'EntityAlreadyExistsException', status: 409, message: 'Role with name DUP already exists.' });
  });

  it('validates names, paths, durations, documents and tags as IAM does', async () => {
    const bad = (input: Partial<ConstructorParameters<typeof CreateRoleCommand>[0]>) =>
      failure(iam.send(new CreateRoleCommand({ RoleName: 'v', AssumeRolePolicyDocument: TRUST, ...input })));
    expect(await bad({ RoleName: 'has space' })).toMatchObject({
      name: 'ValidationError',
      status: 400,
      message: expect.stringContaining("at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern"),
    });
    expect(await bad({ RoleName: 'x'.repeat(65) })).toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('length less than or equal to 64'),
    });
    expect(await bad({ Path: 'no-slashes' })).toMatchObject({ name: 'ValidationError', message: expect.stringContaining("at 'path'") });
    expect(await bad({ MaxSessionDuration: 100 })).toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('greater than or equal to 3600'),
    });
    expect(await bad({ AssumeRolePolicyDocument: '{not json' })).toMatchObject({
      name: 'MalformedPolicyDocumentException',
      status: 400,
      message: 'This policy contains invalid Json',
    });
    const withResource = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'x.amazonaws.com' }, Action: 'sts:AssumeRole', Resource: '*' }],
    });
    expect(await bad({ AssumeRolePolicyDocument: withResource })).toMatchObject({
      name: 'MalformedPolicyDocumentException',
      message: 'Has prohibited field Resource',
    });
    const bigTrust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: 'cognito-identity.amazonaws.com' },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { 'cognito-identity.amazonaws.com:aud': 'x'.repeat(2100) } },
        },
      ],
    });
    expect(await bad({ AssumeRolePolicyDocument: bigTrust })).toMatchObject({
      name: 'LimitExceededException',
      status: 409,
      message: 'Cannot exceed quota for ACLSizePerRole: 2048',
    });
    const tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect(await bad({ Tags: tags })).toMatchObject({ name: 'LimitExceededException', message: 'Cannot exceed quota for TagsPerRole: 50' });
    expect(await bad({ Tags: [{ Key: 'aws:x', Value: 'v' }] })).toMatchObject({ name: 'InvalidInputException' });
    expect(
      await bad({
        Tags: [
          { Key: 'a', Value: '1' },
          { Key: 'A', Value: '2' },
        ],
      }),
    ).toMatchObject({
      name: 'InvalidInputException',
      message: expect.stringContaining('Duplicate tag keys'),
    });
    expect(await bad({ PermissionsBoundary: 'arn:aws:iam::000000000000:policy/none' })).toMatchObject({
      name: 'NoSuchEntityException',
      message: 'Scope ARN: arn:aws:iam::000000000000:policy/none does not exist or is not attachable.',
    });
    expect((await failure(iam.send(new GetRoleCommand({ RoleName: 'v' })))).name).toBe('NoSuchEntityException');
  });

  it('GetRole of a missing role is NoSuchEntity 404 with AWS wording', async () => {
    expect(await failure(iam.send(new GetRoleCommand({ RoleName: 'nope' })))).toEqual({
      name: 'NoSuchEntityException',
      status: 404,
      message: 'The role with name nope cannot be found.',
    });
  });

  it('ListRoles filters by PathPrefix and pages with Marker/MaxItems/IsTruncated', async () => {
    for (const n of ['p-c', 'p-a', 'p-b']) await iam.send(new CreateRoleCommand({ RoleName: n, Path: '/paged/', AssumeRolePolicyDocument: TRUST }));
    const first = await iam.send(new ListRolesCommand({ PathPrefix: '/paged/', MaxItems: 2 }));
    expect(first.Roles!.map((r) => r.RoleName)).toEqual(['p-a', 'p-b']);
    expect(first.IsTruncated).toBe(true);
    expect(first.Marker).toBeTruthy();
    expect(first.Roles![0]!.Tags).toBeUndefined();
    const second = await iam.send(new ListRolesCommand({ PathPrefix: '/paged/', MaxItems: 2, Marker: first.Marker }));
    expect(second.Roles!.map((r) => r.RoleName)).toEqual(['p-c']);
    expect(second.IsTruncated).toBe(false);
    expect(second.Marker).toBeUndefined();
    const all = await iam.send(new ListRolesCommand({}));
    expect(all.Roles!.map((r) => r.RoleName)).toEqual(expect.arrayContaining(['p-a', 'dup', 'isoctl-s1-acme']));
  });

  it('UpdateAssumeRolePolicy replaces the trust policy and validates it', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'trusty', AssumeRolePolicyDocument: TRUST }));
    const next = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' }, Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'] }],
    });
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'trusty', PolicyDocument: next }));
    expect(decode((await iam.send(new GetRoleCommand({ RoleName: 'trusty' }))).Role!.AssumeRolePolicyDocument)).toEqual(JSON.parse(next));
    const s3Trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject' }] });
    expect(await failure(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'trusty', PolicyDocument: s3Trust })))).toMatchObject({
      name: 'MalformedPolicyDocumentException',
      message: 'AssumeRole policy may only specify STS AssumeRole actions.',
    });
    expect((await failure(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'gone', PolicyDocument: next })))).name).toBe('NoSuchEntityException');
  });

  it('the roles quota refuses with LimitExceeded, and GetAccountSummary reports usage and quota', async () => {
    const summary = (await iam.send(new GetAccountSummaryCommand({}))).SummaryMap!;
    expect(summary.RolesQuota).toBe(20);
    const used = summary.Roles!;
    for (let i = used; i < 20; i++) await iam.send(new CreateRoleCommand({ RoleName: `fill-${i}`, AssumeRolePolicyDocument: TRUST }));
    expect(await failure(iam.send(new CreateRoleCommand({ RoleName: 'one-too-many', AssumeRolePolicyDocument: TRUST })))).toEqual({
      name: 'LimitExceededException',
      status: 409,
      message: 'Cannot exceed quota for RolesPerAccount: 20',
    });
    expect((await iam.send(new GetAccountSummaryCommand({}))).SummaryMap!.Roles).toBe(20);
    for (let i = used; i < 20; i++) await iam.send(new DeleteRoleCommand({ RoleName: `fill-${i}` }));
    expect((await iam.send(new GetAccountSummaryCommand({}))).SummaryMap!.Roles).toBe(used);
  });
});

describe('inline policies', () => {
  it('Put/Get/List/DeleteRolePolicy round-trip, URL-encoded as AWS returns it', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'inl', AssumeRolePolicyDocument: TRUST }));
    const doc = dataPolicy('acme');
    await iam.send(new PutRolePolicyCommand({ RoleName: 'inl', PolicyName: 'data', PolicyDocument: doc }));
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: 'inl', PolicyName: 'data' }));
    expect(got.PolicyDocument).toBe(encodeURIComponent(doc));
    expect(got.RoleName).toBe('inl');
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'inl' }))).PolicyNames).toEqual(['data']);
    // DeleteRole refuses while an inline policy remains.
    expect(await failure(iam.send(new DeleteRoleCommand({ RoleName: 'inl' })))).toEqual({
      name: 'DeleteConflictException',
      status: 409,
      message: 'Cannot delete entity, must delete policies first.',
    });
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'inl', PolicyName: 'data' }));
    expect(await failure(iam.send(new GetRolePolicyCommand({ RoleName: 'inl', PolicyName: 'data' })))).toEqual({
      name: 'NoSuchEntityException',
      status: 404,
      message: 'The role policy with name data cannot be found.',
    });
    expect((await failure(iam.send(new DeleteRolePolicyCommand({ RoleName: 'inl', PolicyName: 'data' })))).name).toBe('NoSuchEntityException');
    await iam.send(new DeleteRoleCommand({ RoleName: 'inl' }));
    expect((await failure(iam.send(new DeleteRoleCommand({ RoleName: 'inl' })))).name).toBe('NoSuchEntityException');
  });

  it('rejects malformed identity policies and enforces the 10,240-character aggregate (whitespace not counted)', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'sizes', AssumeRolePolicyDocument: TRUST }));
    const put = (name: string, doc: string) => iam.send(new PutRolePolicyCommand({ RoleName: 'sizes', PolicyName: name, PolicyDocument: doc }));
    const noResource = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem' }] });
    expect(await failure(put('p', noResource))).toMatchObject({
      name: 'MalformedPolicyDocumentException',
      message: 'Policy statement must contain resources.',
    });
    const withPrincipal = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'dynamodb:GetItem', Resource: '*' }],
    });
    expect(await failure(put('p', withPrincipal))).toMatchObject({ message: 'Policy document should not specify a principal.' });
    const badOp = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*', Condition: { StringEqualz: { 'aws:x': 'y' } } }],
    });
    expect(await failure(put('p', badOp))).toMatchObject({ message: 'Invalid Condition type : StringEqualz' });
    const noVendor = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'GetItem', Resource: '*' }] });
    expect(await failure(put('p', noVendor))).toMatchObject({ message: expect.stringContaining('prefaced by a vendor') });
    // ~6,000 characters each: the first fits, the second pushes the role over 10,240.
    const filler = (n: number) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: `arn:aws:dynamodb:us-east-1:000000000000:table/${'t'.repeat(n)}` }],
      });
    const spaced = filler(6000).replace(/,/g, ',          ');
    await put('one', spaced);
    expect(await failure(put('two', filler(6000)))).toEqual({
      name: 'LimitExceededException',
      status: 409,
      message: 'Maximum policy size of 10240 bytes exceeded for role sizes',
    });
    // Replacing the same policy name does not count the old version.
    await put('one', filler(6100));
  });
});

describe('boundaries and tags', () => {
  it('Put/DeleteRolePermissionsBoundary', async () => {
    const p = await iam.send(new CreatePolicyCommand({ PolicyName: 'bnd', PolicyDocument: BOUNDARY }));
    await iam.send(new CreateRoleCommand({ RoleName: 'bounded', AssumeRolePolicyDocument: TRUST }));
    await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: 'bounded', PermissionsBoundary: p.Policy!.Arn }));
    expect((await iam.send(new GetRoleCommand({ RoleName: 'bounded' }))).Role!.PermissionsBoundary?.PermissionsBoundaryArn).toBe(p.Policy!.Arn);
    expect((await iam.send(new GetPolicyCommand({ PolicyArn: p.Policy!.Arn }))).Policy!.PermissionsBoundaryUsageCount).toBe(1);
    // DeletePolicy refuses while the policy is a boundary.
    expect(await failure(iam.send(new DeletePolicyCommand({ PolicyArn: p.Policy!.Arn })))).toEqual({
      name: 'DeleteConflictException',
      status: 409,
      message: 'Cannot delete a policy attached to entities.',
    });
    expect(
      (await failure(iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: 'bounded', PermissionsBoundary: 'not-an-arn-but-long-enough' })))).name,
    ).toBe('InvalidInputException');
    await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: 'bounded' }));
    expect((await iam.send(new GetRoleCommand({ RoleName: 'bounded' }))).Role!.PermissionsBoundary).toBeUndefined();
    await iam.send(new DeletePolicyCommand({ PolicyArn: p.Policy!.Arn }));
    expect((await failure(iam.send(new GetPolicyCommand({ PolicyArn: p.Policy!.Arn })))).name).toBe('NoSuchEntityException');
  });

  it('Tag/Untag/ListRoleTags: overwrite by key regardless of case, 50 at most', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'tagged', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'Team', Value: 'a' }] }));
    await iam.send(
      new TagRoleCommand({
        RoleName: 'tagged',
        Tags: [
          { Key: 'team', Value: 'b' },
          { Key: 'env', Value: 'dev' },
        ],
      }),
    );
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: 'tagged' }))).Tags).toEqual([
      { Key: 'team', Value: 'b' },
      { Key: 'env', Value: 'dev' },
    ]);
    await iam.send(new UntagRoleCommand({ RoleName: 'tagged', TagKeys: ['TEAM'] }));
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: 'tagged' }))).Tags).toEqual([{ Key: 'env', Value: 'dev' }]);
    const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect(await failure(iam.send(new TagRoleCommand({ RoleName: 'tagged', Tags: many })))).toMatchObject({ name: 'LimitExceededException', status: 409 });
    const paged = await iam.send(new ListRoleTagsCommand({ RoleName: 'tagged', MaxItems: 1 }));
    expect(paged.IsTruncated).toBe(false);
    expect((await failure(iam.send(new TagRoleCommand({ RoleName: 'ghost', Tags: [{ Key: 'a', Value: 'b' }] })))).name).toBe('NoSuchEntityException');
  });
});

describe('managed policies', () => {
  it('CreatePolicy/GetPolicy/ListPolicies (Scope, PathPrefix) and EntityAlreadyExists', async () => {
    const created = (await iam.send(new CreatePolicyCommand({ PolicyName: 'mp', Path: '/isoctl/s2/', PolicyDocument: BOUNDARY, Description: 'd' }))).Policy!;
    expect(created).toMatchObject({
      PolicyName: 'mp',
      Arn: 'arn:aws:iam::000000000000:policy/isoctl/s2/mp',
      DefaultVersionId: 'v1',
      AttachmentCount: 0,
      PermissionsBoundaryUsageCount: 0,
      IsAttachable: true,
    });
    expect(created.PolicyId).toMatch(/^ANPA/);
    expect((await iam.send(new GetPolicyCommand({ PolicyArn: created.Arn }))).Policy!.Description).toBe('d');
    expect(await failure(iam.send(new CreatePolicyCommand({ PolicyName: 'MP', PolicyDocument: BOUNDARY })))).toMatchObject({
      name: 'EntityAlreadyExistsException',
      status: 409,
    });
    const local = await iam.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: '/isoctl/s2/' }));
    expect(local.Policies!.map((p) => p.PolicyName)).toEqual(['mp']);
    expect((await iam.send(new ListPoliciesCommand({ Scope: 'AWS' }))).Policies).toEqual([]);
    const big = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: `arn:aws:dynamodb:::${'x'.repeat(6200)}` }],
    });
    expect(await failure(iam.send(new CreatePolicyCommand({ PolicyName: 'big', PolicyDocument: big })))).toEqual({
      name: 'LimitExceededException',
      status: 409,
      message: 'Cannot exceed quota for PolicySize: 6144',
    });
    expect((await failure(iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::000000000000:policy/none' })))).message).toBe(
      'Policy arn:aws:iam::000000000000:policy/none was not found.',
    );
  });

  it('versions: a new default version, 5 at most, the default cannot be deleted, delete needs versions gone', async () => {
    const arn = (await iam.send(new CreatePolicyCommand({ PolicyName: 'ver', PolicyDocument: BOUNDARY }))).Policy!.Arn!;
    const v2doc = BOUNDARY.replace('GetItem', 'PutItem');
    const v2 = (await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: v2doc, SetAsDefault: true }))).PolicyVersion!;
    expect(v2).toMatchObject({ VersionId: 'v2', IsDefaultVersion: true });
    expect((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!.DefaultVersionId).toBe('v2');
    const got = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }))).PolicyVersion!;
    expect(decode(got.Document)).toEqual(JSON.parse(v2doc));
    expect((await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }))).PolicyVersion!.IsDefaultVersion).toBe(false);
    for (let i = 0; i < 3; i++) await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: BOUNDARY }));
    expect(await failure(iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: BOUNDARY })))).toMatchObject({
      name: 'LimitExceededException',
      message: expect.stringContaining('up to 5 versions'),
    });
    const listed = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions!;
    expect(listed.map((v) => v.VersionId)).toEqual(['v5', 'v4', 'v3', 'v2', 'v1']);
    expect(await failure(iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' })))).toMatchObject({
      name: 'DeleteConflictException',
      message: 'Cannot delete the default version of a policy.',
    });
    expect(await failure(iam.send(new DeletePolicyCommand({ PolicyArn: arn })))).toMatchObject({ name: 'DeleteConflictException' });
    for (const v of ['v1', 'v3', 'v4', 'v5']) await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
    expect((await failure(iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' })))).name).toBe('NoSuchEntityException');
    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
    expect((await failure(iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn })))).name).toBe('NoSuchEntityException');
  });
});
