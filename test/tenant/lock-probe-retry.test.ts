// The identity-pool lock's lease wait and the probe's sign-in retry run on the one retry layer
// (src/aws/retry.ts), on the injected clock: no real time passes, and they stop on the error
// kinds of src/aws/errors.ts ("Incorrect username or password" after another run replaced the
// probe's password is `password-replaced`; a disabled user is not retried).
import { describe, expect, it } from 'vitest';
import { LEASE_MS, withIdentityPoolLock } from '../../src/tenant/lock.js';
import { ProbeError, ProbeSession } from '../../src/tenant/probe.js';
import type { FakeAws } from './fake-aws.js';
import { fakeAwsStack } from './fake-stack.js';

const LOCK_ID = 'identity-pool/eu-central-1:00000000-0000-0000-0000-000000000001';

function fakeStack(): FakeAws {
  const fake = fakeAwsStack({ stack: 'lp', mapping: 'rules', activeTables: ['isoctl-lp-lock'] });
  return fake;
}

function fakeClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      t += ms;
    },
  };
}

describe('the lock lease wait on the retry layer', () => {
  it('waits 100 ms -> 1 s apart on the injected clock and refuses exactly at the deadline', async () => {
    const fake = fakeStack();
    const clock = fakeClock();
    fake.leases.set(LOCK_ID, { lockId: LOCK_ID, owner: 'other', expiresAt: clock.now() + 10 * LEASE_MS, holder: 'other-host pid 1' });
    const real = performance.now();
    const e = await withIdentityPoolLock(fake.apis(), fake.config, { ...clock, waitMs: 5_000 }, async () => 'body ran').catch((x: unknown) => x);
    expect(performance.now() - real).toBeLessThan(1_000);
    expect(e).toMatchObject({ code: 'lock_held' });
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(5_000);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(100);
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(1_000);
  });

  it('gets the lease once the holder releases it, and an abort stops the wait', async () => {
    const fake = fakeStack();
    const clock = fakeClock();
    fake.leases.set(LOCK_ID, { lockId: LOCK_ID, owner: 'other', expiresAt: clock.now() + LEASE_MS, holder: 'h' });
    let waited = 0;
    const sleep = async (ms: number) => {
      if (++waited === 3) fake.leases.delete(LOCK_ID);
      await clock.sleep(ms);
    };
    expect(await withIdentityPoolLock(fake.apis(), fake.config, { now: clock.now, sleep }, async () => 'body ran')).toBe('body ran');
    expect(waited).toBe(3);

    const controller = new AbortController();
    const stop = new Error('interrupted');
    fake.leases.set(LOCK_ID, { lockId: LOCK_ID, owner: 'other', expiresAt: clock.now() + LEASE_MS, holder: 'h' });
    controller.abort(stop);
    const e = await withIdentityPoolLock(fake.apis(), fake.config, { ...clock, signal: controller.signal }, async () => 'body ran').catch((x: unknown) => x);
    expect(e).toBe(stop);
  });
});

describe('the probe sign-in retry on the retry layer', () => {
  function probeUser(fake: FakeAws) {
    fake.users.set('isoctl-probe-acme', { sub: 'sub-1', attributes: { sub: 'sub-1' }, groups: new Set(), status: 'CONFIRMED' });
  }

  it('signs in after another run replaced the password three times, on the injected clock', async () => {
    const fake = fakeStack();
    probeUser(fake);
    const apis = fake.apis();
    let replaced = 0;
    const signIn = apis.cognitoIdp.adminSignIn.bind(apis.cognitoIdp);
    apis.cognitoIdp.adminSignIn = async (pool, client, user, password) => {
      // the other run's AdminSetUserPassword lands between ours and our sign-in
      if (replaced++ < 3) fake.users.get(user)!.password = 'the other run';
      return signIn(pool, client, user, password);
    };
    const clock = fakeClock();
    const session = new ProbeSession(apis, fake.config, 'acme', ['read'], clock);
    await expect(session.signIn()).resolves.toMatchObject({ sub: 'sub-1' });
    expect(clock.sleeps).toHaveLength(3);
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(2_000);
  });

  it('gives up after 6 attempts, and never retries a disabled user', async () => {
    const fake = fakeStack();
    probeUser(fake);
    const apis = fake.apis();
    let calls = 0;
    apis.cognitoIdp.adminSignIn = async (_p, _c, user) => {
      calls++;
      fake.users.get(user)!.password = 'the other run';
      const { AwsCallError } = await import('../../src/aws/errors.js');
      throw new AwsCallError(
        'cognito-idp',
        'AdminInitiateAuth',
        Object.assign(new Error('Incorrect username or password.'), { name: 'NotAuthorizedException' }),
      );
    };
    const e = await new ProbeSession(apis, fake.config, 'acme', ['read'], fakeClock()).signIn().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProbeError);
    expect(e).toMatchObject({ stage: 'sign-in' });
    expect(calls).toBe(6);

    calls = 0;
    apis.cognitoIdp.adminSignIn = async () => {
      calls++;
      const { AwsCallError } = await import('../../src/aws/errors.js');
      throw new AwsCallError('cognito-idp', 'AdminInitiateAuth', Object.assign(new Error('User is disabled.'), { name: 'NotAuthorizedException' }));
    };
    const d = await new ProbeSession(apis, fake.config, 'acme', ['read'], fakeClock()).signIn().catch((x: unknown) => x);
    expect((d as Error).message).toMatch(/could not sign in: .*User is disabled/);
    expect(calls).toBe(1);
  });
});
