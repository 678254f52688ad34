// The resource modules on their own, with the in-memory AWS (test/tenant/fake-aws.ts): each
// ownership filter's answers, each removal's end states in the one vocabulary, and the role's
// removal of attached managed policies (detached, never deleted) and DeleteConflict.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { lockTableName, type StackConfig } from '../../src/config/schema.js';
import { AwsCallError } from '../../src/aws/errors.js';
import { group, probeUser, role, rule, siloTable, RESOURCE_KINDS } from '../../src/tenant/resources/index.js';
import { linkageOf, PROPAGATION_MS } from '../../src/tenant/resources/orphans.js';
import { countRemovals, type RemovalContext } from '../../src/tenant/resources/types.js';
import { groupDescription } from '../../src/tenant/names.js';
import { mappingKeyOf } from '../../src/tenant/observe.js';
import { FakeAws } from './fake-aws.js';

const ACCOUNT = '123456789012';
function config(mapping: 'token' | 'rules' = 'token'): StackConfig {
  return validateConfig(
    {
      stack: 'test',
      region: 'eu-central-1',
      accountId: ACCOUNT,
      userPoolId: 'eu-central-1_Pool1',
      userPoolClientId: 'client1',
      identityPoolId: 'eu-central-1:00000000-0000-0000-0000-000000000001',
      mapping,
      granularity: 'tenant',
      tables: [{ name: 'Orders', partitionKey: 'tenantId' }],
    },
    'test',
  );
}

function ctxOf(fake: FakeAws, over: Partial<RemovalContext> = {}): RemovalContext {
  return {
    apis: fake.apis(),
    config: fake.config,
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    deadline: Date.now() + 2000,
    confirm: true,
    ...over,
  };
}

