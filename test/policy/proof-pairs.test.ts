// `policy check` proves every tenant against every other one (#11: "reasons about every pair of
// tenants"): a hole that opens one tenant's data to one particular other tenant is found even
// when that tenant is not the neighbour the per-tenant proof would pick.
import { describe, expect, it } from 'vitest';
import { buildBoundaryPolicy, proveIsolation, type PolicyDocument, type PolicyStatement } from '../../src/policy/index.js';
import { makeConfig } from './helpers.js';

describe('proof over every pair of tenants', () => {
  it("a boundary hole onto globex's silo table is caught for acme only when pairs are all checked", () => {
    const config = makeConfig({ tables: [{ name: 'ledger', partitionKey: 'pk', model: 'silo' }], buckets: [] });
    const boundary = buildBoundaryPolicy(config);
    // A hole for one pair: acme (by its role tag) onto globex's table.
    const hole: PolicyStatement = {
      Sid: 'Hole',
      Effect: 'Allow',
      Action: 'dynamodb:GetItem',
      Resource: 'arn:aws:dynamodb:eu-central-1:123456789012:table/ledger-globex',
      Condition: { StringEquals: { 'aws:PrincipalTag/isoctl:tenant': 'acme' } },
    };
    const holed: PolicyDocument = { ...boundary, Statement: [...(Array.isArray(boundary.Statement) ? boundary.Statement : [boundary.Statement]), hole] };
    const tenants = ['acme', 'b', 'globex'];
    expect(proveIsolation(config, tenants, { boundary: holed }).ok).toBe(true);
    const all = proveIsolation(config, tenants, { boundary: holed, allPairs: true });
    expect(all.ok).toBe(false);
    expect(all.failures.map((f) => `${f.tenant}: ${f.probe}`)).toContain(
      'acme: mutation (inline policy widened to dynamodb:*, s3:*, iam:*, sts:* on *): other-tenant-table dynamodb:GetItem ledger',
    );
  });
});
