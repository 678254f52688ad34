// tenant create proves the new tenant against the stack's existing tenants, in both directions,
// not only against a made-up neighbour (docs/security.md row 12a; #11 vector 3: "proves the new
// tenant against every existing tenant of the stack").
import { describe, expect, it, vi } from 'vitest';
import { AwsCallError } from '../../src/aws/errors.js';
import { validateConfig } from '../../src/config/load.js';
import { RefusedError } from '../../src/errors.js';
import type { StackConfig } from '../../src/config/schema.js';
import { buildBoundaryPolicy, type PolicyDocument, type PolicyStatement } from '../../src/policy/index.js';
import * as proof from '../../src/policy/proof.js';
import type { TenantContext } from '../../src/tenant/context.js';
import { createTenant } from '../../src/tenant/create.js';
import { initStack } from '../../src/tenant/stack.js';
import { FakeAws } from '../tenant/fake-aws.js';
import { makeConfig } from './helpers.js';

// Record what tenant create hands the proof (the real proof runs underneath).
const calls: Array<{ tenants: string[]; subject?: string | undefined }> = [];
vi.mock('../../src/policy/proof.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/policy/proof.js')>();
  return {
    ...real,
    proveIsolation: (config: StackConfig, tenants: string[], options?: proof.ProofOptions) => {
      calls.push({ tenants: [...tenants], subject: options?.subject });
      return real.proveIsolation(config, tenants, options);
    },
  };
});

const silo = () => makeConfig({ tables: [{ name: 'ledger', partitionKey: 'pk', model: 'silo' }], buckets: [{ name: 'isoctl-files' }] });

/** The stack's boundary with a hole: `holder` (by its role tag) may read `victim`'s silo table. */
function holeInto(config: StackConfig, holder: string, victim: string): PolicyDocument {
  const boundary = buildBoundaryPolicy(config);
  const hole: PolicyStatement = {
    Sid: 'Hole',
    Effect: 'Allow',
    Action: 'dynamodb:GetItem',
    Resource: `arn:aws:dynamodb:eu-central-1:123456789012:table/ledger-${victim}`,
    Condition: { StringEquals: { 'aws:PrincipalTag/isoctl:tenant': holder } },
  };
  return { ...boundary, Statement: [...[boundary.Statement].flat(), hole] };
}

