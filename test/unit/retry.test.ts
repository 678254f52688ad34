// The one retry layer (src/aws/retry.ts) on an injected clock: waits of minutes run in milliseconds,
// validation and access errors are never retried, throttling is bounded by attempts and
// propagation by the deadline, and the abort signal stops a wait.
import { describe, expect, it } from 'vitest';
import { AwsCallError } from '../../src/aws/errors.js';
import { retry } from '../../src/aws/retry.js';
import { NotYet, waitFor } from '../../src/tenant/wait.js';

function fakeClock(start = 1_700_000_000_000) {
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

const awsError = (name: string, message = '') => new AwsCallError('svc', 'Op', Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } }));

describe('waitFor on the injected clock', () => {
  it('drives a 90 s convergence in milliseconds', async () => {
    const clock = fakeClock();
    const visibleAt = clock.now() + 90_000;
    const real = performance.now();
    const result = await waitFor(
      [
        {
          name: 'iam:role',
          service: 'iam',
          waitingFor: 'waiting for IAM to show the role',
          run: async () => {
            if (clock.now() < visibleAt) throw awsError('NoSuchEntity', 'role not found');
            return 'visible';
          },
        },
      ],
      { timeoutMs: 120_000, clock },
    );
    expect(performance.now() - real).toBeLessThan(1_000);
    expect(result.ok).toBe(true);
    expect(result.checks[0]).toMatchObject({ state: 'ok', detail: 'visible' });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(90_000);
    expect(result.elapsedMs).toBeLessThan(92_001);
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(2_000);
  });

  it('times out at the deadline as pending (exit 75 material), with the last wait cut to it', async () => {
    const clock = fakeClock();
    const started = clock.now();
    const result = await waitFor([{ name: 'cognito:mapping', service: 'cognito', waitingFor: '...', run: () => Promise.reject(new NotYet('no rule yet')) }], {
      timeoutMs: 30_000,
      clock,
    });
    expect(result).toMatchObject({ ok: false, timedOut: true, checks: [{ state: 'pending', detail: 'no rule yet' }] });
    expect(clock.now() - started).toBe(30_000);
  });
});

describe('retry', () => {
  it('never retries validation or access errors, whatever retryOn says', async () => {
    for (const err of [awsError('ValidationError', 'bad'), awsError('AccessDeniedException', 'User is not authorized to perform iam:PassRole')]) {
      let calls = 0;
      await expect(
        retry(
          fakeClock(),
          async () => {
            calls++;
            throw err;
          },
          { retryOn: () => true },
        ),
      ).rejects.toBe(err);
      expect(calls).toBe(1);
    }
  });

  it('retries the access error that means a fresh role mapping is not visible yet, when the caller claims it', async () => {
    let calls = 0;
    const out = await retry(
      fakeClock(),
      async () => {
        if (++calls < 3) throw awsError('NotAuthorizedException', 'Ambiguous role resolution: no rule matched');
        return 'ok';
      },
      { retryOn: (e) => e instanceof AwsCallError && e.reason === 'role-mapping-unresolved', until: Number.POSITIVE_INFINITY },
    );
    expect([out, calls]).toEqual(['ok', 3]);
  });

  it('bounds throttling by attempts, even past the deadline', async () => {
    const clock = fakeClock();
    let calls = 0;
    const err = awsError('ThrottlingException', 'Rate exceeded');
    await expect(
      retry(
        clock,
        async () => {
          calls++;
          throw err;
        },
        { until: clock.now() - 1, retryOn: (e) => e instanceof AwsCallError && e.kind === 'conflict' },
      ),
    ).rejects.toBe(err);
    expect(calls).toBe(8);
  });

  it('bounds propagation by the deadline, one attempt landing on it', async () => {
    const clock = fakeClock();
    const until = clock.now() + 20_000;
    let calls = 0;
    const err = awsError('NoSuchEntity', 'not yet');
    await expect(
      retry(
        clock,
        async () => {
          calls++;
          throw err;
        },
        { until, retryOn: (e) => e instanceof AwsCallError && e.kind === 'not-found' },
      ),
    ).rejects.toBe(err);
    expect(clock.now()).toBe(until);
    expect(calls).toBeGreaterThan(10);
  });

  it('stops waiting when the signal aborts', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    let calls = 0;
    const stop = new Error('interrupted');
    await expect(
      retry(
        { ...clock, signal: controller.signal },
        async () => {
          calls++;
          controller.abort(stop);
          throw new NotYet('not yet');
        },
        { retryOn: () => true },
      ),
    ).rejects.toBeInstanceOf(NotYet);
    expect(calls).toBe(1);
  });
});

describe('retry on p-retry', () => {
  it("keeps this layer's rules where p-retry's differ: a claimed TypeError or non-Error is retried and rethrown as is", async () => {
    for (const thrown of [new TypeError('x is undefined'), 'a string']) {
      const clock = fakeClock();
      let calls = 0;
      const waits: number[] = [];
      const out = retry(
        clock,
        async () => {
          calls++;
          throw thrown;
        },
        { retryOn: () => true, attempts: 3, onRetry: (_e, _n, ms) => waits.push(ms) },
      );
      await expect(out).rejects.toBe(thrown);
      expect(calls).toBe(3);
      expect(clock.sleeps).toEqual(waits);
    }
  });

  it('an abort during the backoff wait rejects with the abort reason, after no further attempt', async () => {
    const controller = new AbortController();
    const stop = new Error('interrupted');
    let calls = 0;
    const clock = {
      now: () => 0,
      signal: controller.signal,
      sleep: async (_ms: number, signal?: AbortSignal) => {
        controller.abort(stop);
        throw signal?.reason;
      },
    };
    await expect(
      retry(
        clock,
        async () => {
          calls++;
          throw new NotYet('not yet');
        },
        { retryOn: () => true },
      ),
    ).rejects.toBe(stop);
    expect(calls).toBe(1);
  });
});
