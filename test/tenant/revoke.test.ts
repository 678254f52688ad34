// revokeSessions on the fake AWS in rules mode (the sandbox e2e covers token mode): the users
// signed out are those whose tenant claim is the tenant, nobody else's; the revoke policy holds
// one statement per live revocation.
import { describe, expect, it } from 'vitest';
import type { TenantContext } from '../../src/tenant/context.js';
import { createTenant } from '../../src/tenant/create.js';
import { revokeSessions } from '../../src/tenant/revoke.js';
import { initStack } from '../../src/tenant/stack.js';
import type { FakeAws } from './fake-aws.js';
import { fakeAwsStack } from './fake-stack.js';

async function rulesStack(): Promise<{ fake: FakeAws; ctx: TenantContext }> {
  const fake = fakeAwsStack({ stack: 'test', mapping: 'rules' });
  let t = Date.parse('2026-12-04T12:00:00.400Z');
  const ctx: TenantContext = { config: fake.config, apis: fake.apis(), now: () => t, sleep: async (ms) => void (t += ms), purpose: 'test' };
  await initStack(ctx, { dryRun: false });
  for (const tenant of ['acme', 'globex']) await createTenant(ctx, { tenant, wait: 'none', timeoutMs: 5000, dryRun: false });
  return { fake, ctx };
}

describe('revokeSessions (rules mapping, fake AWS)', () => {
  it("signs out exactly the users carrying the tenant's claim and denies credentials issued before the next whole second", async () => {
    const { fake, ctx } = await rulesStack();
    const claim = ctx.config.tenantClaim;
    fake.users.set('alice', { sub: 's-a', attributes: { sub: 's-a', [claim]: 'acme' }, groups: new Set(), status: 'CONFIRMED' });
    fake.users.set('bob', { sub: 's-b', attributes: { sub: 's-b', [claim]: 'globex' }, groups: new Set(), status: 'CONFIRMED' });
    fake.users.set('carol', { sub: 's-c', attributes: { sub: 's-c' }, groups: new Set(), status: 'CONFIRMED' });
    fake.calls.length = 0;
    const r = await revokeSessions(ctx, { tenant: 'acme', wait: 'none', timeoutMs: 5000 });
    expect(r.issuedBefore).toBe('2026-12-04T12:00:01Z');
    expect(r.signedOut).toEqual(['alice', 'isoctl-probe-acme'].sort());
    expect(r.revocations).toEqual(['2026-12-04T12:00:01Z']);
    // The policy is read-modify-written under the stack's lock (PutItem/DeleteItem of the lease): gc prunes it too.
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual([
      'PutItem',
      'PutRolePolicy',
      'DeleteItem',
      'AdminUserGlobalSignOut',
      'AdminUserGlobalSignOut',
    ]);
    const doc = (await ctx.apis.iam.getRolePolicy('isoctl-test-acme', 'isoctl-revoked')) as { Statement: Array<Record<string, unknown>> };
    expect(doc.Statement).toEqual([
      {
        Sid: 'IsoctlRevokedBefore20261204120001',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-12-04T12:00:01Z' } },
      },
    ]);
    await expect(revokeSessions(ctx, { tenant: 'nosuch', wait: 'none', timeoutMs: 5000 })).rejects.toMatchObject({ code: 'tenant_not_found' });
  });
});
