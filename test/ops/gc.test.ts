// gc planning and execution against the in-memory AWS (test/tenant/fake-aws.ts) plus a fake of
// the ops reads (ListRoles over /isoctl/, dated groups and probe users).
import { beforeEach, describe, expect, it } from 'vitest';
import type { AwsApis } from '../../src/aws/apis.js';
import { AwsCallError } from '../../src/aws/errors.js';
import { stackConfigSchema, type StackConfig, type StackConfigInput } from '../../src/config/schema.js';
import { buildTenantRole, serializePolicy } from '../../src/policy/index.js';
import { groupDescription } from '../../src/tenant/names.js';
import { mappingKeyOf } from '../../src/tenant/observe.js';
import { LOCK_KEY } from '../../src/aws/dynamodb.js';
import { planGc, gcCandidates, countStates, type GcItem } from '../../src/ops/gc/plan.js';
import { scanForGc } from '../../src/ops/gc/scan.js';
import { applyGc } from '../../src/ops/gc/apply.js';
import { FakeAws } from '../tenant/fake-aws.js';
import { FakeOps as Ops } from './fake-ops.js';

const HOUR = 3600_000;
const clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

function config(overrides: Partial<StackConfigInput> = {}): StackConfig {
  return stackConfigSchema.parse({
    stack: 'prod',
    region: 'eu-central-1',
    accountId: '123456789012',
    userPoolId: 'eu-central-1_AbC123',
    userPoolClientId: 'client123',
    identityPoolId: 'eu-central-1:11111111-2222-3333-4444-555555555555',
    tables: [{ name: 'Orders', partitionKey: 'tenantId' }],
    ...overrides,
  });
}

interface Made {
  role?: boolean;
  policy?: boolean;
  group?: boolean;
  probe?: boolean;
  ageMs?: number;
  path?: string;
  tags?: Record<string, string> | null;
  stack?: string;
}

/** Puts a tenant's pieces into the fake the way `tenant create` would (or only some of them). */
function make(fake: FakeAws, cfg: StackConfig, tenant: string, m: Made = {}): void {
  const spec = buildTenantRole(stackConfigSchema.parse({ ...cfg, stack: m.stack ?? cfg.stack }), tenant);
  const path = m.path ?? spec.path;
  const tags: Record<string, string> = {};
  for (const t of spec.tags) tags[t.Key] = t.Value;
  if (m.role !== false) {
    fake.roles.set(spec.roleName, {
      name: spec.roleName,
      path,
      arn: `arn:aws:iam::${cfg.accountId}:role${path}${spec.roleName}`,
      roleId: `AROA${tenant.toUpperCase()}`,
      createDate: new Date(Date.now() - (m.ageMs ?? 2 * HOUR)).toISOString(),
      trust: serializePolicy(spec.assumeRolePolicy),
      boundary: spec.permissionsBoundary,
      tags: m.tags === null ? {} : { ...tags, ...(m.tags ?? {}) },
      policies: new Map(m.policy === false ? [] : [['isoctl-data', serializePolicy(spec.inlinePolicies['isoctl-data']!)]]),
    });
  }
  if (m.group) fake.groups.set(tenant, { name: tenant, roleArn: spec.arn, description: groupDescription(cfg, tenant), precedence: undefined });
  if (m.probe)
    fake.users.set(`isoctl-probe-${tenant}`, { sub: `sub-${tenant}`, attributes: {}, groups: new Set(m.group ? [tenant] : []), status: 'CONFIRMED' });
}

let cfg: StackConfig;
let fake: FakeAws;
let ops: Ops;
let apis: AwsApis;

async function plan(minAgeMs = HOUR): Promise<GcItem[]> {
  const { listing, reads } = await scanForGc(apis, ops, cfg, clock, 4);
  return planGc(cfg, listing, reads, { now: Date.now(), minAgeMs });
}

const brief = (items: GcItem[]) => items.map((i) => `${i.state} ${i.kind} ${i.target}`);

beforeEach(() => {
  cfg = config();
  fake = new FakeAws(cfg);
  ops = new Ops(fake);
  apis = fake.apis();
});

