// Fast unit tests of plan / reconcile / delete / lock / waits / probe against an in-memory AWS.
import { describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import type { StackConfig } from '../../src/config/schema.js';
import { PendingError, RefusedError, NotFoundError, FailedError } from '../../src/errors.js';
import { AwsCallError } from '../../src/aws/errors.js';
import type { TenantContext } from '../../src/tenant/context.js';
import { createTenant } from '../../src/tenant/create.js';
import { deleteTenant } from '../../src/tenant/delete.js';
import { initStack } from '../../src/tenant/stack.js';
import { listTenants, showTenant } from '../../src/tenant/inventory.js';
import { verifyTenant } from '../../src/tenant/verify.js';
import { desiredTenant } from '../../src/tenant/desired.js';
import { observeTenant } from '../../src/tenant/observe.js';
import { planCreate } from '../../src/tenant/plan.js';
import { modifyIdentityPoolRoles } from '../../src/tenant/pool-roles.js';
import { backoffMs, MAX_INTERVAL_MS, waitFor, NotYet, Wrong } from '../../src/tenant/wait.js';
import { FakeAws } from './fake-aws.js';

function config(over: Record<string, unknown> = {}): StackConfig {
  return validateConfig(
    {
      stack: 'test',
      region: 'eu-central-1',
      accountId: '123456789012',
      userPoolId: 'eu-central-1_Pool1',
      userPoolClientId: 'client1',
      identityPoolId: 'eu-central-1:00000000-0000-0000-0000-000000000001',
      mapping: 'token',
      granularity: 'tenant',
      tables: [{ name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk', attributes: ['tenantId', 'sk', 'status'] }],
      ...over,
    },
    'test',
  );
}

function ctxFor(fake: FakeAws): TenantContext {
  return { config: fake.config, apis: fake.apis(), now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)), purpose: 'test' };
}

async function initialised(over: Record<string, unknown> = {}): Promise<{ fake: FakeAws; ctx: TenantContext }> {
  const fake = new FakeAws(config(over));
  fake.tables.set('Orders', {
    name: 'Orders',
    arn: 'arn:aws:dynamodb:eu-central-1:123456789012:table/Orders',
    status: 'ACTIVE',
    partitionKey: { name: 'tenantId', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
  });
  const ctx = ctxFor(fake);
  await initStack(ctx, { dryRun: false });
  fake.calls.length = 0;
  return { fake, ctx };
}

const create = (ctx: TenantContext, tenant: string, extra: Partial<Parameters<typeof createTenant>[1]> = {}) =>
  createTenant(ctx, { tenant, wait: 'none', timeoutMs: 5000, dryRun: false, ...extra });

describe('init', () => {
  it('creates boundary, lock table, Token mapping; a second run changes nothing', async () => {
    const fake = new FakeAws(config());
    fake.poolRoles = {
      Roles: { authenticated: 'arn:aws:iam::123456789012:role/auth' },
      RoleMappings: { 'other-provider': { Type: 'Token', AmbiguousRoleResolution: 'AuthenticatedRole' } },
    };
    const ctx = ctxFor(fake);
    const first = await initStack(ctx, { dryRun: false });
    expect(first.status).toBe('created');
    expect(first.steps.map((s) => s.action)).toEqual(['create-boundary', 'create-lock-table', 'put-role-mapping']);
    const key = 'cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Pool1:client1';
    expect(fake.poolRoles.RoleMappings[key]).toEqual({ Type: 'Token', AmbiguousRoleResolution: 'Deny' });
    // The other provider's entry and the authenticated role are kept.
    expect(fake.poolRoles.RoleMappings['other-provider']).toEqual({ Type: 'Token', AmbiguousRoleResolution: 'AuthenticatedRole' });
    expect(fake.poolRoles.Roles.authenticated).toBe('arn:aws:iam::123456789012:role/auth');
    fake.calls.length = 0;
    const second = await initStack(ctx, { dryRun: false });
    expect(second.status).toBe('unchanged');
    expect(fake.mutatingCalls()).toEqual([]);
  });

  it('updates a changed boundary as a new default version, pruning the oldest at 5', async () => {
    const { fake, ctx } = await initialised();
    const arn = 'arn:aws:iam::123456789012:policy/isoctl/test/isoctl-test-boundary';
    const p = fake.policies.get(arn)!;
    for (let i = 2; i <= 5; i++) p.versions.push({ id: `v${i}`, doc: '{"Version":"2012-10-17","Statement":[]}', isDefault: false, created: Date.now() + i });
    p.versions.forEach((v) => (v.isDefault = v.id === 'v5'));
    p.next = 6;
    const r = await initStack(ctx, { dryRun: false });
    expect(r.steps.map((s) => s.action)).toEqual(['update-boundary']);
    expect(r.steps[0]?.detail).toMatch(/new default version v6; deleted old version v1/);
    expect(p.versions.map((v) => v.id)).toEqual(['v2', 'v3', 'v4', 'v5', 'v6']);
  });

  it('granularity user sets the principal-tag map userid <- sub', async () => {
    const { fake } = await initialised({ granularity: 'user' });
    expect(fake.tagMaps.get('cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Pool1')).toEqual({ useDefaults: false, principalTags: { userid: 'sub' } });
  });

  it('refuses to switch a pool with rules to token mapping (exit 4)', async () => {
    const fake = new FakeAws(config());
    fake.poolRoles.RoleMappings['cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Pool1:client1'] = {
      Type: 'Rules',
      AmbiguousRoleResolution: 'Deny',
      RulesConfiguration: {
        Rules: [{ Claim: 'custom:tenant', MatchType: 'Equals', Value: 'a', RoleArn: 'arn:aws:iam::123456789012:role/isoctl/test/isoctl-test-a' }],
      },
    };
    await expect(initStack(ctxFor(fake), { dryRun: false })).rejects.toMatchObject({ code: 'mapping_conflict' });
  });
});

describe('tenant create (token mapping)', () => {
  it('makes role (one CreateRole with path, trust, boundary, tags), policy, group, probe user, in that order', async () => {
    const { fake, ctx } = await initialised();
    const r = await create(ctx, 'acme');
    expect(r.status).toBe('created');
    expect(r.steps.map((s) => s.action)).toEqual(['create-role', 'put-data-policy', 'create-group', 'create-probe-user', 'add-probe-to-group']);
    const role = fake.roles.get('isoctl-test-acme')!;
    expect(role.path).toBe('/isoctl/test/');
    expect(role.boundary).toBe('arn:aws:iam::123456789012:policy/isoctl/test/isoctl-test-boundary');
    expect(role.tags).toMatchObject({ 'isoctl:stack': 'test', 'isoctl:tenant': 'acme', 'isoctl:managed-by': 'isoctl', 'isoctl:scopes': 'read+write' });
    expect(fake.calls.filter((c) => c.operation === 'CreateRole')).toHaveLength(1);
    expect(fake.groups.get('acme')?.roleArn).toBe('arn:aws:iam::123456789012:role/isoctl/test/isoctl-test-acme');
    expect([...fake.users.get('isoctl-probe-acme')!.groups]).toEqual(['acme']);
  });

  it('a re-run on a complete tenant makes zero mutating calls and says unchanged', async () => {
    const { fake, ctx } = await initialised();
    await create(ctx, 'acme');
    fake.calls.length = 0;
    const r = await create(ctx, 'acme', { wait: 'cognito' });
    expect(r.status).toBe('unchanged');
    expect(r.steps).toEqual([]);
    expect(fake.mutatingCalls()).toEqual([]);
    expect(r.wait?.checks.map((c) => [c.name, c.state])).toEqual([
      ['iam:role', 'ok'],
      ['iam:inline-policy', 'ok'],
      ['cognito:group', 'ok'],
    ]);
  });

  it('repairs a hand-edited inline policy and removes a foreign inline policy', async () => {
    const { fake, ctx } = await initialised();
    await create(ctx, 'acme');
    const role = fake.roles.get('isoctl-test-acme')!;
    role.policies.set('isoctl-data', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] }));
    role.policies.set('debug', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:Scan', Resource: '*' }] }));
    fake.calls.length = 0;
    const r = await create(ctx, 'acme');
    expect(r.status).toBe('updated');
    expect(r.steps.map((s) => s.action)).toEqual(['put-data-policy', 'delete-inline-policy']);
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['PutRolePolicy', 'DeleteRolePolicy']);
    const want = desiredTenant(ctx.config, 'acme', ['read', 'write']).dataPolicy.json;
    expect(role.policies.get('isoctl-data')).toBe(want);
    expect([...role.policies.keys()]).toEqual(['isoctl-data']);
  });

  it('repairs trust, boundary and tags', async () => {
    const { fake, ctx } = await initialised();
    await create(ctx, 'acme');
    const role = fake.roles.get('isoctl-test-acme')!;
    role.trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] });
    role.boundary = undefined;
    // A missing tenant tag is repaired; a tenant tag naming another tenant is refused (test/tenant/ownership.test.ts).
    delete role.tags['isoctl:tenant'];
    role.tags['isoctl:stale'] = 'x';
    role.tags.owner = 'team-a';
    const r = await create(ctx, 'acme');
    expect(r.steps.map((s) => s.action)).toEqual(['update-trust-policy', 'put-permissions-boundary', 'tag-role', 'untag-role']);
    expect(role.tags).toMatchObject({ 'isoctl:tenant': 'acme', owner: 'team-a' });
    expect(role.tags['isoctl:stale']).toBeUndefined();
  });

  it('finishes a tenant whose first run crashed halfway', async () => {
    const { fake, ctx } = await initialised();
    fake.failOnce.set(
      'CreateGroup',
      new AwsCallError('cognito-idp', 'CreateGroup', Object.assign(new Error('boom'), { name: 'InternalErrorException', $metadata: { httpStatusCode: 500 } })),
    );
    // InternalErrorException is "throttled" (retryable) in the classifier, so the step retries and succeeds.
    const r1 = await create(ctx, 'acme');
    expect(r1.status).toBe('created');
    // A crash that is not retryable leaves a half tenant; the re-run completes it.
    const { fake: f2, ctx: c2 } = await initialised();
    f2.failOnce.set(
      'AdminCreateUser',
      new AwsCallError('cognito-idp', 'AdminCreateUser', Object.assign(new Error('nope'), { name: 'InvalidParameterException' })),
    );
    await expect(create(c2, 'beta')).rejects.toBeInstanceOf(AwsCallError);
    expect(f2.roles.has('isoctl-test-beta')).toBe(true);
    expect(f2.users.has('isoctl-probe-beta')).toBe(false);
    f2.calls.length = 0;
    const r2 = await create(c2, 'beta');
    expect(r2.status).toBe('updated');
    expect(r2.steps.map((s) => s.action)).toEqual(['create-probe-user', 'add-probe-to-group']);
  });

  it('refuses a same-named role outside the stack path, and one without the tags (exit 4), before changing anything', async () => {
    const { fake, ctx } = await initialised();
    await fake
      .apis()
      .iam.createRole({ name: 'isoctl-test-acme', path: '/', trustPolicy: '{"Version":"2012-10-17","Statement":[]}', permissionsBoundaryArn: '', tags: {} });
    fake.calls.length = 0;
    const e1 = await create(ctx, 'acme').catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(RefusedError);
    expect((e1 as Error).message).toMatch(/outside the stack path/);
    expect(fake.mutatingCalls()).toEqual([]);
    await fake.apis().iam.createRole({
      name: 'isoctl-test-bob',
      path: '/isoctl/test/',
      trustPolicy: '{"Version":"2012-10-17","Statement":[]}',
      permissionsBoundaryArn: '',
      tags: { 'isoctl:stack': 'test' },
    });
    await expect(create(ctx, 'bob')).rejects.toThrow(/does not carry the tag isoctl:managed-by=isoctl/);
  });

  it("refuses to take over a group that is not isoctl's", async () => {
    const { fake, ctx } = await initialised();
    fake.groups.set('acme', { name: 'acme', roleArn: 'arn:aws:iam::123456789012:role/someone-else', description: 'admins', precedence: undefined });
    await expect(create(ctx, 'acme')).rejects.toMatchObject({ code: 'not_owned' });
    expect(fake.roles.size).toBe(0);
  });

  it('--dry-run returns the plan with the exact documents and calls nothing that mutates', async () => {
    const { fake, ctx } = await initialised();
    const r = await create(ctx, 'acme', { dryRun: true });
    expect(r.status).toBe('planned');
    expect(r.steps.every((s) => s.state === 'planned')).toBe(true);
    expect(r.documents?.dataPolicy).toEqual(desiredTenant(ctx.config, 'acme', ['read', 'write']).dataPolicy.document);
    expect(r.steps[0]?.document).toEqual(r.documents?.trustPolicy);
    expect(fake.mutatingCalls()).toEqual([]);
  });

  it('keeps the scopes recorded on the role when --scope is not given; changes them when it is', async () => {
    const { fake, ctx } = await initialised();
    await create(ctx, 'acme', { scopes: ['read'] });
    expect(fake.roles.get('isoctl-test-acme')!.tags['isoctl:scopes']).toBe('read');
    const again = await create(ctx, 'acme');
    expect(again.status).toBe('unchanged');
    expect(again.scopes).toEqual(['read']);
    const widened = await create(ctx, 'acme', { scopes: ['read,write'] });
    expect(widened.steps.map((s) => s.action)).toEqual(['tag-role', 'put-data-policy']);
  });

  it('refuses before any AWS call when the stack is not initialised', async () => {
    const fake = new FakeAws(config());
    await expect(create(ctxFor(fake), 'acme')).rejects.toMatchObject({ code: 'not_initialized' });
    expect(fake.mutatingCalls()).toEqual([]);
  });

  it('rejects an invalid tenant id before any AWS call', async () => {
    const fake = new FakeAws(config());
    await expect(create(ctxFor(fake), 'Acme*')).rejects.toMatchObject({ code: 'invalid_tenant_id' });
    expect(fake.calls).toEqual([]);
  });
});

