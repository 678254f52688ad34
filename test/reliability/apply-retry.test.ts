// Found by the fault suite (seed 9003, rules mapping): SetIdentityPoolRoles was throttled on all of
// the SDK's attempts; the step layer retried the put-rule step, but the retry found the step
// marked as applied and reported it done without writing the rule. The create then waited 90 s
// for a rule that was never written and exited 75 ("changes made, not yet visible").
import { describe, expect, it } from 'vitest';
import { AwsCallError } from '../../src/aws/errors.js';
import type { TenantContext } from '../../src/tenant/context.js';
import { createTenant } from '../../src/tenant/create.js';
import { deleteTenant } from '../../src/tenant/delete.js';
import { initStack } from '../../src/tenant/stack.js';
import type { FakeAws } from '../tenant/fake-aws.js';
import { fakeAwsStack } from '../tenant/fake-stack.js';

const KEY = 'cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Pool1:client1';

function throttled(op: string): AwsCallError {
  return new AwsCallError('cognito-identity', op, Object.assign(new Error('Too many requests'), { name: 'TooManyRequestsException' }));
}

async function rulesStack(): Promise<{ fake: FakeAws; ctx: TenantContext }> {
  const fake = fakeAwsStack({ stack: 'retry', mapping: 'rules' });
  const ctx: TenantContext = {
    config: fake.config,
    apis: fake.apis(),
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))),
    purpose: 'test',
  };
  await initStack(ctx, { dryRun: false });
  fake.calls.length = 0;
  return { fake, ctx };
}

const rules = (fake: FakeAws) => fake.poolRoles.RoleMappings[KEY]?.RulesConfiguration?.Rules.map((r) => r.Value) ?? [];

describe('a throttled identity-pool write retried by the step layer', () => {
  it('tenant create: the rule is written on the retry, not reported done without it', async () => {
    const { fake, ctx } = await rulesStack();
    fake.failOnce.set('SetIdentityPoolRoles', throttled('SetIdentityPoolRoles'));
    const r = await createTenant(ctx, { tenant: 'acme', wait: 'none', timeoutMs: 5_000, dryRun: false });
    expect(r.steps.find((s) => s.action === 'put-rule')?.state).toBe('done');
    expect(rules(fake)).toEqual(['acme']);
    expect(fake.calls.filter((c) => c.operation === 'SetIdentityPoolRoles')).toHaveLength(2);
    expect(fake.leases.size).toBe(0);
  });

  it('tenant delete: the rule is removed on the retry', async () => {
    const { fake, ctx } = await rulesStack();
    await createTenant(ctx, { tenant: 'acme', wait: 'none', timeoutMs: 5_000, dryRun: false });
    await createTenant(ctx, { tenant: 'beta', wait: 'none', timeoutMs: 5_000, dryRun: false });
    fake.failOnce.set('SetIdentityPoolRoles', throttled('SetIdentityPoolRoles'));
    await deleteTenant(ctx, { tenant: 'acme', dryRun: false, ignoreMissing: false });
    expect(rules(fake)).toEqual(['beta']);
  });
});
