// The adapter conformance cases. The same cases run against every target (moto, the sandbox)
// for each operation both implement. Where a target differs from AWS, the case says so through
// `differences` (listed in the test file and the README), never by skipping silently.
import { describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { AwsCallError } from '../../src/aws/errors.js';
import { waitForTableActive } from '../../src/tenant/table-active.js';
import type { AwsTarget } from '../helpers/aws-target.js';

const realClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

/** Known ways a target differs from AWS, keyed by a short id. */
export type Difference =
  /** ListRoles returns PermissionsBoundary/Tags (AWS does not). */
  | 'listRolesReturnsTagsOrBoundary'
  /** No Set/GetIdentityPoolRoles. */
  | 'noIdentityPoolRoles'
  /** No Set/GetPrincipalTagAttributeMap. */
  | 'noPrincipalTagMap'
  /** CreateRole accepts a trust policy that is not JSON (AWS: MalformedPolicyDocument). */
  | 'acceptsMalformedTrustPolicy'
  /** DescribeUserPool's SchemaAttributes lists only custom attributes (AWS lists sub, email, ... too). */
  | 'userPoolSchemaOmitsStandardAttributes';

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: 'cognito-identity.amazonaws.com' },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { 'cognito-identity.amazonaws.com:aud': 'eu-central-1:00000000-0000-0000-0000-000000000000' } },
    },
  ],
});
const boundaryDoc = (n: number) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: [`arn:aws:dynamodb:eu-central-1:123456789012:table/T${n}`] }],
  });
const DATA = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Read',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:Query'],
      Resource: 'arn:aws:dynamodb:eu-central-1:123456789012:table/Orders',
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['acme'] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
    },
  ],
};

async function expectAwsError(p: Promise<unknown>, kind: AwsCallError['kind']): Promise<AwsCallError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected the call to fail').toBeInstanceOf(AwsCallError);
  expect((err as AwsCallError).kind).toBe(kind);
  return err as AwsCallError;
}

/** What the cases need of a target: its ids, and the adapters (built from SDK clients, or given directly: the in-memory fake). */
export type ConformanceTarget = Pick<AwsTarget, 'region' | 'accountId' | 'userPoolId' | 'clientId' | 'identityPoolId'> &
  ({ clients: AwsTarget['clients'] } | { apis: AwsApis });

