// The apply engine in process against the in-memory AWS (fast): what the subprocess tests cannot
// set up cheaply. A tenant refused by the ownership filter fails alone; a retryable error makes
// the tenant be read again and re-planned; a non-retryable one fails that tenant only; the rules
// limit is counted over the whole batch; an abort stops taking tenants and reports the rest
// pending; a bad spec handed as an object (the library) is refused before any call.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { AwsCallError } from '../../src/aws/errors.js';
import { UsageError } from '../../src/errors.js';
import type { TenantContext } from '../../src/tenant/context.js';
import { initStack } from '../../src/tenant/stack.js';
import { applyTenants, exitKindOf, type ApplyResult, type PlannedApply } from '../../src/ops/apply/index.js';
import { FakeAws } from '../tenant/fake-aws.js';

function fakeFor(mapping: 'token' | 'rules' = 'token'): FakeAws {
  const fake = new FakeAws(
    validateConfig(
      {
        stack: 'test',
        region: 'eu-central-1',
        accountId: '123456789012',
        userPoolId: 'eu-central-1_Pool1',
        userPoolClientId: 'client1',
        identityPoolId: 'eu-central-1:00000000-0000-0000-0000-000000000001',
        mapping,
        granularity: 'tenant',
        tables: [{ name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk' }],
      },
      'test',
    ),
  );
  fake.tables.set('Orders', {
    name: 'Orders',
    arn: 'arn:aws:dynamodb:eu-central-1:123456789012:table/Orders',
    status: 'ACTIVE',
    partitionKey: { name: 'tenantId', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
  });
  return fake;
}

async function initialised(mapping: 'token' | 'rules' = 'token', signal?: AbortSignal): Promise<{ fake: FakeAws; ctx: TenantContext }> {
  const fake = fakeFor(mapping);
  const ctx: TenantContext = {
    config: fake.config,
    apis: fake.apis(),
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))),
    signal,
    purpose: 'test',
  };
  await initStack(ctx, { dryRun: false });
  fake.calls.length = 0;
  return { fake, ctx };
}

const spec = (ids: string[]) => ({ tenants: ids.map((id) => ({ id })) });
const run = (ctx: TenantContext, ids: string[], opts: Parameters<typeof applyTenants>[2] = {}) =>
  applyTenants(ctx, spec(ids), { wait: 'none', ...opts }) as Promise<ApplyResult>;

