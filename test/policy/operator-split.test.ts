// The operator policy within IAM's managed-policy size (6,144 characters, whitespace not counted):
// made smaller by exact merges only (every request decided as before: checked against the
// documents as they were before the merges, test/fixtures/policy/operator-before-compaction.json),
// then split into numbered parts of whole statements when it still does not fit, each part
// within the limit as IAM counts it, deciding every request as the whole document does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/policy/errors.js';
import {
  BOUNDARY_WRITE_ACTIONS,
  LIMITS,
  buildOperatorPolicy,
  buildOperatorPolicyParts,
  checkStackLimits,
  evaluate,
  mergeStatements,
  policySize,
  sampleRequests,
  serializePolicy,
  splitOperatorPolicy,
  type PolicyDocument,
  type PolicyStatement,
} from '../../src/policy/index.js';
import type { StackConfigInput } from '../../src/config/schema.js';
import { makeConfig, richConfig } from './helpers.js';

const BEFORE = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'policy', 'operator-before-compaction.json'), 'utf8')) as Record<
  string,
  PolicyDocument
>;
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const statements = (d: PolicyDocument): PolicyStatement[] => list(d.Statement);
const size = (d: PolicyDocument) => policySize(serializePolicy(d));

/** Requests probing every action of either document on samples of every resource pattern (and deeper paths), under every condition's context. */
function probes(docs: PolicyDocument[]): Array<{ action: string; resource: string; context: Record<string, string | string[]> }> {
  const all = docs.flatMap(statements);
  const actions = new Set<string>([...BOUNDARY_WRITE_ACTIONS, 'iam:DeleteRolePermissionsBoundary', 'iam:UpdateAssumeRolePolicy', 'iam:GetPolicy']);
  const resources = new Set<string>(['*', 'arn:aws:iam::123456789012:role/admin', 'arn:aws:iam::123456789012:policy/other']);
  for (const s of all) {
    for (const a of list(s.Action)) if (!a.includes('*')) actions.add(a);
    for (const r of list(s.Resource)) {
      if (r === '*') continue;
      resources.add(r.replace(/\$\{aws:username\}/g, 'operator').replace(/\*/g, 'x'));
      resources.add(r.replace(/\$\{aws:username\}/g, 'operator').replace(/\*/g, 'x/y'));
    }
  }
  const contexts: Array<Record<string, string | string[]>> = [{}];
  for (const d of docs) for (const r of sampleRequests(d)) contexts.push(r.context);
  for (const c of [...contexts])
    if (c['iam:PermissionsBoundary']) contexts.push({ ...c, 'iam:PermissionsBoundary': 'arn:aws:iam::aws:policy/AdministratorAccess' });
  const unique = [...new Map(contexts.map((c) => [JSON.stringify(c), c])).values()];
  const out = [];
  for (const action of actions)
    for (const resource of resources) for (const context of unique) out.push({ action, resource, context: { 'aws:username': 'operator', ...context } });
  return out;
}

function sameDecisions(a: PolicyDocument[], b: PolicyDocument[]): string[] {
  const diff: string[] = [];
  for (const p of probes([...a, ...b])) {
    const x = evaluate({ ...p, identityPolicies: a }).decision;
    const y = evaluate({ ...p, identityPolicies: b }).decision;
    if (x !== y) diff.push(`${p.action} ${p.resource} ${JSON.stringify(p.context)}: ${x} -> ${y}`);
  }
  return diff;
}

const CONFIGS: Record<string, Partial<StackConfigInput>> = {
  'rich-token-tenant': { mapping: 'token' },
  'rich-rules-tenant': { mapping: 'rules' },
  'rich-abac-tenant': { mapping: 'abac' },
  'rich-abac-user': { mapping: 'abac', granularity: 'user' },
};

