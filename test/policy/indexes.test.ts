// Vector 1 (#11): for an index query, dynamodb:LeadingKeys is the INDEX's partition key value.
// An index is granted only when its partition key is known to be the tenant key (the user key
// under granularity `user`); the proof plants another tenant's row with the index key set to
// this tenant's id and requires the query for it to be denied.
import { describe, expect, it } from 'vitest';
import { buildBoundaryPolicy, buildDataPolicy, indexProblems, lintPolicies, proveIsolation, type PolicyDocument } from '../../src/policy/index.js';
import { makeConfig } from './helpers.js';

const resources = (doc: PolicyDocument): string[] =>
  (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : s.Resource ? [s.Resource] : []));

/** What isoctl built before the fix: every listed index under the table's LeadingKeys condition. */
function grantingEveryListedIndex(doc: PolicyDocument, indexArn: string): PolicyDocument {
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).map((s) =>
    s.Sid?.startsWith('Read') && String(s.Resource).includes('table/Orders') ? { ...s, Resource: [String(s.Resource), indexArn] } : s,
  );
  return { ...doc, Statement: statements };
}

const statusIndexConfig = (index: string | { name: string; partitionKey: string }) =>
  makeConfig({ tables: [{ name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk', indexes: [index] }] });

describe('secondary indexes', () => {
  it('an index declared on another partition key is never granted, and the config is refused (proof failure with the fix)', () => {
    const config = statusIndexConfig({ name: 'byStatus', partitionKey: 'status' });
    expect(resources(buildDataPolicy(config, 'acme')).some((r) => r.includes('/index/'))).toBe(false);
    expect(resources(buildBoundaryPolicy(config)).some((r) => r.includes('/index/'))).toBe(false);
    const proof = proveIsolation(config, ['acme', 'globex']);
    expect(proof.ok).toBe(false);
    const refusal = proof.failures.find((f) => f.rule === 'index-not-tenant-keyed');
    expect(refusal?.detail).toContain('index "byStatus" of table "Orders" is partitioned on "status"');
    expect(refusal?.fix).toContain('re-key the index on "tenantId"');
  });

  it('an index whose key is not declared is not granted; lint warns (not an error), the proof passes', () => {
    const config = statusIndexConfig('byStatus');
    expect(resources(buildDataPolicy(config, 'acme')).some((r) => r.includes('/index/'))).toBe(false);
    expect(proveIsolation(config, ['acme', 'globex']).ok).toBe(true);
    const findings = lintPolicies(config, ['acme']);
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(findings.find((f) => f.rule === 'index-key-unknown')?.fix).toContain('"partitionKey": "tenantId"');
  });

  it('an index keyed on the tenant key is granted under the same LeadingKeys condition', () => {
    const config = statusIndexConfig({ name: 'byStatus', partitionKey: 'tenantId' });
    expect(resources(buildDataPolicy(config, 'acme'))).toContain('arn:aws:dynamodb:eu-central-1:123456789012:table/Orders/index/byStatus');
    expect(indexProblems(config)).toEqual([]);
    expect(proveIsolation(config, ['acme', 'globex']).ok).toBe(true);
  });

  it('the proof catches the pre-fix documents: a status-keyed index granted under the table LeadingKeys condition', () => {
    const config = statusIndexConfig('byStatus');
    const index = 'arn:aws:dynamodb:eu-central-1:123456789012:table/Orders/index/byStatus';
    const proof = proveIsolation(config, ['acme', 'globex'], {
      dataPolicy: (t, s) => grantingEveryListedIndex(buildDataPolicy(config, t, [s]), index),
      boundary: grantingEveryListedIndex(buildBoundaryPolicy(config), index),
    });
    expect(proof.ok).toBe(false);
    expect(proof.failures.map((f) => f.probe)).toContain('scope read: planted-row-in-index byStatus dynamodb:Query Orders');
  });

  it('granularity user: a silo table no longer grants index/*; a listed index must be keyed on the user key', () => {
    const config = makeConfig({
      granularity: 'user',
      tables: [
        {
          name: 'ledger',
          partitionKey: 'userId',
          model: 'silo',
          indexes: [
            { name: 'byOwner', partitionKey: 'userId' },
            { name: 'byStatus', partitionKey: 'status' },
          ],
        },
      ],
    });
    const granted = resources(buildDataPolicy(config, 'acme')).filter((r) => r.includes('/index/'));
    expect(granted).toEqual(['arn:aws:dynamodb:eu-central-1:123456789012:table/ledger-acme/index/byOwner']);
    expect(indexProblems(config).map((p) => `${p.index}:${p.severity}`)).toEqual(['byStatus:error']);
  });

  it("silo tables under granularity tenant keep index/* (the whole table is the tenant's)", () => {
    const config = makeConfig({ tables: [{ name: 'ledger', partitionKey: 'pk', model: 'silo', indexes: ['byStatus'] }] });
    expect(resources(buildDataPolicy(config, 'acme'))).toContain('arn:aws:dynamodb:eu-central-1:123456789012:table/ledger-acme/index/*');
    expect(indexProblems(config)).toEqual([]);
  });

  it('the config accepts both forms and refuses a duplicate index', () => {
    expect(statusIndexConfig('byStatus').tables[0]?.indexes).toEqual(['byStatus']);
    expect(statusIndexConfig({ name: 'byStatus', partitionKey: 'status' }).tables[0]?.indexKeys).toEqual({ byStatus: 'status' });
    expect(() =>
      makeConfig({ tables: [{ name: 'Orders', partitionKey: 'tenantId', indexes: ['byStatus', { name: 'byStatus', partitionKey: 'tenantId' }] }] }),
    ).toThrow(/duplicate index \\"byStatus\\"/);
  });
});