describe('gc plan (token mapping)', () => {
  it('finds each kind of garbage with its reason and leaves healthy tenants alone', async () => {
    make(fake, cfg, 'healthy', { group: true, probe: true });
    make(fake, cfg, 'orphan', { probe: true });
    make(fake, cfg, 'half', { policy: false });
    make(fake, cfg, 'gone', { role: false, group: true, probe: true });
    make(fake, cfg, 'stale', { role: false, probe: true });
    const items = await plan();
    expect(brief(items)).toEqual([
      'planned group gone',
      'planned probe-user isoctl-probe-gone',
      'planned role isoctl-prod-half',
      'planned probe-user isoctl-probe-orphan',
      'planned role isoctl-prod-orphan',
      'planned probe-user isoctl-probe-stale',
    ]);
    const why = Object.fromEntries(items.map((i) => [`${i.kind} ${i.tenant}`, i.reason]));
    expect(why['role half']).toMatch(/^half-created tenant: role without its inline policy isoctl-data, and no user pool group maps it/);
    expect(why['role orphan']).toMatch(/^orphaned role: no user pool group maps it/);
    expect(why['group gone']).toBe('group maps to arn:aws:iam::123456789012:role/isoctl/prod/isoctl-prod-gone, which no longer exists');
    expect(why['probe-user stale']).toBe('probe user of tenant stale, which no longer exists (no role, no mapping)');
    expect(items.every((i) => i.ageSeconds !== null && i.ageSeconds >= 7000)).toBe(true);
  });

  it("never lists a role outside the stack path, an untagged role, another stack's role, or a group without isoctl's mark", async () => {
    make(fake, cfg, 'outside', { path: '/other/' });
    fake.roles.get('isoctl-prod-outside')!.name = 'isoctl-prod-outside';
    make(fake, cfg, 'untagged', { tags: null });
    make(fake, cfg, 'wrongstack', { tags: { 'isoctl:stack': 'staging' } });
    make(fake, cfg, 'other', { stack: 'staging' });
    fake.groups.set('handmade', {
      name: 'handmade',
      roleArn: 'arn:aws:iam::123456789012:role/isoctl/prod/isoctl-prod-handmade',
      description: 'made by hand',
      precedence: undefined,
    });
    expect(await plan()).toEqual([]);
  });

  it('a young half-created tenant is skipped with the reason; --min-age 0 takes it', async () => {
    make(fake, cfg, 'young', { policy: false, ageMs: 5 * 60_000 });
    const items = await plan();
    expect(brief(items)).toEqual(['skipped role isoctl-prod-young']);
    expect(items[0]!.detail).toMatch(/^younger than --min-age 1h \(created 5min ago\)/);
    expect(brief(await plan(0))).toEqual(['planned role isoctl-prod-young']);
  });

  it('a tenant with any young resource is skipped as a whole (a create may be in progress)', async () => {
    make(fake, cfg, 'mid', { probe: true });
    ops.userDates.set('isoctl-probe-mid', new Date(Date.now() - 90_000).toISOString());
    const items = await plan();
    expect(brief(items)).toEqual(['skipped probe-user isoctl-probe-mid', 'skipped role isoctl-prod-mid']);
    expect(items[1]!.detail).toMatch(/tenant mid has a resource created 90s ago/);
  });

  it('the isoctl:created-at tag dates a role when present', async () => {
    make(fake, cfg, 'tagged', { tags: { 'isoctl:created-at': new Date(Date.now() - 10 * 60_000).toISOString() } });
    const items = await plan();
    expect(brief(items)).toEqual(['skipped role isoctl-prod-tagged']);
    expect(items[0]!.ageSeconds).toBeLessThan(700);
  });

  it('a probe user whose tenant exists in another stack sharing the pool is skipped', async () => {
    make(fake, cfg, 'shared', { stack: 'staging' });
    make(fake, cfg, 'shared', { role: false, probe: true });
    const items = await plan();
    expect(brief(items)).toEqual(['skipped probe-user isoctl-probe-shared']);
    expect(items[0]!.detail).toMatch(/exists in stack staging/);
  });

  it('reads per candidate only: one ListRoles, ListGroups and ListUsers, plus GetRole/ListRolePolicies for suspects', async () => {
    for (let i = 0; i < 20; i++) make(fake, cfg, `ok${i}`, { group: true, probe: true });
    make(fake, cfg, 'orphan');
    fake.calls.length = 0;
    await plan();
    const ops = fake.calls.map((c) => c.operation);
    expect(ops.filter((o) => o === 'ListRoles')).toHaveLength(1);
    expect(ops.filter((o) => o === 'GetRole')).toHaveLength(1);
    expect(ops.filter((o) => o === 'ListRolePolicies')).toHaveLength(1);
    expect(fake.mutatingCalls()).toEqual([]);
  });

  it('gcCandidates asks GetRole to confirm a role the listing does not show', () => {
    make(fake, cfg, 'gone', { role: false, group: true });
    const c = gcCandidates(cfg, {
      roles: [],
      groups: [
        {
          name: 'gone',
          roleArn: 'arn:aws:iam::123456789012:role/isoctl/prod/isoctl-prod-gone',
          description: groupDescription(cfg, 'gone'),
          precedence: undefined,
          createDate: undefined,
        },
      ],
      rules: undefined,
      probeUsers: [],
    });
    expect(c).toEqual({ detailRoles: [], confirmAbsent: ['isoctl-prod-gone'] });
  });
});

