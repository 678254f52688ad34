// Vector 3 (#11): two resource templates that can produce one name (or one object prefix a
// prefix of another) for some pair of valid tenant ids are refused when the config loads (exit 2).
// The answers come from automata over the tenant-id grammar; here each is checked against a
// witness that really collides, and sound shapes must pass.
import { describe, expect, it } from 'vitest';
import { stackConfigSchema, type StackConfigInput } from '../../src/config/schema.js';
import { validateConfig } from '../../src/config/load.js';
import { findTemplateCollisions, maxTenantIdLength, templateParts, type NameTemplate } from '../../src/config/name-templates.js';
import { TENANT_ID_PATTERN } from '../../src/config/tenant-id.js';
import { UsageError } from '../../src/errors.js';

const base = {
  stack: 'prod',
  region: 'eu-central-1',
  accountId: '123456789012',
  userPoolId: 'eu-central-1_AbC123',
  userPoolClientId: 'client123',
  identityPoolId: 'eu-central-1:11111111-2222-3333-4444-555555555555',
};
const silo = (name: string) => ({ name, partitionKey: 'pk', model: 'silo' as const });
const pooled = (name: string) => ({ name, partitionKey: 'pk' });
const bucket = (name: string, prefix: string) => ({ name, prefix });

function problems(c: Partial<StackConfigInput>): string[] {
  const r = stackConfigSchema.safeParse({ ...base, tables: [pooled('Orders')], ...c });
  return r.success ? [] : r.error.issues.map((i) => i.message);
}

const tmpl = (label: string, template: string): NameTemplate => ({ label, parts: templateParts(template), path: [] });
const fill = (template: string, id: string) => template.split('{tenant}').join(id);

