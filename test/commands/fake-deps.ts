// Deps for in-process tests of the run functions: the in-memory AWS behind deps.apis(), test
// streams behind deps.io, a fake clock that jumps instead of sleeping, and a fixed config.
import type { AwsApis } from '../../src/aws/apis.js';
import type { StackConfig } from '../../src/config/schema.js';
import type { Clock, Deps, GlobalOptions } from '../../src/deps.js';
import { validateConfig } from '../../src/config/load.js';
import type { FakeAws } from '../tenant/fake-aws.js';
import { testOutput, testStreams, type TestStreams } from './test-streams.js';

export function testConfig(over: Record<string, unknown> = {}): StackConfig {
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

/** A clock whose sleeps return at once and move time forward. */
export function fakeClock(start = Date.parse('2026-01-01T00:00:00Z')): Clock & { slept: () => number } {
  let t = start;
  let slept = 0;
  return {
    now: () => t,
    async sleep(ms, signal) {
      if (signal?.aborted) throw signal.reason;
      t += ms;
      slept += ms;
    },
    slept: () => slept,
  };
}

export interface FakeDeps extends Deps {
  streams: TestStreams;
  clock: ReturnType<typeof fakeClock>;
  /** How many times a command asked for the adapters. */
  apisCalls: () => number;
}

export function fakeDeps(fake: FakeAws, opts: { json?: boolean; yes?: boolean } = {}): FakeDeps {
  const streams = testStreams();
  const clock = fakeClock();
  const controller = new AbortController();
  let apisCalls = 0;
  const globals: GlobalOptions = {
    config: 'isoctl.json',
    configExplicit: false,
    json: opts.json ?? false,
    quiet: false,
    color: false,
    input: false,
    yes: opts.yes ?? true,
    verbose: false,
  };
  return {
    io: testOutput(streams, { json: globals.json }),
    prompter: {
      async confirmTyped() {
        if (!globals.yes) throw new Error('test: no confirmation');
      },
    },
    globals,
    clock,
    signal: controller.signal,
    config: async () => fake.config,
    apis: async (): Promise<AwsApis> => {
      apisCalls++;
      return fake.apis();
    },
    async close() {},
    streams,
    apisCalls: () => apisCalls,
  };
}
