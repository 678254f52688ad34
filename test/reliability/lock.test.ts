// Found by the crash suite: a CLI killed while it held the identity-pool lease left the lease
// behind for LEASE_MS, and the re-run gave up waiting before the lease expired (exit 4), so
// "run the same command again" did not converge. A waiter must outwait a lease that was just taken.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { LEASE_MS } from '../../src/tenant/lock.js';
import { modifyIdentityPoolRoles } from '../../src/tenant/pool-roles.js';
import { FakeAws } from '../tenant/fake-aws.js';

function fakeStack(): FakeAws {
  const config = validateConfig(
    {
      stack: 'lock',
      region: 'eu-central-1',
      accountId: '123456789012',
      userPoolId: 'eu-central-1_Pool1',
      userPoolClientId: 'client1',
      identityPoolId: 'eu-central-1:00000000-0000-0000-0000-000000000001',
      mapping: 'rules',
      tables: [{ name: 'Orders', partitionKey: 'tenantId' }],
    },
    'test',
  );
  const fake = new FakeAws(config);
  fake.tables.set('isoctl-lock-lock', {
    name: 'isoctl-lock-lock',
    arn: 'arn:aws:dynamodb:eu-central-1:123456789012:table/isoctl-lock-lock',
    status: 'ACTIVE',
    partitionKey: { name: 'lockId', type: 'S' },
    sortKey: undefined,
  });
  return fake;
}

/** A clock that only moves when someone sleeps: the test takes no real time. */
function fakeClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let t = start;
  return { now: () => t, sleep: async (ms: number) => void (t += ms), elapsed: () => t - start };
}

describe('identity-pool lock after a crashed holder', () => {
  it('waits out a lease its holder took just before dying, by default', async () => {
    const fake = fakeStack();
    const clock = fakeClock();
    // The holder was SIGKILLed right after taking the lease: it expires a full LEASE_MS from now.
    fake.leases.set('identity-pool/eu-central-1:00000000-0000-0000-0000-000000000001', {
      lockId: 'identity-pool/eu-central-1:00000000-0000-0000-0000-000000000001',
      owner: 'crashed',
      expiresAt: clock.now() + LEASE_MS,
      holder: 'cron-host pid 4242 (tenant create acme)',
    });
    const change = await modifyIdentityPoolRoles(fake.apis(), fake.config, { now: clock.now, sleep: clock.sleep }, (r) => {
      r.Roles.authenticated = 'arn:aws:iam::123456789012:role/auth';
    });
    expect(change.changed).toBe(true);
    expect(clock.elapsed()).toBeGreaterThanOrEqual(LEASE_MS);
    expect(fake.leases.size).toBe(0);
  });

  it('still refuses (lock_held) a lease that stays held past the wait', async () => {
    const fake = fakeStack();
    const clock = fakeClock();
    fake.leases.set('identity-pool/eu-central-1:00000000-0000-0000-0000-000000000001', {
      lockId: 'identity-pool/eu-central-1:00000000-0000-0000-0000-000000000001',
      owner: 'stuck',
      expiresAt: clock.now() + 10 * LEASE_MS,
      holder: 'other-host pid 1',
    });
    const e = await modifyIdentityPoolRoles(fake.apis(), fake.config, { now: clock.now, sleep: clock.sleep }, () => undefined).catch((x: unknown) => x);
    expect((e as { code?: string }).code).toBe('lock_held');
  });
});