describe('operator policy size', () => {
  it('measured: token/rules/abac x small/rich, and no larger than before the merges', () => {
    const sizes: Record<string, number> = {};
    for (const mapping of ['token', 'rules', 'abac'] as const) {
      sizes[`small-${mapping}`] = size(buildOperatorPolicy(makeConfig({ mapping })));
      sizes[`rich-${mapping}`] = size(buildOperatorPolicy(richConfig({ mapping })));
    }
    // The numbers the README quotes (rich = bench/abac.bench.ts richConfig: 3 tables, 2 buckets, 2 scopes).
    expect(sizes).toEqual({ 'small-token': 5240, 'rich-token': 5532, 'small-rules': 5304, 'rich-rules': 5596, 'small-abac': 5949, 'rich-abac': 6241 });
    for (const [name, overrides] of Object.entries(CONFIGS)) expect(size(buildOperatorPolicy(richConfig(overrides))), name).toBeLessThan(size(BEFORE[name]!));
    // Rules mode: SetIdentityPoolRoles (only "*" applies) joins the other "*" statement.
    const rules = statements(buildOperatorPolicy(richConfig({ mapping: 'rules' })));
    expect(rules.filter((s) => list(s.Resource).includes('*') && s.Effect === 'Allow')).toEqual([
      {
        Sid: 'ListStackRolesIdentityPoolRoleMappings',
        Effect: 'Allow',
        Action: ['cognito-identity:SetIdentityPoolRoles', 'iam:GetAccountSummary', 'iam:ListRoles'],
        Resource: '*',
      },
    ]);
  });

  it('the merges widen and narrow nothing: every probed request is decided as by the document before them', () => {
    for (const [name, overrides] of Object.entries(CONFIGS)) {
      const now = buildOperatorPolicy(richConfig(overrides));
      expect(sameDecisions([BEFORE[name]!], [now]), name).toEqual([]);
      // And the probes see the difference a real change would make.
      const widened = {
        ...now,
        Statement: [...statements(now), { Effect: 'Allow' as const, Action: 'iam:DeleteRole', Resource: 'arn:aws:iam::123456789012:role/admin' }],
      };
      expect(sameDecisions([BEFORE[name]!], [widened]).length, name).toBeGreaterThan(0);
    }
  });

  it('mergeStatements: same effect, condition and resources join their actions; same actions join resources; nothing else', () => {
    const cond = { StringEquals: { 'aws:ResourceTag/a': 'b' } };
    const merged = mergeStatements([
      { Sid: 'A', Effect: 'Allow', Action: 'x:B', Resource: ['r1', 'r2'] },
      { Sid: 'B', Effect: 'Deny', Action: 'x:A', Resource: ['r2', 'r1'] },
      { Sid: 'C', Effect: 'Allow', Action: 'x:A', Resource: ['r2', 'r1'] },
      { Sid: 'D', Effect: 'Allow', Action: 'x:C', Resource: ['r1', 'r2'], Condition: cond },
      { Sid: 'E', Effect: 'Allow', Action: ['x:B', 'x:A'], Resource: 'r3' },
      { Sid: 'F', Effect: 'Allow', NotAction: 'x:A', Resource: 'r3' },
    ]);
    expect(merged).toEqual([
      { Sid: 'ACE', Effect: 'Allow', Action: ['x:A', 'x:B'], Resource: ['r1', 'r2', 'r3'] },
      { Sid: 'B', Effect: 'Deny', Action: 'x:A', Resource: ['r2', 'r1'] },
      { Sid: 'D', Effect: 'Allow', Action: 'x:C', Resource: ['r1', 'r2'], Condition: cond },
      { Sid: 'F', Effect: 'Allow', NotAction: 'x:A', Resource: 'r3' },
    ]);
  });
});