const TAGS = { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': 'test', 'isoctl:tenant': 'acme' };
function putRole(fake: FakeAws, name = 'isoctl-test-acme', extra: { policies?: string[]; attached?: string[] } = {}): void {
  fake.roles.set(name, {
    name,
    path: '/isoctl/test/',
    arn: `arn:aws:iam::${ACCOUNT}:role/isoctl/test/${name}`,
    roleId: 'AROA1',
    createDate: new Date().toISOString(),
    trust: '{}',
    boundary: undefined,
    tags: { ...TAGS },
    policies: new Map((extra.policies ?? []).map((p) => [p, '{}'])),
    attached: new Set(extra.attached ?? []),
  });
}

describe('the kinds', () => {
  it('every module exports kind, owned and remove', () => {
    for (const m of RESOURCE_KINDS) {
      expect(typeof m.kind).toBe('string');
      expect(typeof m.owned).toBe('function');
      expect(typeof m.remove).toBe('function');
    }
  });
});

describe('role', () => {
  const cfg = config();
  const r = (over: Partial<{ name: string; path: string; tags: Record<string, string> | undefined }> = {}) => ({
    name: 'isoctl-test-acme',
    path: '/isoctl/test/',
    tags: { ...TAGS },
    ...over,
  });
  it('owned: exactly the stack path, its name, managed-by, stack and (when present) the same tenant tag', () => {
    expect(role.owned(cfg, r())).toEqual({ owned: true });
    expect(role.owned(cfg, r({ tags: { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': 'test' } }))).toEqual({ owned: true });
    const refused = (x: ReturnType<typeof r>, why: RegExp, tenant?: string) => {
      const o = role.owned(cfg, x, tenant);
      expect(o.owned).toBe(false);
      if (!o.owned) expect(o.reason).toMatch(why);
    };
    refused(r({ path: '/' }), /outside the stack path/);
    refused(r({ path: '/isoctl/test/deeper/' }), /outside the stack path/);
    refused(r({ path: '/isoctl/test2/' }), /outside the stack path/);
    refused(r({ tags: undefined }), /does not carry the tag isoctl:managed-by/);
    refused(r({ tags: { ...TAGS, 'isoctl:stack': 'prod' } }), /isoctl:stack=prod, not test/);
    refused(r({ tags: { ...TAGS, 'isoctl:tenant': 'globex' } }), /tagged for another tenant/);
    refused(r({ name: 'isoctl-test-ACME' }), /is not named/);
    refused(r(), /not the role of tenant globex/, 'globex');
  });
  it('isStackRoleArn: the stack path exactly, not below it or a sibling stack', () => {
    expect(role.isStackRoleArn(cfg, `arn:aws:iam::${ACCOUNT}:role/isoctl/test/isoctl-test-a`)).toBe(true);
    expect(role.isStackRoleArn(cfg, `arn:aws:iam::${ACCOUNT}:role/isoctl/test/x/isoctl-test-a`)).toBe(false);
    expect(role.isStackRoleArn(cfg, `arn:aws:iam::${ACCOUNT}:role/isoctl/test2/isoctl-test-a`)).toBe(false);
  });
  it('remove: inline policies, attached managed policies detached (not deleted), then the role; removed', async () => {
    const fake = new FakeAws(cfg);
    const managed = `arn:aws:iam::${ACCOUNT}:policy/ops/ReadOnly`;
    putRole(fake, 'isoctl-test-acme', { policies: ['isoctl-data', 'extra'], attached: [managed] });
    const o = await role.remove(ctxOf(fake), { name: 'isoctl-test-acme', inlinePolicies: ['isoctl-data', 'extra'] });
    expect(o).toMatchObject({ state: 'removed', removedPolicies: ['isoctl-data', 'extra'], detachedPolicies: [managed] });
    expect(o.detail).toBe(`inline policies isoctl-data, extra, managed policies ${managed} detached (not deleted) and the role deleted`);
    expect(fake.roles.has('isoctl-test-acme')).toBe(false);
    // The attachment listing is read only after IAM answered DeleteConflict.
    expect(fake.calls.map((c) => c.operation)).toEqual([
      'DeleteRolePolicy',
      'DeleteRolePolicy',
      'DeleteRole',
      'ListRolePolicies',
      'ListAttachedRolePolicies',
      'DetachRolePolicy',
      'DeleteRole',
      'GetRole',
    ]);
    expect(fake.calls.some((c) => c.operation === 'DeletePolicy')).toBe(false);
  });
  it('remove: a role without attachments costs no listing; an absent role is skipped, already gone', async () => {
    const fake = new FakeAws(cfg);
    putRole(fake, 'isoctl-test-acme', { policies: ['isoctl-data'] });
    expect(await role.remove(ctxOf(fake, { confirm: false }), { name: 'isoctl-test-acme', inlinePolicies: ['isoctl-data'] })).toMatchObject({
      state: 'removed',
    });
    expect(fake.calls.map((c) => c.operation)).toEqual(['DeleteRolePolicy', 'DeleteRole']);
    expect(await role.remove(ctxOf(fake), { name: 'isoctl-test-acme' })).toMatchObject({ state: 'skipped', detail: 'already gone' });
  });
  it('remove: DeleteConflict past the deadline is thrown (the caller reports it waiting); AccessDenied is thrown at once', async () => {
    const fake = new FakeAws(cfg);
    putRole(fake);
    const conflict = new AwsCallError(
      'iam',
      'DeleteRole',
      Object.assign(new Error('Cannot delete entity, must delete policies first.'), { name: 'DeleteConflict' }),
    );
    const api = fake.apis();
    const ctx = ctxOf(fake, { apis: { ...api, iam: { ...api.iam, deleteRole: async () => Promise.reject(conflict) } }, deadline: Date.now() + 300 });
    await expect(role.remove(ctx, { name: 'isoctl-test-acme' })).rejects.toBe(conflict);
    fake.failOnce.set('DeleteRole', new AwsCallError('iam', 'DeleteRole', Object.assign(new Error('no'), { name: 'AccessDenied' })));
    await expect(role.remove(ctxOf(fake), { name: 'isoctl-test-acme', inlinePolicies: [] })).rejects.toMatchObject({ kind: 'access-denied' });
    expect(fake.roles.has('isoctl-test-acme')).toBe(true);
  });
});

describe('role in an instance profile', () => {
  it('remove: DeleteConflict with nothing left to delete or detach ends failed (role_in_use) at the deadline, with the reason', async () => {
    const fake = new FakeAws(config());
    putRole(fake);
    const profile = new AwsCallError(
      'iam',
      'DeleteRole',
      Object.assign(new Error('Cannot delete entity, must remove roles from instance profile first.'), { name: 'DeleteConflict' }),
    );
    const api = fake.apis();
    const ctx = ctxOf(fake, { apis: { ...api, iam: { ...api.iam, deleteRole: async () => Promise.reject(profile) } }, deadline: Date.now() + 600 });
    await expect(role.remove(ctx, { name: 'isoctl-test-acme', inlinePolicies: [] })).rejects.toMatchObject({
      code: 'role_in_use',
      message: expect.stringMatching(/instance profile/),
    });
    expect(fake.roles.has('isoctl-test-acme')).toBe(true);
  });
});

describe('group', () => {
  const cfg = config();
  const arn = `arn:aws:iam::${ACCOUNT}:role/isoctl/test/isoctl-test-acme`;
  const g = (over: Record<string, unknown> = {}) => ({
    name: 'acme',
    roleArn: arn,
    description: groupDescription(cfg, 'acme'),
    precedence: undefined,
    ...over,
  });
  it('owned: the mark of this stack for the tenant it is named after, mapping to its role or none', () => {
    expect(group.owned(cfg, g())).toEqual({ owned: true });
    expect(group.owned(cfg, g({ roleArn: undefined }))).toEqual({ owned: true });
    expect(group.owned(cfg, g({ description: 'admins' })).owned).toBe(false);
    expect(group.owned(cfg, g({ description: 'managed by isoctl: stack=prod tenant=acme' })).owned).toBe(false);
    expect(group.owned(cfg, g({ name: 'globex' })).owned).toBe(false);
    expect(group.owned(cfg, g({ roleArn: `arn:aws:iam::${ACCOUNT}:role/isoctl/test/isoctl-test-globex` })).owned).toBe(false);
    expect(group.owned(cfg, g(), 'globex').owned).toBe(false);
  });
  it('remove without an observation reads it again: changed since the plan -> skipped; gone -> skipped; else removed', async () => {
    const fake = new FakeAws(cfg);
    fake.groups.set('acme', g({ description: 'taken over by hand' }));
    expect(await group.remove(ctxOf(fake), { name: 'acme', tenant: 'acme', roleArn: arn })).toMatchObject({
      state: 'skipped',
      detail: expect.stringMatching(/changed since the plan/),
    });
    expect(fake.groups.has('acme')).toBe(true);
    fake.groups.set('acme', g());
    expect(await group.remove(ctxOf(fake), { name: 'acme', tenant: 'acme', roleArn: arn })).toEqual({ state: 'removed' });
    expect(await group.remove(ctxOf(fake), { name: 'acme', tenant: 'acme' })).toEqual({ state: 'skipped', detail: 'already gone' });
  });
});

describe('rule', () => {
  const cfg = config('rules');
  const arn = (t: string, path = '/isoctl/test/') => `arn:aws:iam::${ACCOUNT}:role${path}isoctl-test-${t}`;
  it("owned: the tenant claim, Equals, mapping to exactly that tenant's role of this stack", () => {
    const r = { Claim: 'custom:tenant', MatchType: 'Equals' as const, Value: 'acme', RoleArn: arn('acme') };
    expect(rule.owned(cfg, r)).toEqual({ owned: true });
    expect(rule.owned(cfg, { ...r, Claim: 'custom:org' }).owned).toBe(false);
    expect(rule.owned(cfg, { ...r, MatchType: 'StartsWith' as never }).owned).toBe(false);
    expect(rule.owned(cfg, { ...r, RoleArn: arn('globex') }).owned).toBe(false);
    expect(rule.owned(cfg, { ...r, RoleArn: arn('acme', '/isoctl/test/x/') }).owned).toBe(false);
    expect(rule.owned(cfg, r, 'globex').owned).toBe(false);
  });
  it('removeMany: one write under the lock; only owned rules go, the rest of the configuration stays', async () => {
    const fake = new FakeAws(cfg);
    const lock = lockTableName(cfg);
    fake.tables.set(lock, {
      name: lock,
      arn: `arn:aws:dynamodb:eu-central-1:${ACCOUNT}:table/${lock}`,
      status: 'ACTIVE',
      partitionKey: { name: 'lockId', type: 'S' },
      sortKey: undefined,
    });
    const key = mappingKeyOf(cfg);
    const foreign = { Claim: 'custom:tenant', MatchType: 'Equals' as const, Value: 'globex', RoleArn: 'arn:aws:iam::123456789012:role/handmade' };
    fake.poolRoles = {
      Roles: {},
      RoleMappings: {
        [key]: {
          Type: 'Rules',
          AmbiguousRoleResolution: 'Deny',
          RulesConfiguration: { Rules: [{ Claim: 'custom:tenant', MatchType: 'Equals', Value: 'acme', RoleArn: arn('acme') }, foreign] },
        },
      },
    };
    const acme = { tenant: 'acme' };
    const globex = { tenant: 'globex' };
    const out = await rule.removeMany(ctxOf(fake, { purpose: 'test' }), [acme, globex]);
    expect(out.get(acme)?.state).toBe('removed');
    expect(out.get(globex)).toEqual({ state: 'skipped', detail: 'already gone' });
    expect(fake.poolRoles.RoleMappings[key]?.RulesConfiguration?.Rules).toEqual([foreign]);
    expect(fake.mutatingCalls().filter((c) => c.operation === 'SetIdentityPoolRoles')).toHaveLength(1);
  });
});

describe('probe user and silo table', () => {
  it('probe user: its name, and no tenant claim of another tenant; remove -> removed, then skipped', async () => {
    const cfg = config('rules');
    expect(probeUser.owned(cfg, { username: 'isoctl-probe-acme', attributes: { 'custom:tenant': 'acme' } })).toEqual({ owned: true });
    expect(probeUser.owned(cfg, { username: 'isoctl-probe-acme', attributes: { 'custom:tenant': 'globex' } }).owned).toBe(false);
    expect(probeUser.owned(cfg, { username: 'probe-acme' }).owned).toBe(false);
    const fake = new FakeAws(cfg);
    fake.users.set('isoctl-probe-acme', { sub: 's', attributes: {}, groups: new Set(), status: 'CONFIRMED' });
    expect(await probeUser.remove(ctxOf(fake), { username: 'isoctl-probe-acme' })).toEqual({ state: 'removed' });
    expect(await probeUser.remove(ctxOf(fake), { username: 'isoctl-probe-acme' })).toEqual({ state: 'skipped', detail: 'already gone' });
  });
  it('silo table: the tenant tag must name exactly this tenant; remove never deletes', async () => {
    const cfg = config();
    expect(siloTable.owned(cfg, { name: 'Files-acme', tags: TAGS }, 'acme')).toEqual({ owned: true });
    expect(siloTable.owned(cfg, { name: 'Files-acme', tags: { ...TAGS, 'isoctl:tenant': 'globex' } }, 'acme').owned).toBe(false);
    expect(siloTable.owned(cfg, { name: 'Files-acme', tags: { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': 'test' } }, 'acme').owned).toBe(false);
    expect(siloTable.owned(cfg, { name: 'Files-acme', tags: undefined }, 'acme').owned).toBe(false);
    const fake = new FakeAws(cfg);
    expect((await siloTable.remove(ctxOf(fake), { name: 'Files-acme' })).state).toBe('skipped');
    expect(fake.mutatingCalls()).toEqual([]);
  });
});

describe('orphan or dangling', () => {
  const now = Date.now();
  it('decides once: linked, orphan, dangling, absent; young pieces are propagating', () => {
    expect(linkageOf({ role: true, mapped: true }, now)).toEqual({ linkage: 'linked', propagating: false });
    expect(linkageOf({ role: true, mapped: false, createdAt: [now - 2 * PROPAGATION_MS] }, now)).toEqual({ linkage: 'orphan', propagating: false });
    expect(linkageOf({ role: true, mapped: false, createdAt: [now - 1000] }, now)).toEqual({ linkage: 'orphan', propagating: true });
    expect(linkageOf({ role: false, mapped: true, createdAt: [undefined] }, now)).toEqual({ linkage: 'dangling', propagating: false });
    expect(linkageOf({ role: false, mapped: false, probe: true }, now)).toEqual({ linkage: 'dangling', propagating: false });
    expect(linkageOf({ role: false, mapped: false }, now)).toEqual({ linkage: 'absent', propagating: false });
  });
  it('counts every state of the one vocabulary', () => {
    expect(countRemovals([{ state: 'removed' }, { state: 'waiting' }, { state: 'removed' }])).toEqual({
      planned: 0,
      removed: 2,
      waiting: 1,
      failed: 0,
      skipped: 0,
    });
  });
});
