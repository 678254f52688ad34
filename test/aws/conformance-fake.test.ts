// The in-memory AWS (test/tenant/fake-aws.ts) behind the fast tests answers the same adapter
// conformance cases as moto and the sandbox, so it cannot drift into a fourth AWS. Where it
// differs, the difference is listed here by name, like moto's.
import { describe } from 'vitest';
import { FakeAws } from '../tenant/fake-aws.js';
import { testConfig } from '../commands/fake-deps.js';
import { conformanceSuite, type ConformanceTarget, type Difference } from './conformance-cases.js';

const FAKE_DIFFERENCES = new Set<Difference>([]);

describe('adapter conformance: the in-memory fake', () => {
  const config = testConfig();
  const fake = new FakeAws(config);
  const target: ConformanceTarget = {
    region: config.region,
    accountId: config.accountId,
    userPoolId: config.userPoolId,
    clientId: config.userPoolClientId,
    identityPoolId: config.identityPoolId,
    apis: fake.apis(),
  };
  conformanceSuite('fake', () => target, FAKE_DIFFERENCES);
});