describe('resource templates that collide are refused', () => {
  it('silo Vault beside silo Vault-archive: tenants "archive-acme" and "acme" share Vault-archive-acme', () => {
    const p = problems({ tables: [silo('Vault'), silo('Vault-archive')] });
    expect(p).toHaveLength(1);
    expect(p[0]).toContain('can name the same table');
    const m = /same table "([^"]+)": tenant "([^"]+)" of .* and tenant "([^"]+)" of/.exec(p[0] as string);
    expect(m).not.toBeNull();
    const [, name, a, b] = m as unknown as [string, string, string, string];
    expect(`Vault-${a}`).toBe(name);
    expect(`Vault-archive-${b}`).toBe(name);
    expect(a).toMatch(TENANT_ID_PATTERN);
    expect(b).toMatch(TENANT_ID_PATTERN);
  });

  it('the order of the entries does not matter', () => {
    expect(problems({ tables: [silo('Vault-archive'), silo('Vault')] })).toHaveLength(1);
  });

  it('pooled Ledger-audit beside silo Ledger: tenant "audit" would get the whole pooled table', () => {
    const p = problems({ tables: [silo('Ledger'), pooled('Ledger-audit')] });
    expect(p.join('\n')).toMatch(/same table "Ledger-audit": tenant "audit" of table "Ledger"/);
  });

  it('bucket prefixes {tenant}/ and t/{tenant}/ in one bucket: tenant "t" reaches every t/ prefix', () => {
    const p = problems({ buckets: [bucket('bkt', '{tenant}/'), bucket('bkt', 't/{tenant}/')] });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/"t\/" \(tenant "t" of bucket "bkt" prefix "\{tenant\}\/"\) is a prefix of "t\/[a-z0-9-]+\/"/);
  });

  it('a silo prefix that is the stack lock table name less "-lock"', () => {
    expect(problems({ tables: [silo('isoctl-prod')] }).join('\n')).toMatch(/lock table "isoctl-prod-lock"/);
    expect(problems({ tables: [silo('Locks')], lockTable: 'Locks-main' }).join('\n')).toMatch(/tenant "main"/);
  });

  it("a prefix with no delimiter after the tenant id gives one tenant a prefix of a longer id's", () => {
    expect(problems({ buckets: [bucket('bkt', '{tenant}-x/')] })).toHaveLength(0); // '-x/' ends every id: no id's prefix is a prefix of another's
    expect(problems({ buckets: [bucket('bkt', 'x{tenant}/')] })).toHaveLength(0);
    // Not reachable through the schema (prefixes end with "/"), but the automaton must see it.
    const open = tmpl('open', '{tenant}');
    const hits = findTemplateCollisions([], new Map([['b', [open]]]), 32);
    expect(hits).toHaveLength(1);
    expect(fill('{tenant}', hits[0]?.overlap.secondTenant as string).startsWith(hits[0]?.overlap.name as string)).toBe(true);
  });

  it('nested silo prefixes several dashes deep, and pooled names that a silo prefix produces', () => {
    expect(problems({ tables: [silo('AAA'), silo('AAA-b-c')] })).toHaveLength(1);
    expect(problems({ tables: [silo('a-b'), pooled('a-b-0')] })).toHaveLength(1);
    expect(problems({ tables: [silo('xxx'), pooled('xxx-y-')] })).toHaveLength(0); // "y-" ends with a dash: not a tenant id
    expect(problems({ tables: [silo('xxx'), pooled('xxx--y')] })).toHaveLength(0); // "-y" starts with a dash
    expect(problems({ tables: [silo('xxx'), pooled('xxx-Y')] })).toHaveLength(0); // upper case is never in an id
    expect(problems({ tables: [silo('xxx'), pooled(`xxx-${'a'.repeat(33)}`)] })).toHaveLength(0); // longer than 32
    expect(problems({ tables: [silo('xxx'), pooled(`xxx-${'a'.repeat(32)}`)] })).toHaveLength(1);
  });

  it('the longest id is what the stack name leaves of a 64-character role name', () => {
    const stack = 'a-very-long-stac'; // 16: isoctl-a-very-long-stac- is 24, ids up to 32 still fit (24 + 32 = 56)
    expect(maxTenantIdLength(stack)).toBe(32);
    expect(maxTenantIdLength('prod')).toBe(32);
    const hits = findTemplateCollisions([tmpl('s', 'x-{tenant}'), tmpl('p', `x-${'a'.repeat(20)}`)], new Map(), 19);
    expect(hits).toHaveLength(0);
  });

  it('two prefixes in one bucket where one template is a literal extension of the other', () => {
    expect(problems({ buckets: [bucket('bkt', '{tenant}/'), bucket('bkt', '{tenant}/archive/')] })).toHaveLength(1);
    expect(problems({ buckets: [bucket('bkt', 'a/{tenant}/'), bucket('bkt', 'a/b/{tenant}/')] })).toHaveLength(1); // tenant "b"
    expect(problems({ buckets: [bucket('bkt', 'u-{tenant}/'), bucket('bkt', 'u-v-{tenant}/')] })).toHaveLength(1); // tenant "v-..."
    expect(problems({ buckets: [bucket('bkt', '{tenant}/a/'), bucket('bkt', '{tenant}/b/')] })).toHaveLength(0);
  });

  it('sound configs pass: distinct silo prefixes, prefixes separated by a fixed first segment, the same prefix in two buckets', () => {
    expect(problems({ tables: [pooled('Orders'), pooled('Agents'), silo('Ledger')], buckets: [bucket('acme-saas-uploads', '{tenant}/')] })).toEqual([]);
    expect(problems({ tables: [silo('Vault'), silo('Archive')] })).toEqual([]);
    expect(problems({ tables: [silo('Vault_a'), silo('Vault_b')] })).toEqual([]);
    expect(problems({ tables: [silo('Vault'), pooled('Vault_archive')] })).toEqual([]);
    expect(problems({ tables: [silo('Vault'), pooled('Vault-')] })).toEqual([]);
    expect(problems({ buckets: [bucket('bkt', 'a/{tenant}/'), bucket('bkt', 'b/{tenant}/')] })).toEqual([]);
    expect(problems({ buckets: [bucket('bkt', '{tenant}/'), bucket('bkt2', 't/{tenant}/')] })).toEqual([]);
    expect(problems({ buckets: [bucket('bkt', 'tenants/{tenant}/'), bucket('bkt', 'exports/{tenant}/')] })).toEqual([]);
    expect(problems({ buckets: [bucket('bkt', '{tenant}/{tenant}/')] })).toEqual([]);
  });

  it('every witness the automaton reports really collides (pairs of generated templates)', () => {
    const literals = ['', 'a', 'a-', 'a-b', 'a-b-', 'x/', 'a/', '0-', 'ab-'];
    let found = 0;
    for (const p1 of literals)
      for (const p2 of literals) {
        if (p1 === p2) continue;
        const t1 = `${p1}{tenant}/`;
        const t2 = `${p2}{tenant}/`;
        const hits = findTemplateCollisions([], new Map([['b', [tmpl('one', t1), tmpl('two', t2)]]]), 32);
        for (const h of hits) {
          found++;
          const first = h.first.label === 'one' ? t1 : t2;
          const second = h.first.label === 'one' ? t2 : t1;
          const { firstTenant, secondTenant } = h.overlap;
          expect(firstTenant).toMatch(TENANT_ID_PATTERN);
          expect(secondTenant).toMatch(TENANT_ID_PATTERN);
          expect(fill(second, secondTenant).startsWith(fill(first, firstTenant))).toBe(true);
        }
        // And the converse: when one literal is a strict extension of the other by "<id>/" text, there must be a hit.
        const rest = p2.startsWith(p1) ? p2.slice(p1.length) : undefined;
        if (rest !== undefined && /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\/$/.test(rest)) expect(hits.length).toBeGreaterThan(0);
      }
    expect(found).toBeGreaterThan(0);
  });

  it('loading such a config is a usage error (exit 2) naming the field', () => {
    let err: unknown;
    try {
      validateConfig({ ...base, tables: [silo('Vault'), silo('Vault-archive')] }, 'isoctl.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/tables\[1\]\.name: .*Vault-archive/);
  });
});

describe('cost of the check on every config load', () => {
  it("a sound config of the README's shape validates in a few milliseconds", () => {
    const cfg = { ...base, tables: [pooled('Orders'), pooled('Agents'), silo('Ledger')], buckets: [bucket('acme-saas-uploads', '{tenant}/')] };
    stackConfigSchema.parse(cfg);
    const started = performance.now();
    for (let i = 0; i < 20; i++) stackConfigSchema.parse(cfg);
    expect((performance.now() - started) / 20).toBeLessThan(5);
  });
});
