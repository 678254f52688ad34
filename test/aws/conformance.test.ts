// Adapter conformance: the same cases against moto and against the sandbox.
//
// Differences found in moto 5.2 (also in README "Adapter conformance"); each case asserts moto's
// actual behaviour for them, so a moto upgrade that fixes one makes the case fail and the list shrink:
//   - no Set/GetIdentityPoolRoles and no Set/GetPrincipalTagAttributeMap;
//   - CreateRole accepts a trust policy that is not JSON (AWS: MalformedPolicyDocument);
//   - DescribeUserPool's SchemaAttributes lists only the custom attributes (AWS: sub, email, ... too).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxResponse } from '../../src/sandbox/server.js';
import { responseProblems } from '../helpers/botocore-shapes.js';
import { motoTarget, sandboxTarget, type AwsTarget } from '../helpers/aws-target.js';
import { conformanceSuite, type Difference } from './conformance-cases.js';

const MOTO_DIFFERENCES = new Set<Difference>([
  'noIdentityPoolRoles',
  'noPrincipalTagMap',
  'acceptsMalformedTrustPolicy',
  'userPoolSchemaOmitsStandardAttributes',
]);

describe('adapter conformance: moto', () => {
  let target: AwsTarget | undefined;
  beforeAll(async () => {
    target = await motoTarget();
  });
  afterAll(async () => {
    await target?.stop();
  });
  conformanceSuite('moto', () => target!, MOTO_DIFFERENCES);
});

// The sandbox is meant to behave like AWS for every case here: no differences allowed.
const SANDBOX_DIFFERENCES = new Set<Difference>();

describe('adapter conformance: sandbox', () => {
  let target: AwsTarget | undefined;
  const responses: SandboxResponse[] = [];
  beforeAll(async () => {
    target = await sandboxTarget({ onResponse: (r) => responses.push(r) });
  });
  afterAll(async () => {
    await target?.stop();
  });
  conformanceSuite('sandbox', () => target!, SANDBOX_DIFFERENCES);

  // Runs after the cases: every answer the sandbox gave them (bootstrap's included) against botocore's models.
  it("every answer of the run fits botocore's model of its service and operation", () => {
    const services = new Set(responses.map((r) => r.service));
    expect([...services].sort()).toEqual(['cognito-identity', 'cognito-idp', 'dynamodb', 'iam', 'sts']);
    const problems = responses.flatMap((r) => responseProblems(r));
    expect(problems).toEqual([]);
    expect(responses.length).toBeGreaterThan(100);
  });
});
