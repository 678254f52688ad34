// The ABAC isolation proof over representative ids (docs/security.md, "ABAC proof by
// representative ids"): documents broken so that they leak for one id shape only must still fail
// with 10,000 ids in which the offending pair sits in the middle, and the sampled proof must agree
// with the proof over every pair on a set of mutated documents.
import { describe, expect, it } from 'vitest';
import { buildBoundaryPolicy, buildScopeDataPolicy, proveIsolation, type PolicyDocument } from '../../src/policy/index.js';
import type { StackConfig } from '../../src/config/schema.js';
import { makeConfig, richConfig } from './helpers.js';

const TAG = '${aws:PrincipalTag/isoctl-tenant}';

/** n distinct ids over an alphabet, fixed length: no id is a prefix, suffix or infix of another of the same length. */
function idsOver(alphabet: string, n: number, length: number, hyphenAt?: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    let x = i;
    let s = '';
    for (let k = 0; k < length; k++) {
      s += alphabet[x % alphabet.length];
      x = Math.floor(x / alphabet.length);
    }
    out.push(hyphenAt === undefined ? s : `${s.slice(0, hyphenAt)}-${s.slice(hyphenAt + 1)}`);
  }
  return out;
}

/**
 * 10,000 ids shaped like `acme` (4 letters) and `acme-corp` (4 letters, hyphen, 4 letters), from
 * two disjoint consonant alphabets (no id inside another, none in the documents' literals), with
 * `special` spliced in at the given positions.
 */
function bulkWith(special: Record<number, string>): string[] {
  const bulk = [...idsOver('bdfghjkmv', 5000, 4), ...idsOver('lnpqrtwxz', 5000, 9, 4)];
  for (let i = 1; i < bulk.length; i += 2) [bulk[i - 1], bulk[i]] = [bulk[i], bulk[i - 1]] as [string, string];
  const list = bulk.slice(0, 10_000 - Object.keys(special).length);
  for (const [at, id] of Object.entries(special).sort((a, b) => Number(a[0]) - Number(b[0]))) list.splice(Number(at), 0, id);
  return list;
}

type Mutation = (json: string) => string;

/** The scope documents and the boundary with the same textual mutation (the boundary must leak too, or it holds). */
function mutated(config: StackConfig, m: Mutation) {
  const doc = (d: PolicyDocument) => JSON.parse(m(JSON.stringify(d))) as PolicyDocument;
  const scopes = new Map(Object.keys(config.scopes).map((s) => [s, doc(buildScopeDataPolicy(config, s))]));
  return {
    abacDocuments: (s: string) => scopes.get(s) as PolicyDocument,
    dataPolicy: (_t: string, s: string) => scopes.get(s) as PolicyDocument,
    boundary: doc(buildBoundaryPolicy(config)),
  };
}

/** One more statement at the top of each document. */
const addStatement =
  (st: object): Mutation =>
  (j) =>
    j.replace('"Statement":[', `"Statement":[${JSON.stringify(st)},`);

/** LeadingKeys matched with a pattern around the tenant variable instead of StringEquals. */
const leadingKeysLike =
  (...patterns: string[]): Mutation =>
  (j) =>
    j
      .split('"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["' + TAG + '"]')
      .join(`"ForAllValues:StringLike":{"dynamodb:LeadingKeys":${JSON.stringify(patterns.map((p) => p.replace('T', TAG)))}`);