describe('isolation proof against the existing tenants', () => {
  it('an existing tenant whose boundary grant reaches the new one is caught only with the existing ids (and the new one onto an existing one)', () => {
    const config = silo();
    // Before: the new tenant next to a made-up neighbour only.
    expect(proof.proveIsolation(config, ['globex', 'isoctl-proof-neighbour'], { boundary: holeInto(config, 'acme', 'globex') }).ok).toBe(true);
    // The existing tenants acme and b: acme's documents reach globex's table and prefix.
    const into = proof.proveIsolation(config, ['globex', 'isoctl-proof-neighbour', 'b', 'acme'], {
      boundary: holeInto(config, 'acme', 'globex'),
      subject: 'globex',
    });
    expect(into.ok).toBe(false);
    expect(new Set(into.failures.map((f) => f.tenant))).toEqual(new Set(['acme']));
    expect(into.failures.some((f) => f.probe.includes('other-tenant-table'))).toBe(true);
    // The other direction: the new tenant's documents reach an existing tenant's data.
    const out = proof.proveIsolation(config, ['globex', 'isoctl-proof-neighbour', 'b', 'acme'], {
      boundary: holeInto(config, 'globex', 'b'),
      subject: 'globex',
    });
    expect(out.ok).toBe(false);
    expect(new Set(out.failures.map((f) => f.tenant))).toEqual(new Set(['globex']));
    // The subject mode is linear: the existing tenants are not paired among themselves.
    const fine = proof.proveIsolation(config, ['globex', 'isoctl-proof-neighbour', 'b', 'acme'], {
      boundary: holeInto(config, 'acme', 'b'),
      subject: 'globex',
    });
    expect(fine.ok).toBe(true);
  });

  it("tenant create passes the registry's existing tenant ids to the proof, with the new tenant as subject", async () => {
    const cfg = validateConfig(
      {
        stack: 'test',
        region: 'eu-central-1',
        accountId: '123456789012',
        userPoolId: 'eu-central-1_Pool1',
        userPoolClientId: 'client1',
        identityPoolId: 'eu-central-1:00000000-0000-0000-0000-000000000001',
        mapping: 'token',
        granularity: 'tenant',
        tables: [{ name: 'Files', partitionKey: 'pk', model: 'silo' }],
      },
      'test',
    );
    const fake = new FakeAws(cfg);
    let t = 0;
    const ctx: TenantContext = { config: fake.config, apis: fake.apis(), now: () => t, sleep: async (ms: number) => void (t += ms), purpose: 'test' };
    await initStack(ctx, { dryRun: false });
    for (const id of ['acme', 'b']) await createTenant(ctx, { tenant: id, wait: 'none', timeoutMs: 5000, dryRun: false });
    calls.length = 0;
    await createTenant(ctx, { tenant: 'globex', wait: 'none', timeoutMs: 5000, dryRun: false });
    const withExisting = calls.find((c) => c.subject === 'globex' && c.tenants.includes('acme'));
    expect(withExisting?.tenants.sort()).toEqual(['acme', 'b', 'globex', 'isoctl-proof-neighbour']);
  });

  it('1,000 existing tenants: the proof stays linear (timing reported, not asserted)', () => {
    const config = silo();
    const existing = Array.from({ length: 1000 }, (_, i) => `t${i}`);
    const started = performance.now();
    const r = proof.proveIsolation(config, ['globex', 'isoctl-proof-neighbour', ...existing], { subject: 'globex' });
    const ms = performance.now() - started;
    console.log(`proof of 1 new tenant against 1,000 existing: ${r.probes} probes in ${ms.toFixed(0)} ms`);
    expect(r.ok).toBe(true);
    expect(r.tenants).toBe(1002);
  });
});

// docs/security.md row 4c: the operator policy has no SetPrincipalTagAttributeMap (it only applies
// on "*"), so init as the operator with the map missing is refused with the admin step named.
describe('init: the principal-tag map is the admin step', () => {
  it('AccessDenied on SetPrincipalTagAttributeMap is exit 4 principal_tags_need_admin', async () => {
    const cfg = validateConfig(
      {
        stack: 'test',
        region: 'eu-central-1',
        accountId: '123456789012',
        userPoolId: 'eu-central-1_Pool1',
        userPoolClientId: 'client1',
        identityPoolId: 'eu-central-1:00000000-0000-0000-0000-000000000001',
        mapping: 'token',
        granularity: 'user',
        tables: [{ name: 'Files', partitionKey: 'pk', model: 'silo' }],
      },
      'test',
    );
    const fake = new FakeAws(cfg);
    fake.failOnce.set(
      'SetPrincipalTagAttributeMap',
      new AwsCallError(
        'cognito-identity',
        'SetPrincipalTagAttributeMap',
        Object.assign(new Error('not authorized to perform: cognito-identity:SetPrincipalTagAttributeMap'), { name: 'AccessDeniedException' }),
      ),
    );
    let t = 0;
    const ctx: TenantContext = { config: fake.config, apis: fake.apis(), now: () => t, sleep: async (ms: number) => void (t += ms), purpose: 'test' };
    const err = await initStack(ctx, { dryRun: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).code).toBe('principal_tags_need_admin');
    expect((err as Error).message).toMatch(/--kind admin/);
    // The admin's run writes it.
    expect((await initStack(ctx, { dryRun: false })).steps.map((s) => s.action)).toContain('put-principal-tag-map');
  });
});
