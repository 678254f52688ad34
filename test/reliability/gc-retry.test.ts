// Found while benchmarking gc of 500 orphans under 20% throttling: gc's retry layer stopped
// retrying throttled calls once the run had lasted --timeout (60 s by default, meant for waiting on
// propagation), so on a long run the tenants reached last lost their throttling retries and ended
// failed ("could not check the tenant again: TooManyRequestsException"). Throttling must be retried
// a bounded number of times whenever it happens; the deadline bounds waiting for propagation only.
import { describe, expect, it } from 'vitest';
import { AwsCallError } from '../../src/aws/errors.js';
import { withRetry } from '../../src/ops/retry.js';

const throttled = () => new AwsCallError('iam', 'GetRole', Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
const propagating = () =>
  new AwsCallError('iam', 'DeleteRole', Object.assign(new Error('Cannot delete entity, must delete policies first.'), { name: 'DeleteConflict' }));

/** A clock that only moves when someone sleeps. */
function fakeClock() {
  let t = 1_000_000;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

function failing(times: number, make: () => AwsCallError) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    fn: async () => {
      calls++;
      if (calls <= times) throw make();
      return 'ok';
    },
  };
}

describe('gc retry layer (src/ops/retry.ts)', () => {
  it('retries throttling after the run deadline has passed', async () => {
    const clock = fakeClock();
    const f = failing(2, throttled);
    await expect(withRetry(clock, f.fn, { deadline: clock.now() - 1 })).resolves.toBe('ok');
    expect(f.calls).toBe(3);
  });

  it('still retries throttling only a bounded number of times', async () => {
    const clock = fakeClock();
    const f = failing(100, throttled);
    await expect(withRetry(clock, f.fn, { deadline: clock.now() - 1 })).rejects.toThrow(/Rate exceeded/);
    expect(f.calls).toBe(8);
  });

  it('throttling stays bounded when a call also retries other errors for up to 1000 attempts', async () => {
    const clock = fakeClock();
    const f = failing(100, throttled);
    await expect(withRetry(clock, f.fn, { deadline: clock.now() + 3600_000, attempts: 1000, also: (e) => e.kind === 'conflict' })).rejects.toThrow(
      /Rate exceeded/,
    );
    expect(f.calls).toBe(8);
  });

  it('the deadline still ends waiting for propagation (DeleteConflict while IAM still lists a policy)', async () => {
    const clock = fakeClock();
    const f = failing(1000, propagating);
    const start = clock.now();
    await expect(withRetry(clock, f.fn, { deadline: start + 10_000, attempts: 1000, also: (e) => e.kind === 'conflict' })).rejects.toThrow(
      /must delete policies/,
    );
    expect(clock.now() - start).toBeLessThanOrEqual(10_000);
  });
});
