// Lint: isoctl's own documents are clean against the real IAM catalog (iam-data); each rule
// fires on the mistake it exists for, with a location, a reason and a fix.
import { describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../src/commands/policy/catalog.js';
import { buildTenantRole, lintPolicies, policyVocabulary, serializePolicy, type LintFinding, type TenantRoleSpec } from '../../src/policy/index.js';
import type { PolicyDocument } from '../../src/policy/types.js';
import { makeConfig, richConfig } from './helpers.js';

const TENANTS = ['acme', 'acme-corp', 'globex'];

function withInline(role: TenantRoleSpec, doc: PolicyDocument): TenantRoleSpec {
  return { ...role, inlinePolicies: { 'isoctl-data': doc } };
}

function edited(doc: PolicyDocument, edit: (s: string) => string): PolicyDocument {
  return JSON.parse(edit(serializePolicy(doc))) as PolicyDocument;
}

const rules = (f: LintFinding[]) => [...new Set(f.map((x) => x.rule))].sort();

describe('lintPolicies', () => {
  for (const [name, cfg] of [
    ['default', makeConfig()],
    ['rich', richConfig()],
    ['user granularity', richConfig({ granularity: 'user' })],
  ] as const)
    it(`finds nothing in isoctl's own documents (${name}), against the iam-data catalog`, async () => {
      const catalog = await loadIamCatalog(policyVocabulary(cfg, TENANTS));
      expect(catalog.source).toMatch(/^@cloud-copilot\/iam-data \d/);
      // The one finding a sound config can carry: writes on an attribute-restricted table (#11 vector 6, no condition key exists).
      const findings = lintPolicies(cfg, TENANTS, { catalog });
      expect(findings.filter((f) => f.rule !== 'write-returns-hidden-attributes')).toEqual([]);
      expect(findings.every((f) => f.severity === 'warning')).toBe(true);
    });

  it('#11 vector 6: a write scope on an attribute-restricted table warns (ReturnValuesOnConditionCheckFailure has no condition key); a read-only scope does not', () => {
    const cfg = richConfig();
    const f = lintPolicies(cfg, ['acme']).filter((x) => x.rule === 'write-returns-hidden-attributes');
    expect(f.map((x) => x.location)).toEqual(['config > scopes > write > tables > Agents']);
    expect(f[0]?.why).toContain('ReturnValuesOnConditionCheckFailure=ALL_OLD');
    const readOnly = richConfig({ scopes: { read: ['dynamodb:GetItem', 'dynamodb:Query'] } });
    expect(lintPolicies(readOnly, ['acme']).filter((x) => x.rule === 'write-returns-hidden-attributes')).toEqual([]);
    const conditionCheck = richConfig({ scopes: { check: ['dynamodb:ConditionCheckItem'] } });
    expect(lintPolicies(conditionCheck, ['acme']).filter((x) => x.rule === 'write-returns-hidden-attributes')).toHaveLength(1);
  });

  it('every finding says where, why and how to fix', () => {
    const cfg = makeConfig();
    const role = buildTenantRole(cfg, 'acme');
    const findings = lintPolicies(cfg, ['acme'], { roles: [{ ...role, permissionsBoundary: undefined }] });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toEqual({
      rule: 'role-without-boundary',
      severity: 'error',
      location: 'tenant acme > role isoctl-prod-acme > PermissionsBoundary',
      why: expect.stringContaining('nothing caps the role'),
      fix: expect.stringContaining(
        'put-role-permissions-boundary --role-name isoctl-prod-acme --permissions-boundary arn:aws:iam::123456789012:policy/isoctl/prod/isoctl-prod-boundary',
      ),
    });
  });

  it('unknown actions and condition keys (catalog)', async () => {
    const cfg = makeConfig();
    const role = buildTenantRole(cfg, 'acme');
    const bad = edited(role.inlinePolicies['isoctl-data'] as PolicyDocument, (s) =>
      s.replace('dynamodb:GetItem', 'dynamodb:GetItems').replace('"dynamodb:LeadingKeys":["acme"]', '"dynamodb:LeadingKey":["acme"]'),
    );
    const roles = [withInline(role, bad)];
    const catalog = await loadIamCatalog(policyVocabulary(cfg, ['acme'], roles));
    const f = lintPolicies(cfg, ['acme'], { catalog, roles });
    expect(f.find((x) => x.rule === 'unknown-action')?.location).toMatch(/Statement\[0\] ReadOrders > Action dynamodb:GetItems$/);
    expect(f.find((x) => x.rule === 'unknown-condition-key')?.location).toMatch(/Condition\.ForAllValues:StringEquals\.dynamodb:LeadingKey$/);
    // the misspelt key also loses its Null guard partner
    expect(rules(f)).toEqual(['for-all-values-without-null-guard', 'unknown-action', 'unknown-condition-key']);
  });

  it('an unknown action in a scope is one unknown-action finding, not also action-not-partitionable warnings (catalog)', async () => {
    const cfg = makeConfig({ scopes: { read: ['dynamodb:GetItem', 'dynamodb:Querry'] } });
    const catalog = await loadIamCatalog(policyVocabulary(cfg, ['acme']));
    const f = lintPolicies(cfg, ['acme'], { catalog });
    expect(f.filter((x) => x.rule === 'unknown-action').map((x) => x.location)).toEqual(expect.arrayContaining([expect.stringMatching(/dynamodb:Querry$/)]));
    expect(f.filter((x) => x.rule === 'action-not-partitionable')).toEqual([]);
  });

  it('ForAllValues without the Null guard', () => {
    const cfg = makeConfig();
    const role = buildTenantRole(cfg, 'acme');
    const bad = edited(role.inlinePolicies['isoctl-data'] as PolicyDocument, (s) => s.replace(/,"Null":\{"dynamodb:LeadingKeys":"false"\}/g, ''));
    const f = lintPolicies(cfg, ['acme'], { roles: [withInline(role, bad)] });
    expect(f.map((x) => x.rule)).toEqual(['for-all-values-without-null-guard', 'for-all-values-without-null-guard']);
    expect(f[0]?.fix).toBe('add "Null": {"dynamodb:LeadingKeys": "false"} to the same statement');
  });

  it('Scan (or a wildcard covering it) in a LeadingKeys statement', () => {
    const cfg = makeConfig();
    const role = buildTenantRole(cfg, 'acme');
    const bad = edited(role.inlinePolicies['isoctl-data'] as PolicyDocument, (s) =>
      s.replace('"dynamodb:BatchGetItem",', '"dynamodb:BatchGetItem","dynamodb:Sc*",'),
    );
    expect(rules(lintPolicies(cfg, ['acme'], { roles: [withInline(role, bad)] }))).toEqual(['scan-in-leading-keys-statement']);
  });

  it('Resource "*" for data actions', () => {
    const cfg = makeConfig();
    const role = buildTenantRole(cfg, 'acme');
    const bad = edited(role.inlinePolicies['isoctl-data'] as PolicyDocument, (s) => s.replace('"arn:aws:s3:::isoctl-files/acme/*"', '"*"'));
    const f = lintPolicies(cfg, ['acme'], { roles: [withInline(role, bad)] });
    expect(rules(f)).toEqual(['wildcard-resource-for-data-action']);
  });

  it('wildcards next to a tenant value, and patterns that reach another tenant', () => {
    const cfg = richConfig();
    const role = buildTenantRole(cfg, 'acme');
    const bad = edited(role.inlinePolicies['isoctl-data'] as PolicyDocument, (s) =>
      s
        .replace('"arn:aws:dynamodb:eu-central-1:123456789012:table/ledger-acme"', '"arn:aws:dynamodb:eu-central-1:123456789012:table/ledger-acme*"')
        .replace('"acme/*"', '"acme*"'),
    );
    const f = lintPolicies(cfg, TENANTS, { roles: [withInline(role, bad), buildTenantRole(cfg, 'acme-corp'), buildTenantRole(cfg, 'globex')] });
    expect(rules(f)).toEqual(['resource-matches-another-tenant', 'wildcard-next-to-tenant-value', 'write-returns-hidden-attributes']);
    const overlap = f.find((x) => x.rule === 'resource-matches-another-tenant');
    expect(overlap?.why).toContain('table/ledger-acme-corp');
    expect(overlap?.why).toContain('tenant "acme-corp"');
    expect(f.filter((x) => x.rule === 'wildcard-next-to-tenant-value').map((x) => x.location)).toEqual([
      'tenant acme > role isoctl-prod-acme > inline policy isoctl-data > Statement[4] ReadLedger > Resource arn:aws:dynamodb:eu-central-1:123456789012:table/ledger-acme*',
      'tenant acme > role isoctl-prod-acme > inline policy isoctl-data > Statement[6] ListBucketIsoctlFiles > Condition.StringLike.s3:prefix',
    ]);
  });

  it('a trust policy that lets session tags override isoctl:tenant, or misses the pool conditions', () => {
    const cfg = makeConfig();
    const role = buildTenantRole(cfg, 'acme');
    const trust: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' }, Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'] }],
    };
    const f = lintPolicies(cfg, ['acme'], { roles: [{ ...role, assumeRolePolicy: trust }] });
    expect(rules(f)).toEqual(['session-tags-can-override-tenant', 'trust-without-pool-conditions']);
  });

  it('limits surface as findings (a huge attribute list)', () => {
    const attributes = Array.from({ length: 400 }, (_, i) => `attribute_number_${i}`);
    const cfg = makeConfig({ tables: [{ name: 'Orders', partitionKey: 'attribute_number_0', attributes }], buckets: [] });
    const f = lintPolicies(cfg, ['acme']);
    expect(rules(f)).toEqual(expect.arrayContaining(['limit:inline-policy-size', 'limit:boundary-policy-size']));
    expect(f.find((x) => x.rule === 'limit:inline-policy-size')?.why).toMatch(
      /inline policies of role isoctl-prod-acme are [\d,]+ characters \(whitespace not counted\); IAM allows 10,240 per role/,
    );
  });

  it('scopes that cannot be confined: Scan on a pooled table (warning) and an empty policy (error)', () => {
    const cfg = makeConfig({ buckets: [], scopes: { read: ['dynamodb:Scan'] } });
    const f = lintPolicies(cfg, ['acme']);
    expect(f.map((x) => [x.rule, x.severity])).toEqual([
      ['empty-data-policy', 'error'],
      ['empty-boundary', 'error'],
      ['action-not-partitionable', 'warning'],
    ]);
  });
});