describe('gc apply', () => {
  it('removes exactly the planned items: mapping, probe user, inline policies, role; skipped ones stay', async () => {
    make(fake, cfg, 'healthy', { group: true, probe: true });
    make(fake, cfg, 'orphan', { probe: true });
    make(fake, cfg, 'gone', { role: false, group: true, probe: true });
    make(fake, cfg, 'young', { policy: false, ageMs: 60_000 });
    const items = await plan();
    fake.calls.length = 0;
    await applyGc({ ...clock, apis, config: cfg }, items, { concurrency: 4, timeoutMs: 5_000, minAgeMs: HOUR });
    expect(countStates(items)).toEqual({ planned: 0, removed: 4, waiting: 0, failed: 0, skipped: 1 });
    expect([...fake.roles.keys()].sort()).toEqual(['isoctl-prod-healthy', 'isoctl-prod-young']);
    expect([...fake.groups.keys()]).toEqual(['healthy']);
    expect([...fake.users.keys()]).toEqual(['isoctl-probe-healthy']);
    expect(
      fake
        .mutatingCalls()
        .map((c) => c.operation)
        .sort(),
    ).toEqual(['AdminDeleteUser', 'AdminDeleteUser', 'DeleteGroup', 'DeleteRole', 'DeleteRolePolicy']);
    expect(items.find((i) => i.kind === 'role')!.detail).toBe('inline policies isoctl-data and the role deleted');
  });

  it('skips a tenant that got its mapping back since the plan', async () => {
    make(fake, cfg, 'orphan', { probe: true });
    const items = await plan();
    make(fake, cfg, 'orphan', { role: false, group: true });
    await applyGc({ ...clock, apis, config: cfg }, items, { concurrency: 2, timeoutMs: 5_000, minAgeMs: HOUR });
    expect(items.map((i) => i.state)).toEqual(['skipped', 'skipped']);
    expect(items[0]!.detail).toMatch(/group orphan maps the role again/);
    expect(fake.mutatingCalls()).toEqual([]);
  });

  it('retries throttling and still ends removed', async () => {
    make(fake, cfg, 'orphan');
    const items = await plan();
    const throttle = () => new AwsCallError('iam', 'DeleteRole', Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    fake.failOnce.set('DeleteRole', throttle());
    fake.failOnce.set('ListRolePolicies', throttle());
    await applyGc({ ...clock, apis, config: cfg }, items, { concurrency: 1, timeoutMs: 10_000, minAgeMs: HOUR });
    expect(brief(items)).toEqual(['removed role isoctl-prod-orphan']);
    expect(fake.roles.size).toBe(0);
  });

  it('an error that is not "not yet" fails the item; the run goes on with the others', async () => {
    make(fake, cfg, 'a');
    make(fake, cfg, 'b');
    const items = await plan();
    const denied = new AwsCallError(
      'iam',
      'DeleteRolePolicy',
      Object.assign(new Error('User is not authorized to perform: iam:DeleteRolePolicy'), { name: 'AccessDenied' }),
    );
    fake.failOnce.set('DeleteRolePolicy', denied);
    await applyGc({ ...clock, apis, config: cfg }, items, { concurrency: 1, timeoutMs: 5_000, minAgeMs: HOUR });
    expect(items.map((i) => i.state)).toEqual(['failed', 'removed']);
    expect(items[0]!.detail).toMatch(/^AccessDenied: /);
  });

  it('a deletion IAM does not confirm before the timeout ends "waiting"', async () => {
    make(fake, cfg, 'slow');
    const items = await plan();
    const stale = { ...fake.roles.get('isoctl-prod-slow')! };
    const lagging: AwsApis = {
      ...apis,
      iam: {
        ...apis.iam,
        getRole: async (n) =>
          n === stale.name && !fake.roles.has(n)
            ? {
                name: n,
                arn: stale.arn,
                path: stale.path,
                roleId: '',
                createDate: stale.createDate,
                description: undefined,
                trustPolicy: {},
                permissionsBoundaryArn: undefined,
                tags: stale.tags,
              }
            : apis.iam.getRole(n),
      },
    };
    await applyGc({ ...clock, apis: lagging, config: cfg }, items, { concurrency: 1, timeoutMs: 600, minAgeMs: HOUR });
    expect(items[0]!.state).toBe('waiting');
    expect(items[0]!.detail).toMatch(/IAM still shows the role/);
  });
});

describe('gc with rules mapping', () => {
  beforeEach(() => {
    cfg = config({ mapping: 'rules' });
    fake = new FakeAws(cfg);
    ops = new Ops(fake);
    apis = fake.apis();
    fake.tables.set('isoctl-prod-lock', {
      name: 'isoctl-prod-lock',
      arn: 'arn',
      status: 'ACTIVE',
      partitionKey: { name: LOCK_KEY, type: 'S' },
      sortKey: undefined,
    });
  });

  it('removes a dangling rule under the lock and keeps every other rule and entry', async () => {
    const arn = (t: string) => `arn:aws:iam::123456789012:role/isoctl/prod/isoctl-prod-${t}`;
    make(fake, cfg, 'live');
    make(fake, cfg, 'dead', { role: false, probe: true });
    const rule = (t: string) => ({ Claim: 'custom:tenant', MatchType: 'Equals' as const, Value: t, RoleArn: arn(t) });
    const other = { Claim: 'custom:team', MatchType: 'Equals' as const, Value: 'x', RoleArn: 'arn:aws:iam::123456789012:role/team-x' };
    fake.poolRoles = {
      Roles: { authenticated: 'arn:aws:iam::123456789012:role/auth' },
      RoleMappings: {
        [mappingKeyOf(cfg)]: { Type: 'Rules', AmbiguousRoleResolution: 'Deny', RulesConfiguration: { Rules: [rule('live'), rule('dead'), other] } },
        'graph.facebook.com': { Type: 'Token', AmbiguousRoleResolution: 'AuthenticatedRole' },
      },
    };
    const items = await plan();
    expect(brief(items)).toEqual(['planned rule custom:tenant=dead', 'planned probe-user isoctl-probe-dead']);
    expect(items[0]!.detail).toMatch(/no creation date for rules/);
    fake.calls.length = 0;
    await applyGc({ ...clock, apis, config: cfg }, items, { concurrency: 2, timeoutMs: 5_000, minAgeMs: HOUR });
    expect(items.map((i) => i.state)).toEqual(['removed', 'removed']);
    expect(fake.poolRoles.RoleMappings[mappingKeyOf(cfg)]!.RulesConfiguration!.Rules).toEqual([rule('live'), other]);
    expect(fake.poolRoles.RoleMappings['graph.facebook.com']).toEqual({ Type: 'Token', AmbiguousRoleResolution: 'AuthenticatedRole' });
    expect(fake.poolRoles.Roles).toEqual({ authenticated: 'arn:aws:iam::123456789012:role/auth' });
    // the lease was taken before the write and given back after
    const ops = fake.calls.map((c) => c.operation);
    expect(ops.indexOf('PutItem')).toBeGreaterThanOrEqual(0);
    expect(ops.indexOf('PutItem')).toBeLessThan(ops.indexOf('SetIdentityPoolRoles'));
    expect(ops.lastIndexOf('DeleteItem')).toBeGreaterThan(ops.indexOf('SetIdentityPoolRoles'));
    expect(fake.leases.size).toBe(0);
  });

  it('a rule mapping to a role outside the stack is never listed', async () => {
    fake.poolRoles = {
      Roles: {},
      RoleMappings: {
        [mappingKeyOf(cfg)]: {
          Type: 'Rules',
          AmbiguousRoleResolution: 'Deny',
          RulesConfiguration: {
            Rules: [{ Claim: 'custom:tenant', MatchType: 'Equals', Value: 'acme', RoleArn: 'arn:aws:iam::123456789012:role/elsewhere/isoctl-prod-acme' }],
          },
        },
      },
    };
    expect(await plan()).toEqual([]);
  });
  it('no rule of the stack left (a Terraform role attachment re-applied): tenant roles are skipped with the cause, not collected', async () => {
    make(fake, cfg, 'acme', { probe: true });
    make(fake, cfg, 'globex');
    make(fake, cfg, 'half', { policy: false });
    fake.poolRoles = {
      Roles: { authenticated: 'arn:aws:iam::123456789012:role/auth' },
      RoleMappings: { [mappingKeyOf(cfg)]: { Type: 'Token', AmbiguousRoleResolution: 'Deny' } },
    };
    const items = await plan();
    expect(brief(items)).toEqual(['skipped role isoctl-prod-acme', 'skipped role isoctl-prod-globex', 'planned role isoctl-prod-half']);
    expect(items[0]!.detail).toMatch(/aws_cognito_identity_pool_roles_attachment.*isoctl tenant create acme/);
  });
});