describe('silo tables', () => {
  it("create makes the tenant's table, the probe reads it and is denied another tenant's; delete keeps it", async () => {
    const { fake, ctx } = await initialised({
      tables: [
        { name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk', attributes: ['tenantId', 'sk', 'status'] },
        { name: 'Ledger', partitionKey: 'pk', model: 'silo' },
      ],
    });
    const r = await create(ctx, 'acme');
    expect(r.steps.map((s) => s.action)).toContain('create-silo-table');
    expect(fake.tables.get('Ledger-acme')?.partitionKey).toEqual({ name: 'pk', type: 'S' });
    await create(ctx, 'beta');
    const v = await verifyTenant(ctx, 'acme');
    expect(v.checks.filter((c) => c.name.endsWith('silo-table')).map((c) => [c.name, c.table, c.outcome])).toEqual([
      ['own-silo-table', 'Ledger-acme', 'allowed'],
      ['other-silo-table', 'Ledger-beta', 'denied'],
    ]);
    const again = await create(ctx, 'acme');
    expect(again.status).toBe('unchanged');
    const d = await deleteTenant(ctx, { tenant: 'acme', dryRun: false, ignoreMissing: false });
    expect(d.kept).toEqual(['Ledger-acme']);
    expect(fake.tables.has('Ledger-acme')).toBe(true);
  });
});

describe('tenant create (rules mapping)', () => {
  it('adds a rule under the lock, keeps other rules and entries, re-reads after writing', async () => {
    const { fake, ctx } = await initialised({ mapping: 'rules' });
    fake.poolRoles.RoleMappings['other'] = { Type: 'Token', AmbiguousRoleResolution: 'Deny' };
    await create(ctx, 'acme');
    await create(ctx, 'beta');
    const key = 'cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Pool1:client1';
    expect(fake.poolRoles.RoleMappings[key]?.Type).toBe('Rules');
    expect(fake.poolRoles.RoleMappings[key]?.RulesConfiguration?.Rules.map((r) => r.Value)).toEqual(['acme', 'beta']);
    expect(fake.poolRoles.RoleMappings.other).toEqual({ Type: 'Token', AmbiguousRoleResolution: 'Deny' });
    expect(fake.users.get('isoctl-probe-acme')?.attributes['custom:tenant']).toBe('acme');
    const ops = fake.calls.map((c) => c.operation);
    const set = ops.indexOf('SetIdentityPoolRoles');
    expect(ops.slice(set - 2, set + 3)).toEqual(['PutItem', 'GetIdentityPoolRoles', 'SetIdentityPoolRoles', 'GetIdentityPoolRoles', 'DeleteItem']);
    expect(fake.leases.size).toBe(0);
  });

  it('refuses the 26th tenant with exit 4 and advice', async () => {
    const { fake, ctx } = await initialised({ mapping: 'rules' });
    const key = 'cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Pool1:client1';
    fake.poolRoles.RoleMappings[key] = {
      Type: 'Rules',
      AmbiguousRoleResolution: 'Deny',
      RulesConfiguration: {
        Rules: Array.from({ length: 25 }, (_, i) => ({
          Claim: 'custom:tenant',
          MatchType: 'Equals' as const,
          Value: `t${i}`,
          RoleArn: `arn:aws:iam::123456789012:role/isoctl/test/isoctl-test-t${i}`,
        })),
      },
    };
    const e = await create(ctx, 'one-too-many').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RefusedError);
    expect((e as RefusedError).code).toBe('rules_limit');
    expect((e as Error).message).toMatch(/25/);
    expect((e as Error).message).toMatch(/"mapping": "token"/);
    expect(fake.mutatingCalls()).toEqual([]);
  });

  it('deleting the last tenant leaves a Token+Deny placeholder (Cognito needs >= 1 rule in a Rules entry)', async () => {
    const { fake, ctx } = await initialised({ mapping: 'rules' });
    await create(ctx, 'acme');
    await deleteTenant(ctx, { tenant: 'acme', dryRun: false, ignoreMissing: false });
    const key = 'cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Pool1:client1';
    expect(fake.poolRoles.RoleMappings[key]).toEqual({ Type: 'Token', AmbiguousRoleResolution: 'Deny' });
  });
});

