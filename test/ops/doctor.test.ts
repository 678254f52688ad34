// doctor's checks against the in-memory AWS: a stack as `init` leaves it is healthy; each broken
// setting is flagged as a problem (or warning) with its fix.
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsCallError } from '../../src/aws/errors.js';
import { LOCK_KEY } from '../../src/aws/dynamodb.js';
import { cognitoProviderName } from '../../src/aws/cognito-identity.js';
import { stackConfigSchema, lockTableName, type StackConfig, type StackConfigInput } from '../../src/config/schema.js';
import { boundaryPolicyArn, buildBoundaryPolicy, buildTenantRole, serializePolicy } from '../../src/policy/index.js';
import { mappingKeyOf } from '../../src/tenant/observe.js';
import { identityPoolLockId } from '../../src/tenant/names.js';
import { runDoctorChecks } from '../../src/ops/doctor/run.js';
import type { DoctorResult, Finding } from '../../src/ops/doctor/types.js';
import { FakeAws } from '../tenant/fake-aws.js';
import { FakeOps } from './fake-ops.js';

const clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

function config(overrides: Partial<StackConfigInput> = {}): StackConfig {
  return stackConfigSchema.parse({
    stack: 'prod',
    region: 'eu-central-1',
    accountId: '123456789012',
    userPoolId: 'eu-central-1_AbC123',
    userPoolClientId: 'client123',
    identityPoolId: 'eu-central-1:11111111-2222-3333-4444-555555555555',
    tables: [{ name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk' }],
    ...overrides,
  });
}

/** The stack as `init` and `tenant create acme` leave it. */
function healthy(cfg: StackConfig): FakeAws {
  const fake = new FakeAws(cfg);
  const arn = boundaryPolicyArn(cfg);
  fake.policies.set(arn, {
    arn,
    name: `isoctl-${cfg.stack}-boundary`,
    path: `/isoctl/${cfg.stack}/`,
    tags: { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': cfg.stack },
    versions: [{ id: 'v1', doc: serializePolicy(buildBoundaryPolicy(cfg)), isDefault: true, created: Date.now() }],
    next: 2,
  });
  fake.tables.set(lockTableName(cfg), {
    name: lockTableName(cfg),
    arn: 'arn:lock',
    status: 'ACTIVE',
    partitionKey: { name: LOCK_KEY, type: 'S' },
    sortKey: undefined,
  });
  fake.tables.set('Orders', {
    name: 'Orders',
    arn: 'arn:orders',
    status: 'ACTIVE',
    partitionKey: { name: 'tenantId', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
  });
  const rules =
    cfg.mapping === 'rules' ? [{ Claim: 'custom:tenant', MatchType: 'Equals' as const, Value: 'acme', RoleArn: buildTenantRole(cfg, 'acme').arn }] : [];
  fake.poolRoles = {
    Roles: {},
    RoleMappings: {
      [mappingKeyOf(cfg)]:
        cfg.mapping === 'token'
          ? { Type: 'Token', AmbiguousRoleResolution: 'Deny' }
          : { Type: 'Rules', AmbiguousRoleResolution: 'Deny', RulesConfiguration: { Rules: rules } },
    },
  };
  if (cfg.granularity === 'user') fake.tagMaps.set(cognitoProviderName(cfg.region, cfg.userPoolId), { useDefaults: false, principalTags: { userid: 'sub' } });
  const spec = buildTenantRole(cfg, 'acme');
  fake.roles.set(spec.roleName, {
    name: spec.roleName,
    path: spec.path,
    arn: spec.arn,
    roleId: 'AROAACME',
    createDate: new Date().toISOString(),
    trust: serializePolicy(spec.assumeRolePolicy),
    boundary: spec.permissionsBoundary,
    tags: Object.fromEntries(spec.tags.map((t) => [t.Key, t.Value])),
    policies: new Map([['isoctl-data', serializePolicy(spec.inlinePolicies['isoctl-data']!)]]),
  });
  if (cfg.mapping === 'token')
    fake.groups.set('acme', { name: 'acme', roleArn: spec.arn, description: `managed by isoctl: stack=${cfg.stack} tenant=acme`, precedence: undefined });
  return fake;
}

let cfg: StackConfig;
let fake: FakeAws;
let ops: FakeOps;

async function doctor(c: StackConfig = cfg): Promise<DoctorResult> {
  return runDoctorChecks(fake.apis(), ops, c, clock, c.region);
}

function one(r: DoctorResult, check: Finding['check']): Finding {
  const f = r.findings.filter((x) => x.check === check);
  expect(f, `one ${check} finding`).toHaveLength(1);
  return f[0]!;
}

beforeEach(() => {
  cfg = config();
  fake = healthy(cfg);
  ops = new FakeOps(fake);
});

describe('doctor', () => {
  it('a stack as init leaves it is healthy; every check reports ok; reads only', async () => {
    const r = await doctor();
    expect(r.healthy).toBe(true);
    expect(r.findings.filter((f) => f.status !== 'ok')).toEqual([]);
    expect(r.findings.map((f) => f.check)).toEqual([
      'account',
      'user-pool',
      'app-client',
      'identity-pool',
      'role-mapping',
      'reach',
      'clobber',
      'boundary',
      'trust',
      'tenant-policies',
      'tables',
      'lock-table',
      'quota-roles',
      'quota-groups',
      'permissions',
    ]);
    expect(fake.mutatingCalls().filter((c) => c.operation !== 'PutItem')).toEqual([]);
  });

  it('reach: another app client that can write the claim (rules, abac), an isoctl default role, another provider mapped to an isoctl role', async () => {
    cfg = config({ mapping: 'rules' });
    fake = healthy(cfg);
    ops = new FakeOps(fake);
    fake.otherClients.push({ clientId: 'mobile', writeAttributes: ['email', 'custom:tenant'] }, { clientId: 'web', writeAttributes: 'default' });
    let r = await doctor();
    expect(r.healthy).toBe(false);
    expect(one(r, 'reach')).toMatchObject({ status: 'problem' });
    expect(one(r, 'reach').message).toMatch(/app client mobile .* lets users write custom:tenant/);
    fake.otherClients = [{ clientId: 'web', writeAttributes: 'default' }];
    expect(one(await doctor(), 'reach').status).toBe('ok');
    const tenantRole = buildTenantRole(cfg, 'acme').arn;
    fake.poolRoles.Roles.authenticated = tenantRole;
    fake.poolRoles.RoleMappings['accounts.google.com'] = {
      Type: 'Rules',
      AmbiguousRoleResolution: 'Deny',
      RulesConfiguration: { Rules: [{ Claim: 'hd', MatchType: 'Equals', Value: 'x.com', RoleArn: tenantRole }] },
    };
    r = await doctor();
    const msgs = r.findings.filter((f) => f.check === 'reach').map((f) => `${f.status} ${f.message}`);
    expect(msgs).toEqual([
      expect.stringMatching(/^problem .*default authenticated role is arn:aws:iam::123456789012:role\/isoctl\/prod\//),
      expect.stringMatching(/^problem .*maps provider accounts\.google\.com to isoctl role/),
    ]);
    fake.poolRoles.Roles = { authenticated: 'arn:aws:iam::123456789012:role/app-default' };
    delete fake.poolRoles.RoleMappings['accounts.google.com'];
    fake.preTokenGeneration = true;
    expect(one(await doctor(), 'reach')).toMatchObject({ status: 'warning', message: expect.stringMatching(/pre token generation trigger/) });
  });

  it('reach in token mode: the claim is not read, so other clients do not matter', async () => {
    fake.otherClients.push({ clientId: 'mobile', writeAttributes: ['custom:tenant'] });
    fake.preTokenGeneration = true;
    expect(one(await doctor(), 'reach').status).toBe('ok');
  });

  it('AmbiguousRoleResolution other than Deny is a problem fixed by init', async () => {
    fake.poolRoles.RoleMappings[mappingKeyOf(cfg)]!.AmbiguousRoleResolution = 'AuthenticatedRole';
    const r = await doctor();
    expect(r.healthy).toBe(false);
    expect(one(r, 'role-mapping')).toMatchObject({ status: 'problem', fix: { command: 'isoctl init' } });
    expect(one(r, 'role-mapping').message).toMatch(/AmbiguousRoleResolution AuthenticatedRole/);
  });

  it('no mapping entry for the provider, or the wrong type, is a problem', async () => {
    fake.poolRoles.RoleMappings = {};
    expect(one(await doctor(), 'role-mapping').message).toMatch(
      /has no role mapping for cognito-idp\.eu-central-1\.amazonaws\.com\/eu-central-1_AbC123:client123/,
    );
    fake.poolRoles.RoleMappings[mappingKeyOf(cfg)] = {
      Type: 'Rules',
      AmbiguousRoleResolution: 'Deny',
      RulesConfiguration: { Rules: [{ Claim: 'x', MatchType: 'Equals', Value: 'y', RoleArn: 'arn:aws:iam::123456789012:role/r' }] },
    };
    expect(one(await doctor(), 'role-mapping').message).toMatch(/the config says "mapping": "token", the identity pool maps .* with Rules/);
  });

  it('an edited boundary, a missing boundary', async () => {
    fake.policies.get(boundaryPolicyArn(cfg))!.versions[0]!.doc = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }],
    });
    expect(one(await doctor(), 'boundary')).toMatchObject({ status: 'problem', fix: { command: 'isoctl init' } });
    fake.policies.clear();
    expect(one(await doctor(), 'boundary').message).toMatch(/does not exist: tenant create refuses to run/);
  });

  it('a trust policy with another aud names the tenant and the command', async () => {
    const role = fake.roles.get('isoctl-prod-acme')!;
    role.trust = role.trust.replace(cfg.identityPoolId, 'eu-central-1:99999999-2222-3333-4444-555555555555');
    const f = one(await doctor(), 'trust');
    expect(f.status).toBe('problem');
    expect(f.message).toMatch(/isoctl-prod-acme \(aud is not eu-central-1:11111111/);
    expect(f.fix?.command).toBe('isoctl tenant create acme');
  });

  it('granularity user: the principal-tag map must be userid <- sub', async () => {
    cfg = config({ granularity: 'user' });
    fake = healthy(cfg);
    ops = new FakeOps(fake);
    expect(one(await doctor(), 'principal-tags').status).toBe('ok');
    fake.tagMaps.clear();
    const f = one(await doctor(), 'principal-tags');
    expect(f).toMatchObject({ status: 'problem', fix: { command: 'isoctl init' } });
    expect(f.message).toMatch(/the identity pool has none/);
    // and a trust policy without sts:TagSession is named as such
    const role = fake.roles.get('isoctl-prod-acme')!;
    role.trust = serializePolicy(buildTenantRole(config(), 'acme').assumeRolePolicy);
    expect(one(await doctor(), 'trust').message).toMatch(/no sts:TagSession for the userid tag/);
  });

  it('quota headroom: roles (GetAccountSummary), rules (25), groups (10,000)', async () => {
    ops.summary = { Roles: 850, RolesQuota: 1000 };
    expect(one(await doctor(), 'quota-roles')).toMatchObject({ status: 'warning', details: { used: 850, quota: 1000 } });
    ops.summary = { Roles: 1000, RolesQuota: 1000 };
    expect(one(await doctor(), 'quota-roles').status).toBe('problem');
    ops.summary = { Roles: 0, RolesQuota: 1000 };
    for (let i = 0; i < 10_000; i++) fake.groups.set(`g${i}`, { name: `g${i}`, roleArn: undefined, description: undefined, precedence: undefined });
    expect(one(await doctor(), 'quota-groups')).toMatchObject({ status: 'problem', details: { used: 10_001, limit: 10_000 } });

    cfg = config({ mapping: 'rules' });
    fake = healthy(cfg);
    ops = new FakeOps(fake);
    const entry = fake.poolRoles.RoleMappings[mappingKeyOf(cfg)]!;
    const rule = (i: number) => ({
      Claim: 'custom:tenant',
      MatchType: 'Equals' as const,
      Value: `t${i}`,
      RoleArn: `arn:aws:iam::123456789012:role/isoctl/prod/isoctl-prod-t${i}`,
    });
    entry.RulesConfiguration!.Rules = Array.from({ length: 20 }, (_, i) => rule(i));
    expect(one(await doctor(), 'quota-rules')).toMatchObject({ status: 'warning', details: { used: 20, limit: 25 } });
    entry.RulesConfiguration!.Rules = Array.from({ length: 25 }, (_, i) => rule(i));
    expect(one(await doctor(), 'quota-rules').status).toBe('problem');
  });

  it('the lock table: missing is a problem, a held lease a warning', async () => {
    fake.leases.set(identityPoolLockId(cfg.identityPoolId), {
      lockId: identityPoolLockId(cfg.identityPoolId),
      owner: 'x',
      expiresAt: Date.now() + 20_000,
      holder: 'ci-runner pid 7 (tenant create)',
    });
    expect(one(await doctor(), 'lock-table')).toMatchObject({ status: 'warning' });
    expect(one(await doctor(), 'lock-table').message).toMatch(/held by ci-runner pid 7/);
    fake.tables.delete(lockTableName(cfg));
    expect(one(await doctor(), 'lock-table')).toMatchObject({ status: 'problem', fix: { command: 'isoctl init' } });
  });

  it('a data table with another partition key is a problem; a missing one a warning', async () => {
    fake.tables.set('Orders', { name: 'Orders', arn: 'a', status: 'ACTIVE', partitionKey: { name: 'pk', type: 'S' }, sortKey: undefined });
    expect(one(await doctor(), 'tables').message).toMatch(/Orders has partition key pk, the config says tenantId/);
    fake.tables.delete('Orders');
    expect(one(await doctor(), 'tables').status).toBe('warning');
  });

  it('credentials of another account', async () => {
    const other = config({ accountId: '210987654321' });
    const r = await doctor(other);
    expect(one(r, 'account')).toMatchObject({ status: 'problem' });
    expect(one(r, 'account').message).toMatch(/the credentials are for account 123456789012 .* the config says 210987654321/);
  });

  it('an access-denied read is reported under permissions with the operator policy command; the check it blocked is skipped', async () => {
    fake.failOnce.set(
      'GetPolicy',
      new AwsCallError('iam', 'GetPolicy', Object.assign(new Error('User: x is not authorized to perform: iam:GetPolicy'), { name: 'AccessDenied' })),
    );
    const r = await doctor();
    expect(r.healthy).toBe(false);
    expect(one(r, 'boundary').status).toBe('skipped');
    const p = one(r, 'permissions');
    expect(p.status).toBe('problem');
    expect(p.message).toBe('the caller may not call iam:GetPolicy (all part of the operator policy)');
    expect(p.fix?.command).toBe('isoctl policy render <any-tenant> --kind operator --json');
  });
});