describe('apply engine', () => {
  it("a tenant whose role is not isoctl's fails alone (refused in the plan); the others are created", async () => {
    const { fake, ctx } = await initialised();
    // A role of the tenant's name at the stack path, without isoctl's tags.
    await ctx.apis.iam.createRole({
      name: 'isoctl-test-bad',
      path: '/isoctl/test/',
      trustPolicy: '{"Version":"2012-10-17","Statement":[]}',
      tags: {},
    } as never);
    fake.calls.length = 0;
    const dry = (await applyTenants(ctx, spec(['a1', 'bad', 'a2']), { dryRun: true })) as PlannedApply;
    expect(dry.counts).toMatchObject({ create: 2, refused: 1 });
    expect(fake.mutatingCalls()).toEqual([]);
    const r = await run(ctx, ['a1', 'bad', 'a2']);
    expect(r.counts).toMatchObject({ created: 2, failed: 1 });
    expect(r.tenants.find((t) => t.tenant === 'bad')).toMatchObject({ status: 'failed', code: 'not_owned' });
    expect(exitKindOf(r)).toBe('failed');
    expect(fake.roles.get('isoctl-test-bad')?.tags ?? {}).toEqual({});
  });

  it("--prune leaves a name-alike that is not isoctl's alone (no tenant of the stack); a named delete of it is refused", async () => {
    const { fake, ctx } = await initialised();
    await run(ctx, ['p1', 'p2']);
    await ctx.apis.iam.createRole({
      name: 'isoctl-test-alien',
      path: '/isoctl/test/',
      trustPolicy: '{"Version":"2012-10-17","Statement":[]}',
      tags: {},
    } as never);
    fake.calls.length = 0;
    const r = await run(ctx, ['p1'], { prune: true });
    expect(r.tenants.map((t) => [t.tenant, t.status])).toEqual([
      ['p1', 'unchanged'],
      ['p2', 'deleted'],
    ]);
    expect(fake.roles.has('isoctl-test-alien')).toBe(true);
    const named = await applyTenants(ctx, { tenants: [] }, { remove: ['alien'], wait: 'none' });
    expect((named as ApplyResult).tenants[0]).toMatchObject({ tenant: 'alien', status: 'failed', code: 'not_owned' });
    expect(fake.roles.has('isoctl-test-alien')).toBe(true);
  });

  it('a retryable error re-reads and re-plans the tenant, which is then created; a non-retryable one fails only that tenant', async () => {
    const { fake, ctx } = await initialised();
    // ConcurrentModification is not retried inside a step (src/tenant/apply.ts retries "not yet"
    // and throttling only): only the engine's re-plan gets past it.
    fake.failOnce.set(
      'CreateGroup',
      new AwsCallError(
        'cognito-idp',
        'CreateGroup',
        Object.assign(new Error('busy'), { name: 'ConcurrentModificationException', $metadata: { httpStatusCode: 400 } }),
      ),
    );
    const r = await run(ctx, ['r1'], { concurrency: 1 });
    expect(r.tenants[0]).toMatchObject({ tenant: 'r1', status: 'created' });
    expect(fake.calls.filter((c) => c.operation === 'CreateGroup').length).toBe(2);
    // Re-planned: the role made before the error is not made again.
    expect(fake.calls.filter((c) => c.operation === 'CreateRole').length).toBe(1);

    fake.failOnce.set(
      'PutRolePolicy',
      new AwsCallError('iam', 'PutRolePolicy', Object.assign(new Error('no'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })),
    );
    const s = await run(ctx, ['r2', 'r3'], { concurrency: 1 });
    expect(s.counts).toMatchObject({ created: 1, failed: 1 });
    expect(s.tenants.find((t) => t.status === 'failed')?.code).toBe('AccessDenied');
  });

  it('rules mode: the 25-rule limit is counted over the batch, and all rules go in one write', async () => {
    const { fake, ctx } = await initialised('rules');
    const ids = Array.from({ length: 27 }, (_, i) => `q${i + 1}`);
    const r = await run(ctx, ids);
    expect(r.counts).toMatchObject({ created: 25, failed: 2 });
    expect(r.tenants.filter((t) => t.status === 'failed').map((t) => t.code)).toEqual(['rules_limit', 'rules_limit']);
    expect(r.poolWrites).toBe(1);
    expect(fake.calls.filter((c) => c.operation === 'SetIdentityPoolRoles').length).toBe(1);
  });

  it('an abort stops taking tenants: interrupted, the ones not finished pending', async () => {
    const controller = new AbortController();
    const { ctx } = await initialised('token', controller.signal);
    const r = await run(ctx, ['s1', 's2', 's3', 's4', 's5', 's6'], { concurrency: 1, onProgress: (e) => e.done === 2 && controller.abort() });
    expect(r.interrupted).toBe(true);
    expect(exitKindOf(r)).toBe('interrupted');
    expect(r.counts.created).toBe(2);
    expect(r.counts.pending).toBe(4);
  });

  it('a bad spec handed as an object is refused before any call', async () => {
    const { fake, ctx } = await initialised();
    await expect(applyTenants(ctx, { tenants: [{ id: 'Bad' }, { id: 'ok' }, { id: 'ok' }] })).rejects.toThrow(UsageError);
    await expect(applyTenants(ctx, { tenants: [{ id: 'ok', scopes: ['nosuch'] }] })).rejects.toThrow(/expected one of the config's scopes/);
    await expect(applyTenants(ctx, { tenants: [] }, { remove: ['../x'] })).rejects.toThrow(UsageError);
    expect(fake.calls).toEqual([]);
  });
});