describe('splitOperatorPolicy', () => {
  it('a document that fits is returned alone, the same object (render prints it byte for byte as before)', () => {
    const doc = buildOperatorPolicy(richConfig({ mapping: 'token' }));
    const parts = splitOperatorPolicy(doc, LIMITS.managedPolicyChars);
    expect(parts).toHaveLength(1);
    expect(parts[0]).toBe(doc);
  });

  it('rich ABAC: two parts of whole statements, allows in order, every deny in every part, each within 6,144 as IAM counts; deterministic; same decisions as the whole, none wider alone', () => {
    for (const overrides of [{ mapping: 'abac' as const }, { mapping: 'abac' as const, granularity: 'user' as const }]) {
      const doc = buildOperatorPolicy(richConfig(overrides));
      expect(size(doc)).toBeGreaterThan(LIMITS.managedPolicyChars);
      const parts = buildOperatorPolicyParts(richConfig(overrides));
      expect(parts).toHaveLength(2);
      for (const p of parts) {
        expect(size(p)).toBeLessThanOrEqual(LIMITS.managedPolicyChars);
        // Pretty-printed (as `policy render` prints it) it counts the same: whitespace is not counted.
        expect(policySize(JSON.stringify(p, null, 2))).toBe(size(p));
      }
      // The allows in order across the parts; every deny in every part.
      const denies = statements(doc).filter((x) => x.Effect === 'Deny');
      expect(denies.length).toBeGreaterThan(0);
      expect(parts.flatMap((p) => statements(p).filter((x) => x.Effect === 'Allow'))).toEqual(statements(doc).filter((x) => x.Effect === 'Allow'));
      for (const p of parts) expect(statements(p).filter((x) => x.Effect === 'Deny')).toEqual(denies);
      expect(JSON.stringify(buildOperatorPolicyParts(richConfig(overrides)))).toBe(JSON.stringify(parts));
      expect(sameDecisions([doc], parts)).toEqual([]);
      // One part attached alone never allows what the whole denies (e.g. a role at a deeper path).
      for (const p of parts) {
        const wider = probes([doc, p]).filter(
          (q) => evaluate({ ...q, identityPolicies: [p] }).decision === 'Allow' && evaluate({ ...q, identityPolicies: [doc] }).decision !== 'Allow',
        );
        expect(wider).toEqual([]);
      }
    }
  });

  it('packs greedily to the limit; a statement too large alone is cut over its resources; one that cannot be cut is refused (over-limit)', () => {
    const st = (i: number): PolicyStatement => ({
      Sid: `S${i}`,
      Effect: 'Allow',
      Action: 'dynamodb:DescribeTable',
      Resource: `arn:aws:dynamodb:eu-central-1:123456789012:table/t${i}`,
    });
    const doc: PolicyDocument = { Version: '2012-10-17', Statement: Array.from({ length: 40 }, (_, i) => st(i)) };
    for (const limit of [300, 1000, 2048]) {
      const parts = splitOperatorPolicy(doc, limit);
      for (const p of parts) expect(size(p)).toBeLessThanOrEqual(limit);
      // Greedy: no part could have taken the next part's first statement.
      for (let i = 0; i + 1 < parts.length; i++)
        expect(size({ ...parts[i]!, Statement: [...statements(parts[i]!), statements(parts[i + 1]!)[0]!] })).toBeGreaterThan(limit);
      expect(parts.flatMap(statements)).toEqual(statements(doc));
    }
    const wide: PolicyStatement = {
      Sid: 'Tables',
      Effect: 'Allow',
      Action: 'dynamodb:DescribeTable',
      Resource: statements(doc).map((s) => s.Resource as string),
    };
    const cut = splitOperatorPolicy({ Version: '2012-10-17', Statement: [wide] }, 600);
    expect(cut.length).toBeGreaterThan(1);
    expect(cut.flatMap(statements).map((s) => s.Sid)).toEqual(cut.map((_, i) => (i === 0 ? 'Tables' : `Tables${i + 1}`)));
    expect(cut.flatMap(statements).flatMap((s) => list(s.Resource))).toEqual(wide.Resource);
    expect(sameDecisions([{ Version: '2012-10-17', Statement: [wide] }], cut)).toEqual([]);
    const one: PolicyStatement = { Sid: 'Big', Effect: 'Allow', Action: 'dynamodb:DescribeTable', Resource: `arn:aws:dynamodb:::table/${'x'.repeat(700)}` };
    expect(() => splitOperatorPolicy({ Version: '2012-10-17', Statement: [st(1), one] }, 600)).toThrow(PolicyError);
    try {
      splitOperatorPolicy({ Version: '2012-10-17', Statement: [one] }, 600);
    } catch (err) {
      expect(err).toMatchObject({ reason: 'over-limit', code: 'limit_exceeded' });
      expect((err as Error).message).toMatch(/^operator policy statement Big is \d{3} characters; a managed policy holds 600/);
    }
  });
});

describe('checkStackLimits: the operator policy', () => {
  const tables = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `silo${i}`, partitionKey: 'pk', model: 'silo' as const }));

  it('flags nothing while the parts fit the managed policies a user or role may have (rich ABAC: 2 parts)', () => {
    expect(checkStackLimits(richConfig())).toEqual([]);
    expect(checkStackLimits(richConfig({ mapping: 'abac' }))).toEqual([]);
    // Many silo tables: DescribeDataTables and CreateSiloTables are cut over their tables.
    const many = makeConfig({ mapping: 'abac', tables: tables(200) });
    const parts = buildOperatorPolicyParts(many);
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.length).toBeLessThanOrEqual(LIMITS.managedPoliciesPerPrincipal);
    expect(checkStackLimits(many).filter((f) => f.limit.startsWith('operator'))).toEqual([]);
  });

  it('flags operator-policy-parts when more than 10 managed policies would be needed', () => {
    const huge = makeConfig({ mapping: 'abac', tables: tables(1500) });
    const f = checkStackLimits(huge).filter((x) => x.limit.startsWith('operator'));
    expect(f).toEqual([expect.objectContaining({ limit: 'operator-policy-parts', max: 10 })]);
    expect(f[0]!.value).toBeGreaterThan(10);
    expect(f[0]!.message).toMatch(
      /^operator policy is [\d,]+ characters: it needs \d+ managed policies of at most 6,144 characters, and IAM attaches 10 to a user or role/,
    );
  });
});