export function conformanceSuite(name: string, getTarget: () => ConformanceTarget, differences: ReadonlySet<Difference>): void {
  let apis: AwsApis;
  const t = () => getTarget();
  const api = () => {
    const target = t();
    return (apis ??= 'apis' in target ? target.apis : awsApis(target.clients));
  };
  const stack = `c${name.replace(/[^a-z0-9]/g, '').slice(0, 6)}`;
  const path = `/isoctl/${stack}/`;

  describe(`${name}: IAM`, () => {
    let boundaryArn = '';

    it('createPolicy / getPolicy / getPolicyVersion', async () => {
      const p = await api().iam.createPolicy({ name: `isoctl-${stack}-boundary`, path, document: boundaryDoc(0), tags: { 'isoctl:stack': stack } });
      boundaryArn = p.arn;
      expect(p.arn).toBe(`arn:aws:iam::${t().accountId}:policy${path}isoctl-${stack}-boundary`);
      expect(p.path).toBe(path);
      const got = await api().iam.getPolicy(p.arn);
      expect(got?.defaultVersionId).toBe('v1');
      expect(await api().iam.getPolicyVersion(p.arn, 'v1')).toEqual(JSON.parse(boundaryDoc(0)));
      expect(await api().iam.getPolicy(`arn:aws:iam::${t().accountId}:policy${path}missing`)).toBeUndefined();
      await expectAwsError(api().iam.createPolicy({ name: `isoctl-${stack}-boundary`, path, document: boundaryDoc(0), tags: {} }), 'already-exists');
    });

    it('createPolicyVersion sets the new default and prunes the oldest non-default at 5 versions', async () => {
      for (let n = 1; n <= 4; n++) {
        const r = await api().iam.createPolicyVersion(boundaryArn, boundaryDoc(n));
        expect(r.pruned).toBeUndefined();
        expect(r.versionId).toBe(`v${n + 1}`);
      }
      expect((await api().iam.listPolicyVersions(boundaryArn)).length).toBe(5);
      const r = await api().iam.createPolicyVersion(boundaryArn, boundaryDoc(5));
      expect(r.pruned).toBe('v1');
      expect(r.versionId).toBe('v6');
      const versions = await api().iam.listPolicyVersions(boundaryArn);
      expect(versions.map((v) => v.versionId).sort()).toEqual(['v2', 'v3', 'v4', 'v5', 'v6']);
      expect(versions.find((v) => v.isDefault)?.versionId).toBe('v6');
      expect((await api().iam.getPolicy(boundaryArn))?.defaultVersionId).toBe('v6');
      expect(await api().iam.getPolicyVersion(boundaryArn, 'v6')).toEqual(JSON.parse(boundaryDoc(5)));
    });

    it('createRole carries path, trust policy, boundary and tags in one call; getRole reads them back', async () => {
      const tags = { 'isoctl:stack': stack, 'isoctl:tenant': 'acme', 'isoctl:managed-by': 'isoctl' };
      const r = await api().iam.createRole({ name: `isoctl-${stack}-acme`, path, trustPolicy: TRUST, permissionsBoundaryArn: boundaryArn, tags });
      expect(r.arn).toBe(`arn:aws:iam::${t().accountId}:role${path}isoctl-${stack}-acme`);
      expect(r.path).toBe(path);
      const got = await api().iam.getRole(`isoctl-${stack}-acme`);
      expect(got?.trustPolicy).toEqual(JSON.parse(TRUST));
      expect(got?.permissionsBoundaryArn).toBe(boundaryArn);
      expect(got?.tags).toEqual(tags);
    });

    it('createRole of an existing name is already-exists; getRole of a missing one is undefined', async () => {
      await expectAwsError(
        api().iam.createRole({ name: `isoctl-${stack}-acme`, path, trustPolicy: TRUST, permissionsBoundaryArn: boundaryArn, tags: {} }),
        'already-exists',
      );
      expect(await api().iam.getRole(`isoctl-${stack}-nobody`)).toBeUndefined();
    });

    it('createRole with a malformed trust policy is invalid', async () => {
      const err = await api()
        .iam.createRole({
          name: `isoctl-${stack}-bad`,
          path,
          trustPolicy: '{"Version":"2012-10-17","Statement":',
          permissionsBoundaryArn: boundaryArn,
          tags: {},
        })
        .then(
          () => undefined,
          (e: unknown) => e as AwsCallError,
        );
      if (differences.has('acceptsMalformedTrustPolicy')) {
        expect(err).toBeUndefined();
        expect(await api().iam.deleteRole(`isoctl-${stack}-bad`)).toBe(true);
      } else {
        expect(err).toBeInstanceOf(AwsCallError);
        expect(err?.kind).toBe('invalid');
      }
    });

    it('listStackRoles pages through ListRoles and keeps only the exact stack path', async () => {
      for (const tenant of ['b1', 'b2', 'b3'])
        await api().iam.createRole({
          name: `isoctl-${stack}-${tenant}`,
          path,
          trustPolicy: TRUST,
          permissionsBoundaryArn: boundaryArn,
          tags: { 'isoctl:tenant': tenant },
        });
      await api().iam.createRole({
        name: `isoctl-${stack}x-other`,
        path: `/isoctl/${stack}x/`,
        trustPolicy: TRUST,
        permissionsBoundaryArn: boundaryArn,
        tags: {},
      });
      await api().iam.createRole({ name: `isoctl-${stack}-nested`, path: `${path}nested/`, trustPolicy: TRUST, permissionsBoundaryArn: boundaryArn, tags: {} });
      await api().iam.createRole({ name: `isoctl-${stack}-root`, path: '/', trustPolicy: TRUST, permissionsBoundaryArn: boundaryArn, tags: {} });
      const roles = await api().iam.listStackRoles(stack, { pageSize: 2 });
      expect(roles.map((r) => r.name).sort()).toEqual([`isoctl-${stack}-acme`, `isoctl-${stack}-b1`, `isoctl-${stack}-b2`, `isoctl-${stack}-b3`]);
      const acme = roles.find((r) => r.name === `isoctl-${stack}-acme`);
      expect(acme?.trustPolicy).toEqual(JSON.parse(TRUST));
      if (differences.has('listRolesReturnsTagsOrBoundary')) {
        expect(acme?.tags ?? acme?.permissionsBoundaryArn).toBeDefined();
      } else {
        // AWS's ListRoles does not return PermissionsBoundary or Tags.
        expect(acme?.tags).toBeUndefined();
        expect(acme?.permissionsBoundaryArn).toBeUndefined();
      }
    });

    it('put / get / list / delete role policy', async () => {
      const role = `isoctl-${stack}-acme`;
      expect(await api().iam.getRolePolicy(role, 'isoctl-data')).toBeUndefined();
      await api().iam.putRolePolicy(role, 'isoctl-data', JSON.stringify(DATA));
      expect(await api().iam.getRolePolicy(role, 'isoctl-data')).toEqual(DATA);
      await api().iam.putRolePolicy(role, 'extra', JSON.stringify(DATA));
      expect((await api().iam.listRolePolicies(role)).sort()).toEqual(['extra', 'isoctl-data']);
      expect(await api().iam.deleteRolePolicy(role, 'extra')).toBe(true);
      expect(await api().iam.deleteRolePolicy(role, 'extra')).toBe(false);
      expect(await api().iam.listRolePolicies(role)).toEqual(['isoctl-data']);
      expect(await api().iam.getRolePolicy(`isoctl-${stack}-nobody`, 'isoctl-data')).toBeUndefined();
    });

    it('putRolePolicy with a malformed document is invalid', async () => {
      await expectAwsError(api().iam.putRolePolicy(`isoctl-${stack}-acme`, 'bad', '{"Version":'), 'invalid');
    });

    it('tag / untag / listRoleTags', async () => {
      const role = `isoctl-${stack}-b1`;
      await api().iam.tagRole(role, { a: '1', b: '2' });
      expect(await api().iam.listRoleTags(role)).toEqual({ 'isoctl:tenant': 'b1', a: '1', b: '2' });
      await api().iam.untagRole(role, ['a', 'isoctl:tenant']);
      expect(await api().iam.listRoleTags(role)).toEqual({ b: '2' });
    });

    it('updateAssumeRolePolicy and putRolePermissionsBoundary', async () => {
      const role = `isoctl-${stack}-b2`;
      const trust2 = JSON.parse(TRUST);
      trust2.Statement[0].Action = ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'];
      await api().iam.updateAssumeRolePolicy(role, JSON.stringify(trust2));
      const p2 = await api().iam.createPolicy({ name: `isoctl-${stack}-boundary2`, path, document: boundaryDoc(9), tags: {} });
      await api().iam.putRolePermissionsBoundary(role, p2.arn);
      const got = await api().iam.getRole(role);
      expect(got?.trustPolicy).toEqual(trust2);
      expect(got?.permissionsBoundaryArn).toBe(p2.arn);
    });

    it('deleteRole refuses while inline policies remain (conflict), then succeeds; a second delete is false', async () => {
      const role = `isoctl-${stack}-acme`;
      await expectAwsError(api().iam.deleteRole(role), 'conflict');
      expect(await api().iam.deleteRolePolicy(role, 'isoctl-data')).toBe(true);
      expect(await api().iam.deleteRole(role)).toBe(true);
      expect(await api().iam.deleteRole(role)).toBe(false);
      expect(await api().iam.getRole(role)).toBeUndefined();
    });
  });

  describe(`${name}: STS`, () => {
    it('getCallerIdentity names the account', async () => {
      const id = await api().sts.getCallerIdentity();
      expect(id.account).toBe(t().accountId);
      expect(id.arn).toMatch(/^arn:aws:(iam|sts)::\d{12}:/);
    });
  });

  describe(`${name}: Cognito user pools`, () => {
    const pool = () => t().userPoolId;
    const roleArn = (tenant: string) => `arn:aws:iam::${t().accountId}:role${path}isoctl-${stack}-${tenant}`;

    it('describeUserPool lists the custom attribute; describeUserPoolClient the auth flows', async () => {
      const p = await api().cognitoIdp.describeUserPool(pool());
      expect(p?.attributeNames).toContain('custom:tenant');
      if (!differences.has('userPoolSchemaOmitsStandardAttributes')) expect(p?.attributeNames).toContain('sub');
      const c = await api().cognitoIdp.describeUserPoolClient(pool(), t().clientId);
      expect(c?.explicitAuthFlows).toContain('ALLOW_ADMIN_USER_PASSWORD_AUTH');
      expect(c?.hasSecret).toBe(false);
      expect(await api().cognitoIdp.describeUserPool(`${t().region}_missing0`)).toBeUndefined();
    });

    it('listUserPoolClients describes every app client of the pool, the configured one included', async () => {
      const all = await api().cognitoIdp.listUserPoolClients(pool());
      expect(all.map((c) => c.clientId)).toContain(t().clientId);
      expect(all.find((c) => c.clientId === t().clientId)?.explicitAuthFlows).toContain('ALLOW_ADMIN_USER_PASSWORD_AUTH');
      expect(await api().cognitoIdp.describeUserPool(pool())).toMatchObject({ preTokenGeneration: false });
    });

    it('createGroup / getGroup / updateGroup / deleteGroup', async () => {
      const g = await api().cognitoIdp.createGroup(pool(), { name: 'acme', roleArn: roleArn('acme'), description: 'isoctl test' });
      expect(g).toMatchObject({ name: 'acme', roleArn: roleArn('acme'), description: 'isoctl test' });
      await expectAwsError(api().cognitoIdp.createGroup(pool(), { name: 'acme', roleArn: roleArn('acme'), description: 'x' }), 'already-exists');
      await api().cognitoIdp.updateGroup(pool(), { name: 'acme', roleArn: roleArn('other'), description: 'isoctl test 2' });
      expect(await api().cognitoIdp.getGroup(pool(), 'acme')).toMatchObject({ roleArn: roleArn('other'), description: 'isoctl test 2' });
      expect(await api().cognitoIdp.getGroup(pool(), 'nobody')).toBeUndefined();
      expect(await api().cognitoIdp.deleteGroup(pool(), 'acme')).toBe(true);
      expect(await api().cognitoIdp.deleteGroup(pool(), 'acme')).toBe(false);
    });

    it('listGroups pages through all groups', async () => {
      for (let i = 0; i < 7; i++) await api().cognitoIdp.createGroup(pool(), { name: `g${i}`, roleArn: roleArn(`g${i}`), description: 'x' });
      const groups = await api().cognitoIdp.listGroups(pool(), { pageSize: 3 });
      expect(groups.map((g) => g.name).sort()).toEqual(['g0', 'g1', 'g2', 'g3', 'g4', 'g5', 'g6']);
      expect(groups.find((g) => g.name === 'g3')?.roleArn).toBe(roleArn('g3'));
    });

    it('probe user: create, attributes, password, group membership, sign-in, delete', async () => {
      const u = await api().cognitoIdp.adminCreateUser(pool(), 'isoctl-probe-g1', { 'custom:tenant': 'g1' });
      expect(u.username).toBe('isoctl-probe-g1');
      const got = await api().cognitoIdp.adminGetUser(pool(), 'isoctl-probe-g1');
      expect(got?.attributes['custom:tenant']).toBe('g1');
      expect(got?.sub).toMatch(/^[0-9a-f-]{36}$/);
      await api().cognitoIdp.adminUpdateUserAttributes(pool(), 'isoctl-probe-g1', { 'custom:tenant': 'g2' });
      expect((await api().cognitoIdp.adminGetUser(pool(), 'isoctl-probe-g1'))?.attributes['custom:tenant']).toBe('g2');
      await api().cognitoIdp.adminAddUserToGroup(pool(), 'isoctl-probe-g1', 'g1');
      expect(await api().cognitoIdp.adminListGroupsForUser(pool(), 'isoctl-probe-g1')).toEqual(['g1']);
      await api().cognitoIdp.adminSetUserPassword(pool(), 'isoctl-probe-g1', 'Pr0be!pass-word-1');
      expect((await api().cognitoIdp.adminGetUser(pool(), 'isoctl-probe-g1'))?.status).toBe('CONFIRMED');
      const { idToken } = await api().cognitoIdp.adminSignIn(pool(), t().clientId, 'isoctl-probe-g1', 'Pr0be!pass-word-1');
      const claims = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
      expect(claims.sub).toBe(got?.sub);
      expect(claims['cognito:groups']).toEqual(['g1']);
      expect(claims['custom:tenant']).toBe('g2');
      await expectAwsError(api().cognitoIdp.adminSignIn(pool(), t().clientId, 'isoctl-probe-g1', 'wrong-Passw0rd!'), 'access-denied');
      expect(await api().cognitoIdp.adminDeleteUser(pool(), 'isoctl-probe-g1')).toBe(true);
      expect(await api().cognitoIdp.adminDeleteUser(pool(), 'isoctl-probe-g1')).toBe(false);
      expect(await api().cognitoIdp.adminGetUser(pool(), 'isoctl-probe-g1')).toBeUndefined();
    });
  });

  describe(`${name}: Cognito identity pools`, () => {
    const provider = () => `cognito-idp.${t().region}.amazonaws.com/${t().userPoolId}`;
    const key = () => `${provider()}:${t().clientId}`;

    it('describeIdentityPool lists the user pool provider', async () => {
      const p = await api().cognitoIdentity.describeIdentityPool(t().identityPoolId);
      expect(p?.cognitoProviders).toContainEqual({ providerName: provider(), clientId: t().clientId });
    });

    if (differences.has('noIdentityPoolRoles')) {
      it('Set/GetIdentityPoolRoles are missing (known difference)', async () => {
        const err = await api()
          .cognitoIdentity.getIdentityPoolRoles(t().identityPoolId)
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(err).toBeInstanceOf(AwsCallError);
      });
    } else {
      it('setIdentityPoolRoles replaces the whole configuration; getIdentityPoolRoles reads it back', async () => {
        const before = await api().cognitoIdentity.getIdentityPoolRoles(t().identityPoolId);
        const arn = `arn:aws:iam::${t().accountId}:role${path}isoctl-${stack}-b3`;
        const next = {
          Roles: before.Roles,
          RoleMappings: {
            ...before.RoleMappings,
            [key()]: {
              Type: 'Rules' as const,
              AmbiguousRoleResolution: 'Deny' as const,
              RulesConfiguration: { Rules: [{ Claim: 'custom:tenant', MatchType: 'Equals' as const, Value: 'b3', RoleArn: arn }] },
            },
          },
        };
        await api().cognitoIdentity.setIdentityPoolRoles(t().identityPoolId, next);
        const after = await api().cognitoIdentity.getIdentityPoolRoles(t().identityPoolId);
        expect(after).toEqual(next);
        await api().cognitoIdentity.setIdentityPoolRoles(t().identityPoolId, before);
        expect(await api().cognitoIdentity.getIdentityPoolRoles(t().identityPoolId)).toEqual(before);
      });
    }

    if (differences.has('noPrincipalTagMap')) {
      it('Set/GetPrincipalTagAttributeMap are missing (known difference)', async () => {
        const err = await api()
          .cognitoIdentity.setPrincipalTagAttributeMap(t().identityPoolId, provider(), { useDefaults: false, principalTags: { userid: 'sub' } })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(err).toBeInstanceOf(AwsCallError);
      });
    } else {
      it('set / get principal-tag attribute map', async () => {
        await api().cognitoIdentity.setPrincipalTagAttributeMap(t().identityPoolId, provider(), { useDefaults: false, principalTags: { userid: 'sub' } });
        expect(await api().cognitoIdentity.getPrincipalTagAttributeMap(t().identityPoolId, provider())).toEqual({
          useDefaults: false,
          principalTags: { userid: 'sub' },
        });
      });
    }
  });

  describe(`${name}: DynamoDB`, () => {
    const lockTable = `isoctl-${stack}-lock`;

    it('createTable / describeTable / deleteTable', async () => {
      const created = await api().dynamodb.createTable({ name: lockTable, partitionKey: { name: 'lockId', type: 'S' }, tags: { 'isoctl:stack': stack } });
      expect(created.name).toBe(lockTable);
      expect(['CREATING', 'ACTIVE']).toContain(created.status);
      await waitForTableActive(realClock, api().dynamodb, lockTable);
      const d = await api().dynamodb.describeTable(lockTable);
      expect(d?.partitionKey).toEqual({ name: 'lockId', type: 'S' });
      expect(d?.arn).toBe(`arn:aws:dynamodb:${t().region}:${t().accountId}:table/${lockTable}`);
      await expectAwsError(api().dynamodb.createTable({ name: lockTable, partitionKey: { name: 'lockId', type: 'S' }, tags: {} }), 'already-exists');
      expect(await api().dynamodb.describeTable('isoctl-missing-table')).toBeUndefined();
      await api().dynamodb.createTable({ name: `${lockTable}-tmp`, partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'N' }, tags: {} });
      expect((await api().dynamodb.describeTable(`${lockTable}-tmp`))?.sortKey).toEqual({ name: 'sk', type: 'N' });
      // DeleteTable of a CREATING table is ResourceInUseException on AWS too.
      await waitForTableActive(realClock, api().dynamodb, `${lockTable}-tmp`);
      expect(await api().dynamodb.deleteTable(`${lockTable}-tmp`)).toBe(true);
    });

    it('lease: acquire, contend, re-acquire by the owner, expire, release only by the owner', async () => {
      const now = Date.now();
      const a = { lockId: 'pool', owner: 'A', expiresAt: now + 60_000, holder: 'test A' };
      expect(await api().dynamodb.tryAcquireLease(lockTable, a, now)).toBeUndefined();
      const held = await api().dynamodb.tryAcquireLease(lockTable, { ...a, owner: 'B', holder: 'test B' }, now);
      expect(held).toMatchObject({ owner: 'A', holder: 'test A', expiresAt: now + 60_000 });
      expect(await api().dynamodb.tryAcquireLease(lockTable, { ...a, expiresAt: now + 1000 }, now)).toBeUndefined();
      expect(await api().dynamodb.releaseLease(lockTable, 'pool', 'B')).toBe(false);
      // A's lease expired by the time B looks again.
      expect(await api().dynamodb.tryAcquireLease(lockTable, { ...a, owner: 'B', expiresAt: now + 70_000 }, now + 2000)).toBeUndefined();
      expect((await api().dynamodb.getLease(lockTable, 'pool'))?.owner).toBe('B');
      expect(await api().dynamodb.releaseLease(lockTable, 'pool', 'A')).toBe(false);
      expect(await api().dynamodb.releaseLease(lockTable, 'pool', 'B')).toBe(true);
      expect(await api().dynamodb.getLease(lockTable, 'pool')).toBeUndefined();
    });

    it('query / getItem / batchGetItem with the admin identity', async () => {
      const table = `isoctl-${stack}-items`;
      await api().dynamodb.createTable({ name: table, partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' }, tags: {} });
      await waitForTableActive(realClock, api().dynamodb, table);
      expect(await api().dynamodb.query({ table, keyName: 'pk', keyValue: { S: 'acme' }, attributes: ['pk', 'sk'] })).toBe(0);
      expect(await api().dynamodb.getItem(table, { pk: { S: 'acme' }, sk: { S: 'x' } }, ['pk'])).toBe(false);
      expect(
        await api().dynamodb.batchGetItem(table, [
          { pk: { S: 'acme' }, sk: { S: 'x' } },
          { pk: { S: 'other' }, sk: { S: 'x' } },
        ]),
      ).toBe(0);
      await expectAwsError(api().dynamodb.query({ table: 'isoctl-missing-table', keyName: 'pk', keyValue: { S: 'a' } }), 'not-found');
    });
  });
}