describe('identity pool read-modify-write and the lock', () => {
  it('fails (retryable) when the re-read does not show what was written', async () => {
    const { fake, ctx } = await initialised();
    fake.tamperAfterSet = true;
    const e = await modifyIdentityPoolRoles(ctx.apis, ctx.config, ctx, (r) => {
      r.RoleMappings.x = { Type: 'Token', AmbiguousRoleResolution: 'Deny' };
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FailedError);
    expect((e as FailedError).retryable).toBe(true);
    expect(fake.leases.size).toBe(0);
  });

  it('waits for a held lease and refuses (lock_held, exit 4) when it is not released in time', async () => {
    const { fake, ctx } = await initialised({ mapping: 'rules' });
    fake.leases.set('identity-pool/eu-central-1:00000000-0000-0000-0000-000000000001', {
      lockId: 'x',
      owner: 'other',
      expiresAt: Date.now() + 60_000,
      holder: 'ci-runner pid 7',
    });
    const e = await modifyIdentityPoolRoles(ctx.apis, ctx.config, { ...ctx, waitMs: 300 }, () => undefined).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RefusedError);
    expect((e as RefusedError).code).toBe('lock_held');
    expect((e as Error).message).toMatch(/ci-runner pid 7/);
  });

  it('takes over an expired lease', async () => {
    const { fake, ctx } = await initialised({ mapping: 'rules' });
    fake.leases.set('identity-pool/eu-central-1:00000000-0000-0000-0000-000000000001', {
      lockId: 'x',
      owner: 'crashed',
      expiresAt: Date.now() - 1,
      holder: 'gone',
    });
    await create(ctx, 'acme');
    expect(fake.poolRoles.RoleMappings['cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Pool1:client1']?.Type).toBe('Rules');
  });
});

