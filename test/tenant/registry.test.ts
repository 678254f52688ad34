// The registry's conditional writes with the in-memory fake: a writer that loses a race re-reads
// and decides again instead of overwriting; a row that never settles is exit 4 registry_conflict.
import { describe, expect, it } from 'vitest';
import { RefusedError } from '../../src/errors.js';
import type { TenantContext } from '../../src/tenant/context.js';
import { getTenantRow, registerTenant, setTenantStatus } from '../../src/tenant/registry.js';
import { initStack } from '../../src/tenant/stack.js';
import type { FakeAws } from './fake-aws.js';
import { fakeAwsStack } from './fake-stack.js';

async function setup(): Promise<{ fake: FakeAws; ctx: TenantContext }> {
  const fake = fakeAwsStack({ stack: 'test' });
  const ctx: TenantContext = { config: fake.config, apis: fake.apis(), now: () => Date.now(), sleep: async () => undefined };
  await initStack(ctx, { dryRun: false });
  return { fake, ctx };
}

describe('tenant registry (conditional writes)', () => {
  it('a suspend racing a create is not lost: the loser re-reads and keeps the other change', async () => {
    const { fake, ctx } = await setup();
    await registerTenant(ctx, 'acme', ['read']);
    // Operator B suspends acme between operator A's read and A's write (A changes the scopes).
    const put = ctx.apis.registry.put.bind(ctx.apis.registry);
    let raced = false;
    ctx.apis.registry.put = async (table, key, row, condition) => {
      if (!raced) {
        raced = true;
        const b: TenantContext = { ...ctx, apis: fake.apis() };
        expect(await setTenantStatus(b, 'acme', 'suspended', [])).toBe('updated');
      }
      return put(table, key, row, condition);
    };
    expect(await registerTenant(ctx, 'acme', ['read', 'write'])).toBe('updated');
    const row = await getTenantRow(ctx, 'acme');
    expect(row).toMatchObject({ status: 'suspended', scopes: ['read', 'write'], version: 3 });
  });

  it('two creates of a new tenant at once: one creates the row, the other finds it and writes nothing', async () => {
    const { ctx } = await setup();
    const results = await Promise.all([registerTenant(ctx, 'acme', ['read']), registerTenant(ctx, 'acme', ['read'])]);
    expect(results.sort()).toEqual(['created', 'unchanged']);
    expect(await getTenantRow(ctx, 'acme')).toMatchObject({ version: 1, status: 'active' });
  });

  it('a row that changes under every try is refused with exit 4 (registry_conflict), never overwritten', async () => {
    const { ctx } = await setup();
    await registerTenant(ctx, 'acme', ['read']);
    ctx.apis.registry.put = async () => false;
    const err = await registerTenant(ctx, 'acme', ['write']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).code).toBe('registry_conflict');
    expect((err as RefusedError).exitCode).toBe(4);
  });
});