describe('ABAC proof by representative ids', () => {
  const config = makeConfig({ mapping: 'abac' });

  it('the documents as init builds them: 10,000 ids proved through a handful, both counts and the rules reported', () => {
    const list = bulkWith({ 3000: 'acme', 7000: 'acme-corp' });
    const proof = proveIsolation(config, list);
    expect(proof.failures).toEqual([]);
    expect(proof.tenants).toBe(10_000);
    expect(proof.sampling.mode).toBe('representative');
    expect(proof.sampled).toBeLessThan(40);
    const picks = new Map((proof.sampling.picks ?? []).map((p) => [p.id, p]));
    expect(picks.get('acme')?.rules).toContain('prefix of acme-corp');
    expect(picks.get('acme')?.others).toContain('acme-corp');
    expect(picks.get('acme-corp')?.rules).toContain('has acme as prefix');
    expect(picks.get(list[0] as string)?.rules).toContain('first');
    expect(picks.get(list[9999] as string)?.rules).toContain('last');
  });

  it('StringLike ${tag}* on LeadingKeys lets acme reach acme-corp (ids 3,000 and 7,000 of 10,000): the sampled proof fails', () => {
    const m = mutated(config, leadingKeysLike('T*'));
    const proof = proveIsolation(config, bulkWith({ 3000: 'acme', 7000: 'acme-corp' }), { abacDocuments: m.abacDocuments, boundary: m.boundary });
    expect(proof.sampling.mode).toBe('representative');
    expect(proof.ok).toBe(false);
    expect(new Set(proof.failures.map((f) => f.tenant))).toEqual(new Set(['acme']));
    expect(proof.failures.map((f) => f.probe)).toContain('scope read: other-partition dynamodb:GetItem Orders');
  });

  it('the same leak for tenant create: the new tenant acme next to 10,000 existing ids with acme-corp among them', () => {
    const m = mutated(config, leadingKeysLike('T*'));
    const list = bulkWith({ 0: 'acme', 6000: 'acme-corp' });
    const proof = proveIsolation(config, list, { subject: 'acme', abacDocuments: m.abacDocuments, boundary: m.boundary });
    expect(proof.sampled).toBeLessThan(40);
    expect(proof.failures.some((f) => f.tenant === 'acme' && f.probe.includes('other-partition'))).toBe(true);
    expect(proveIsolation(config, list, { subject: 'acme' }).ok).toBe(true);
  });

  it('StringLike ${tag}3* (literal text after the variable) lets acme reach acme3 but not acme2: fails', () => {
    const m = mutated(config, leadingKeysLike('T', 'T3*'));
    const proof = proveIsolation(config, bulkWith({ 3000: 'acme', 5000: 'acme2', 7000: 'acme3' }), { abacDocuments: m.abacDocuments, boundary: m.boundary });
    expect(proof.ok).toBe(false);
    expect(new Set(proof.failures.map((f) => f.tenant))).toEqual(new Set(['acme']));
    expect(proof.sampling.picks?.find((p) => p.id === 'acme')?.others).toContain('acme3');
  });

  it('StringLike ${tag}?? lets acme reach acme22 but not acme2: fails', () => {
    const m = mutated(config, leadingKeysLike('T', 'T??'));
    const proof = proveIsolation(config, bulkWith({ 3000: 'acme', 5000: 'acme2', 7000: 'acme22' }), { abacDocuments: m.abacDocuments, boundary: m.boundary });
    expect(proof.ok).toBe(false);
    expect(new Set(proof.failures.map((f) => f.tenant))).toEqual(new Set(['acme']));
  });

  it('StringLike *${tag} lets acme reach corp-acme (a suffix): fails', () => {
    const m = mutated(config, leadingKeysLike('*T'));
    const proof = proveIsolation(config, bulkWith({ 4000: 'acme', 6000: 'corp-acme' }), { abacDocuments: m.abacDocuments, boundary: m.boundary });
    expect(proof.ok).toBe(false);
    expect(new Set(proof.failures.map((f) => f.tenant))).toEqual(new Set(['acme']));
  });

  it('StringLike *${tag}* lets acme reach xacmex (an infix): fails', () => {
    const m = mutated(config, leadingKeysLike('*T*'));
    const proof = proveIsolation(config, bulkWith({ 4000: 'acme', 6000: 'zacmez' }), { abacDocuments: m.abacDocuments, boundary: m.boundary });
    expect(proof.ok).toBe(false);
    expect(new Set(proof.failures.map((f) => f.tenant))).toEqual(new Set(['acme']));
  });

  // (A tenant named like a pooled table, silo `ledger-<tenant>` = pooled `ledger-acme`, is refused by the config schema.)
  it("a shared document hard-coding acme's silo table (every tenant reaches it): acme is evaluated as the other tenant, fails", () => {
    const cfg = richConfig({ mapping: 'abac' });
    const m = mutated(
      cfg,
      addStatement({ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'arn:aws:dynamodb:eu-central-1:123456789012:table/ledger-acme' }),
    );
    const proof = proveIsolation(cfg, bulkWith({ 5000: 'acme' }), { abacDocuments: m.abacDocuments, boundary: m.boundary });
    expect(proof.sampling.mode).toBe('representative');
    expect(proof.sampling.picks?.find((p) => p.id === 'acme')?.rules).toContain('occurs in the documents');
    expect(proof.ok).toBe(false);
    expect(proof.failures.map((f) => f.probe)).toContain('scope read: other-tenant-table dynamodb:GetItem ledger');
  });

  it("a shared document with an exception for acme's role ARN: acme is evaluated as the tenant, fails", () => {
    const cfg = richConfig({ mapping: 'abac' });
    const m = mutated(
      cfg,
      addStatement({
        Effect: 'Allow',
        Action: 'dynamodb:*',
        Resource: '*',
        Condition: { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/isoctl/prod/isoctl-prod-acme' } },
      }),
    );
    const proof = proveIsolation(cfg, bulkWith({ 5000: 'acme' }), { abacDocuments: m.abacDocuments, boundary: m.boundary });
    expect(proof.sampling.mode).toBe('representative');
    expect(proof.ok).toBe(false);
    expect(new Set(proof.failures.map((f) => f.tenant))).toEqual(new Set(['acme']));
  });

  it('a document naming a tenant id literally (a deny list) makes the proof evaluate every id', () => {
    const boundary = buildBoundaryPolicy(config);
    const statements = Array.isArray(boundary.Statement) ? boundary.Statement : [boundary.Statement];
    const denyList: PolicyDocument = {
      ...boundary,
      Statement: [
        ...statements,
        { Sid: 'Suspended', Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/isoctl-tenant': ['gdbb'] } } },
      ],
    };
    const list = idsOver('bdfghjk', 30, 4);
    expect(list).toContain('gdbb');
    const proof = proveIsolation(config, list, { boundary: denyList });
    expect(proof.sampling).toMatchObject({ mode: 'full' });
    expect(proof.sampling.why).toContain('"gdbb"');
    expect(proof.sampled).toBe(30);
    // The suspended tenant's own access is denied: found because it was evaluated.
    expect(proof.failures.every((f) => f.tenant === 'gdbb' && f.expected === 'Allow')).toBe(true);
    expect(proof.failures.length).toBeGreaterThan(0);
    // A tenant named like a literal tenant text can meet (a table in a Resource): full; named like a
    // condition value no probe fills from an id (ReturnValues NONE, Null false): representative.
    const rich = richConfig({ mapping: 'abac' });
    expect(proveIsolation(rich, [...list, 'orders']).sampling.why).toContain('"orders"');
    const quiet = proveIsolation(rich, [...list, 'none', 'false', 'authenticated']);
    expect(quiet.sampling.mode).toBe('representative');
    expect(quiet.sampling.picks?.find((p) => p.id === 'none')?.rules).toContain('occurs in the documents');
    // Per-tenant documents (read back from IAM) are never sampled.
    expect(proveIsolation(config, list, { dataPolicy: (_t, s) => buildScopeDataPolicy(config, s) }).sampling.mode).toBe('full');
    // Role mode: per-tenant documents.
    expect(proveIsolation(makeConfig(), list).sampled).toBe(30);
  });
});

describe('the sampled proof agrees with the proof over every pair', () => {
  const cfg = richConfig({ mapping: 'abac' });
  // Ids related in every way the argument names, and bulk ids alike in shape and length (so the sample is smaller than the list).
  const ids = [
    'acme',
    'bdfg',
    'acme-corp',
    'hjkb',
    'acme2',
    'corp-acme',
    'zacmez',
    'dfgh',
    'a',
    'b',
    'a0',
    '0',
    '00',
    'ledger',
    'files',
    'globex',
    'qrst-vwxz',
    'x'.repeat(31) + '9',
    'initech',
    'kkdd',
  ];
  const mutations: Array<[string, Mutation]> = [
    ['unchanged', (j) => j],
    ['LeadingKeys ${tag}*', leadingKeysLike('T*')],
    ['LeadingKeys *${tag}', leadingKeysLike('*T')],
    ['LeadingKeys *${tag}*', leadingKeysLike('*T*')],
    ['LeadingKeys ${tag}?', leadingKeysLike('T', 'T?')],
    ['LeadingKeys ?${tag}', leadingKeysLike('T', '?T')],
    ['S3 prefix without its slash', (j) => j.split(`${TAG}/*`).join(`${TAG}*`)],
    ['silo table name with a wildcard', (j) => j.split(`table/ledger-${TAG}"`).join(`table/ledger-${TAG}*"`)],
    ['silo table name matched by a suffix', (j) => j.split(`table/ledger-${TAG}"`).join(`table/*${TAG}"`)],
    ['tenant variable replaced by *', (j) => j.split(TAG).join('*')],
    [
      'a hard-coded grant on ledger-globex',
      addStatement({ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'arn:aws:dynamodb:eu-central-1:123456789012:table/ledger-globex' }),
    ],
    ['exports/ prefix widened to exports/*', (j) => j.split(`exports/${TAG}/*`).join('exports/*')],
  ];

  it.each(mutations)('%s', (_name, m) => {
    const docs = mutated(cfg, m);
    const full = proveIsolation(cfg, ids, { allPairs: true, dataPolicy: docs.dataPolicy, boundary: docs.boundary });
    const sampled = proveIsolation(cfg, ids, { allPairs: true, abacDocuments: docs.abacDocuments, boundary: docs.boundary });
    const neighbours = proveIsolation(cfg, ids, { abacDocuments: docs.abacDocuments, boundary: docs.boundary });
    expect(full.sampling.mode).toBe('full');
    expect(sampled.sampling.mode).toBe('representative');
    expect(sampled.sampled).toBeLessThan(ids.length);
    const names = (p: typeof full) => [...new Set(p.failures.map((f) => f.probe))].sort();
    expect(sampled.ok).toBe(full.ok);
    expect(names(sampled)).toEqual(names(full));
    expect(neighbours.ok).toBe(full.ok);
    expect(names(neighbours)).toEqual(names(full));
  });
});