describe('convergence waits', () => {
  it('backoff is capped exponential with jitter and never above 2 s', () => {
    for (let attempt = 1; attempt < 40; attempt++) {
      for (const r of [0, 0.5, 0.999999]) {
        const ms = backoffMs(attempt, () => r);
        expect(ms).toBeLessThanOrEqual(MAX_INTERVAL_MS);
        expect(ms).toBeGreaterThan(0);
      }
    }
    expect(backoffMs(1, () => 0)).toBeLessThan(backoffMs(4, () => 0));
    expect(backoffMs(3, () => 0)).not.toBe(backoffMs(3, () => 0.99));
  });

  it('retries "not yet", stops at once on "wrong", marks later checks pending', async () => {
    let n = 0;
    const r = await waitFor(
      [
        { name: 'a', service: 'iam', waitingFor: 'a', run: async () => (++n < 3 ? Promise.reject(new NotYet('no')) : 'yes') },
        { name: 'b', service: 'cognito', waitingFor: 'b', run: async () => Promise.reject(new Wrong('bad provider')) },
        { name: 'c', service: 'dynamodb', waitingFor: 'c', run: async () => 'never' },
      ],
      { timeoutMs: 10_000 },
    );
    expect(r.ok).toBe(false);
    expect(r.timedOut).toBe(false);
    expect(r.checks.map((c) => [c.name, c.state, c.attempts])).toEqual([
      ['a', 'ok', 3],
      ['b', 'failed', 1],
      ['c', 'pending', 0],
    ]);
    expect(r.checks[1]?.detail).toBe('bad provider');
  });

  it('classifies AWS errors: NoSuchEntity / propagating retried, validation not', async () => {
    const aws = (name: string, message = 'x') => new AwsCallError('iam', 'Op', Object.assign(new Error(message), { name }));
    let calls = 0;
    const r = await waitFor(
      [
        { name: 'nse', service: 'iam', waitingFor: '', run: async () => (++calls < 2 ? Promise.reject(aws('NoSuchEntity')) : 'ok') },
        { name: 'val', service: 'iam', waitingFor: '', run: async () => Promise.reject(aws('ValidationError', 'Role name is not an ARN')) },
      ],
      { timeoutMs: 5000 },
    );
    expect(r.checks.map((c) => c.state)).toEqual(['ok', 'failed']);
    expect(r.checks[1]?.detail).toMatch(/ValidationError/);
  });

  it('create --wait times out with PendingError (exit 75), pending checks and retryAfterSeconds; the re-run finishes', async () => {
    const { fake, ctx } = await initialised();
    fake.lag.getRolePolicy = 1_000_000;
    const started = Date.now();
    const e = await create(ctx, 'acme', { wait: 'cognito', timeoutMs: 1200 }).catch((x: unknown) => x);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(e).toBeInstanceOf(PendingError);
    const p = e as PendingError;
    expect(p.retryAfterSeconds).toBeGreaterThan(0);
    expect(p.details?.pending).toEqual(['iam:inline-policy', 'cognito:group', 'cognito:credentials']);
    const result = p.details?.result as { wait: { checks: Array<{ name: string; state: string }> } };
    expect(result.wait.checks.map((c) => c.state)).toEqual(['ok', 'pending', 'pending', 'pending']);
    fake.lag.getRolePolicy = 0;
    fake.calls.length = 0;
    const again = await create(ctx, 'acme', { wait: 'cognito', timeoutMs: 5000 });
    expect(again.status).toBe('unchanged');
    expect(again.wait?.ok).toBe(true);
    expect(fake.mutatingCalls()).toEqual([]);
  });

  it('--wait data retries Cognito not seeing the role and DynamoDB denying inside the window', async () => {
    const { fake, ctx } = await initialised();
    fake.lag.credentials = 2;
    fake.lag.dataDenied = 2;
    const r = await create(ctx, 'acme', { wait: 'data', timeoutMs: 20_000 });
    // Cognito refusing credentials is waited out by the credentials proof (two refusals, then ok) ...
    const creds = r.wait?.checks.find((c) => c.name === 'cognito:credentials');
    expect(creds?.state).toBe('ok');
    expect(creds?.attempts).toBe(3);
    // ... and DynamoDB denying by the probe (one attempt's two reads denied, then ok).
    const probe = r.wait?.checks.find((c) => c.name === 'dynamodb:probe');
    expect(probe?.state).toBe('ok');
    expect(probe?.attempts).toBe(2);
  });

  it('--wait data fails at once (not a timeout) when a cross-tenant read is allowed', async () => {
    const { fake, ctx } = await initialised();
    fake.leak = true;
    const e = await create(ctx, 'acme', { wait: 'data', timeoutMs: 20_000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FailedError);
    expect((e as Error).message).toMatch(/isolation does not hold/);
  });
});

describe('probe identity', () => {
  it('each probe gets fresh credentials; credentials are never shared between tenants', async () => {
    const { fake, ctx } = await initialised();
    await create(ctx, 'acme');
    await create(ctx, 'beta');
    const a1 = await verifyTenant(ctx, 'acme');
    const a2 = await verifyTenant(ctx, 'acme');
    const b1 = await verifyTenant(ctx, 'beta');
    expect(new Set([a1.accessKeyId, a2.accessKeyId, b1.accessKeyId]).size).toBe(3);
    expect(fake.sessions.get(a1.accessKeyId)?.tenant).toBe('acme');
    expect(fake.sessions.get(b1.accessKeyId)?.tenant).toBe('beta');
    // Every DynamoDB call was made with the credentials of the tenant that probe belonged to.
    const dataCalls = fake.calls.filter((c) => c.service === 'dynamodb' && c.caller !== 'admin');
    expect(dataCalls.length).toBeGreaterThan(0);
    for (const c of dataCalls) expect([a1.accessKeyId, a2.accessKeyId, b1.accessKeyId]).toContain(c.caller);
    expect(dataCalls.filter((c) => c.caller === b1.accessKeyId).length).toBe(dataCalls.filter((c) => c.caller === a1.accessKeyId).length);
    expect(a1.isolated && b1.isolated).toBe(true);
    expect(a1.against).toBe('beta');
    expect(a1.checks.map((c) => [c.name, c.outcome])).toEqual([
      ['own-partition', 'allowed'],
      ['other-partition', 'denied'],
      ['mixed-keys', 'denied'],
      ['forbidden-attribute', 'denied'],
    ]);
  });

  it('reports a broken isolation (isolated false)', async () => {
    const { fake, ctx } = await initialised();
    await create(ctx, 'acme');
    fake.leak = true;
    const r = await verifyTenant(ctx, 'acme');
    expect(r.isolated).toBe(false);
    expect(r.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['other-partition', 'mixed-keys', 'forbidden-attribute']);
  });

  it('never returns or records the password', async () => {
    const { fake, ctx } = await initialised();
    await create(ctx, 'acme');
    const r = await verifyTenant(ctx, 'acme');
    const password = fake.users.get('isoctl-probe-acme')?.password ?? '';
    expect(password.length).toBeGreaterThan(20);
    expect(JSON.stringify(r)).not.toContain(password);
  });
});

describe('tenant delete', () => {
  it('removes mapping, probe user, inline policies, role in that order', async () => {
    const { fake, ctx } = await initialised();
    await create(ctx, 'acme');
    fake.calls.length = 0;
    const r = await deleteTenant(ctx, { tenant: 'acme', dryRun: false, ignoreMissing: false });
    expect(r.items.map((i) => i.action)).toEqual(['delete-group', 'delete-probe-user', 'delete-inline-policy', 'delete-role']);
    expect(r.counts).toEqual({ planned: 0, removed: 4, waiting: 0, failed: 0, skipped: 0 });
    // The deletion record (deleted#acme) is written before the first change, the registry row is
    // marked deleting (PutItem); after the last removal the record is dated again, then the row goes.
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual([
      'PutItem',
      'PutItem',
      'DeleteGroup',
      'AdminDeleteUser',
      'DeleteRolePolicy',
      'DeleteRole',
      'PutItem',
      'DeleteItem',
    ]);
    expect(fake.registryRows.get('deleted#acme')).toMatchObject({ tenant: 'acme', mode: 'token' });
    expect(fake.roles.size + fake.groups.size + fake.users.size).toBe(0);
    expect(r.registry).toBe('removed');
    expect(fake.registryRows.has('tenant#acme')).toBe(false);
  });

  it('finishes a half-deleted tenant; a missing one is NotFound (or absent with --ignore-missing)', async () => {
    const { fake, ctx } = await initialised();
    await create(ctx, 'acme');
    fake.groups.delete('acme');
    fake.users.delete('isoctl-probe-acme');
    const r = await deleteTenant(ctx, { tenant: 'acme', dryRun: false, ignoreMissing: false });
    expect(r.items.map((i) => i.action)).toEqual(['delete-inline-policy', 'delete-role']);
    await expect(deleteTenant(ctx, { tenant: 'acme', dryRun: false, ignoreMissing: false })).rejects.toBeInstanceOf(NotFoundError);
    expect((await deleteTenant(ctx, { tenant: 'acme', dryRun: false, ignoreMissing: true })).status).toBe('absent');
  });

  it('refuses a same-named role outside the stack path (exit 4) and changes nothing', async () => {
    const { fake, ctx } = await initialised();
    await fake.apis().iam.createRole({
      name: 'isoctl-test-acme',
      path: '/',
      trustPolicy: '{"Version":"2012-10-17","Statement":[]}',
      permissionsBoundaryArn: '',
      tags: { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': 'test' },
    });
    fake.calls.length = 0;
    await expect(deleteTenant(ctx, { tenant: 'acme', dryRun: false, ignoreMissing: false })).rejects.toBeInstanceOf(RefusedError);
    expect(fake.mutatingCalls()).toEqual([]);
    expect(fake.roles.has('isoctl-test-acme')).toBe(true);
  });

  it('--dry-run plans and asks nothing; confirmation runs before the first change', async () => {
    const { fake, ctx } = await initialised();
    await create(ctx, 'acme');
    fake.calls.length = 0;
    const confirm = vi.fn(async () => undefined);
    const plan = await deleteTenant(ctx, { tenant: 'acme', dryRun: true, ignoreMissing: false, confirm });
    expect(plan.status).toBe('planned');
    expect(confirm).not.toHaveBeenCalled();
    expect(fake.mutatingCalls()).toEqual([]);
    const refuse = async () => {
      throw new Error('user said no');
    };
    await expect(deleteTenant(ctx, { tenant: 'acme', dryRun: false, ignoreMissing: false, confirm: refuse })).rejects.toThrow('user said no');
    expect(fake.mutatingCalls()).toEqual([]);
  });
});

describe('tenant list / show', () => {
  it('ok, drift, orphan and dangling', async () => {
    const { fake, ctx } = await initialised();
    for (const t of ['ok1', 'drift1', 'orphan1', 'dangling1']) await create(ctx, t);
    fake.roles.get('isoctl-test-drift1')!.trust = JSON.stringify({ Version: '2012-10-17', Statement: [] });
    fake.groups.delete('orphan1');
    // Older than the propagation window: a real orphan, not IAM/Cognito lag after a create.
    fake.roles.get('isoctl-test-orphan1')!.createDate = new Date(Date.now() - 5 * 60_000).toISOString();
    fake.roles.get('isoctl-test-dangling1')!.policies.clear();
    fake.roles.delete('isoctl-test-dangling1');
    fake.calls.length = 0;
    const r = await listTenants(ctx, { deep: false });
    expect(r.tenants.map((t) => [t.tenant, t.status])).toEqual([
      ['dangling1', 'dangling'],
      ['drift1', 'drift'],
      ['ok1', 'ok'],
      ['orphan1', 'orphan'],
    ]);
    expect(r.tenants.find((t) => t.tenant === 'drift1')?.drift).toEqual(['trust']);
    expect(r.counts).toEqual({ ok: 1, drift: 1, orphan: 1, dangling: 1, propagating: 0 });
    // No per-role calls without --deep; the registry is one Scan (and, the first time, the
    // "filled" mark: every tenant with a role was registered by create already).
    expect(fake.calls.map((c) => c.operation).sort()).toEqual(['ListGroups', 'ListRoles', 'ListUsers', 'PutItem', 'Scan']);
    expect(r.registry).toMatchObject({ rows: 4, calls: 1, filled: [], registryOnly: [], awsOnly: [] });
    expect(r.tenants.map((t) => t.lifecycle)).toEqual(['active', 'active', 'active', 'active']);
    fake.calls.length = 0;
    await listTenants(ctx, { deep: false });
    expect(fake.calls.map((c) => c.operation).sort()).toEqual(['ListGroups', 'ListRoles', 'ListUsers', 'Scan']);
  });

  it('a role or group younger than a minute without its other half is propagating, not orphan or dangling', async () => {
    const { fake, ctx } = await initialised();
    for (const t of ['fresh-orphan', 'fresh-dangling', 'old-dangling']) await create(ctx, t);
    fake.groups.delete('fresh-orphan'); // role made just now; Cognito does not list its group yet
    fake.roles.delete('isoctl-test-fresh-dangling'); // group made just now; IAM does not list its role yet
    fake.groups.get('fresh-dangling')!.createdAt = Date.now() - 5_000;
    fake.roles.delete('isoctl-test-old-dangling');
    fake.groups.get('old-dangling')!.createdAt = Date.now() - 61_000;
    const r = await listTenants(ctx, { deep: false });
    expect(r.tenants.map((t) => [t.tenant, t.status])).toEqual([
      ['fresh-dangling', 'propagating'],
      ['fresh-orphan', 'propagating'],
      ['old-dangling', 'dangling'],
    ]);
    expect(r.counts).toMatchObject({ propagating: 2, dangling: 1, orphan: 0 });
    expect((await showTenant(ctx, 'fresh-orphan')).status).toBe('propagating');
  });

  it('--deep finds a hand-edited inline policy; show reports documents and status', async () => {
    const { fake, ctx } = await initialised();
    await create(ctx, 'acme');
    fake.roles
      .get('isoctl-test-acme')!
      .policies.set('isoctl-data', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] }));
    expect((await listTenants(ctx, { deep: false })).tenants[0]?.status).toBe('ok');
    const deep = await listTenants(ctx, { deep: true });
    expect(deep.tenants[0]).toMatchObject({ tenant: 'acme', status: 'drift', drift: ['policy'] });
    const show = await showTenant(ctx, 'acme');
    expect(show).toMatchObject({
      tenant: 'acme',
      status: 'drift',
      drift: ['policy'],
      mapping: { kind: 'group', name: 'acme' },
      probeUser: { username: 'isoctl-probe-acme', groups: ['acme'] },
    });
    expect(show.documents.dataPolicy).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] });
    await expect(showTenant(ctx, 'nobody')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('plan of a complete tenant is empty (observe -> plan round trip)', async () => {
    const { fake, ctx } = await initialised({ mapping: 'rules', granularity: 'user' });
    await create(ctx, 'acme');
    const observed = await observeTenant(fake.apis(), ctx.config, 'acme');
    expect(planCreate(ctx.config, desiredTenant(ctx.config, 'acme', ['read', 'write']), observed)).toEqual([]);
  });
});
