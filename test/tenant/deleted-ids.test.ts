// The id-reuse decision (src/tenant/deleted-ids.ts, docs/security.md row 12d), pure: a deleted
// tenant's id is refused to a new tenant while its old users' tokens may live, while a user still
// carries its claim (rules, ABAC) or while its tombstone is on the scope roles (ABAC); --reuse-id
// waives it; a registered tenant is a repair.
import { describe, expect, it } from 'vitest';
import type { RegistryRow } from '../../src/aws/apis.js';
import type { StackConfig } from '../../src/config/schema.js';
import { planDeletedIds, type DeletedIdsListing } from '../../src/ops/gc/deleted-ids.js';
import { decideIdReuse, describeReasons, freeAt, reuseReasons, type ReuseFacts } from '../../src/tenant/deleted-ids.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const H = 3_600_000;
const facts = (over: Partial<ReuseFacts> = {}): ReuseFacts => ({
  tenant: 'acme',
  mode: 'rules',
  now: T0 + H,
  registryStatus: undefined,
  record: { deletedAt: new Date(T0).toISOString(), mode: 'rules' },
  holders: [],
  tombstoned: false,
  idTokenSeconds: 3600,
  credentialSeconds: 43_200,
  reuseId: false,
  ...over,
});

describe('decideIdReuse', () => {
  it('refuses a recently deleted id in every mode, and names the moment it is free (deleted + ID token + credentials)', () => {
    for (const mode of ['token', 'rules', 'abac'] as const) {
      const d = decideIdReuse(facts({ mode }));
      expect(d).toEqual({
        verdict: 'refused',
        reasons: [{ kind: 'recently-deleted', deletedAt: new Date(T0).toISOString(), freeAt: '2026-01-01T13:00:00.000Z' }],
      });
    }
    expect(new Date(freeAt(new Date(T0).toISOString(), 86_400)).toISOString()).toBe('2026-01-02T12:00:00.000Z');
  });

  it('frees the id once the window has passed (one millisecond before: still refused)', () => {
    expect(decideIdReuse(facts({ now: T0 + 13 * H - 1 })).verdict).toBe('refused');
    expect(decideIdReuse(facts({ now: T0 + 13 * H }))).toEqual({ verdict: 'new' });
  });

  it('rules and ABAC: refused while a user still carries the claim, whatever the age; token mode ignores the claim', () => {
    const late = T0 + 100 * H;
    for (const mode of ['rules', 'abac'] as const) {
      const d = decideIdReuse(facts({ mode, now: late, holders: ['bob', 'alice'] }));
      expect(d).toEqual({ verdict: 'refused', reasons: [{ kind: 'claim-holders', users: ['alice', 'bob'] }] });
    }
    expect(decideIdReuse(facts({ mode: 'token', now: late, holders: ['bob'] }))).toEqual({ verdict: 'new' });
    // No trace of a delete (no record, row or tombstone): the holders are the new tenant's own users.
    expect(decideIdReuse(facts({ record: undefined, holders: ['bob'] })).verdict).toBe('new');
  });

  it('ABAC: refused while the tombstone is on the scope roles, even with no record and no holder', () => {
    expect(decideIdReuse(facts({ mode: 'abac', record: undefined, tombstoned: true }))).toEqual({ verdict: 'refused', reasons: [{ kind: 'tombstone' }] });
    // In role mode a tombstone cannot exist; the flag is ignored.
    expect(decideIdReuse(facts({ mode: 'rules', record: undefined, tombstoned: true })).verdict).toBe('new');
  });

  it('--reuse-id waives every reason; in ABAC it asks for the tombstone to be lifted', () => {
    const d = decideIdReuse(facts({ mode: 'abac', holders: ['bob'], tombstoned: true, reuseId: true }));
    expect(d.verdict).toBe('reuse');
    expect(d).toMatchObject({ liftTombstone: true });
    expect((d as { reasons: Array<{ kind: string }> }).reasons.map((r) => r.kind)).toEqual(['recently-deleted', 'claim-holders', 'tombstone']);
    expect(decideIdReuse(facts({ mode: 'rules', reuseId: true }))).toMatchObject({ verdict: 'reuse', liftTombstone: false });
  });

  it('a registered tenant (active or suspended) is a repair; a half-done delete (deleting) is not', () => {
    expect(decideIdReuse(facts({ registryStatus: 'active', holders: ['bob'], tombstoned: true }))).toEqual({ verdict: 'existing' });
    expect(decideIdReuse(facts({ registryStatus: 'suspended' }))).toEqual({ verdict: 'existing' });
    expect(decideIdReuse(facts({ registryStatus: 'deleting' })).verdict).toBe('refused');
  });

  it("users carrying the claim of an id with no trace of a delete are the new tenant's own (new); after a delete they refuse it", () => {
    expect(decideIdReuse(facts({ record: undefined, holders: ['bob'] }))).toEqual({ verdict: 'new' });
    expect(decideIdReuse(facts({ holders: ['bob'] })).verdict).toBe('refused');
    expect(decideIdReuse(facts({ record: undefined, registryStatus: 'deleting', holders: ['bob'] })).verdict).toBe('refused');
    expect(decideIdReuse(facts({ record: undefined, mode: 'abac', tombstoned: true, holders: ['bob'] })).verdict).toBe('refused');
  });

  it('a brand-new id with nothing against it is new', () => {
    expect(decideIdReuse(facts({ record: undefined }))).toEqual({ verdict: 'new' });
    expect(reuseReasons(facts({ record: undefined }))).toEqual([]);
  });

  it('the message names the users (a few), the fix and the free moment', () => {
    const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'];
    const lines = describeReasons({ tenantClaim: 'custom:tenant' }, 'acme', reuseReasons(facts({ holders: users })));
    expect(lines[0]).toContain('2026-01-01T13:00:00.000Z');
    expect(lines[1]).toContain('7 user(s) of the pool still carry custom:tenant=acme (u1, u2, u3, u4, u5, ... (7 in all))');
    expect(lines[1]).toContain('isoctl user remove');
  });
});

describe('planDeletedIds (gc)', () => {
  const config = { mapping: 'rules', tenantClaim: 'custom:tenant' } as unknown as StackConfig;
  const listing = (over: Partial<DeletedIdsListing> = {}): DeletedIdsListing => ({
    records: [{ tenant: 'acme', deletedAt: new Date(T0).toISOString(), mode: 'rules', version: 1 }],
    registry: new Map(),
    claims: new Map(),
    idTokenSeconds: 3600,
    credentialSeconds: 43_200,
    ...over,
  });
  const state = (l: DeletedIdsListing, now: number, cfg = config) => planDeletedIds(cfg, l, now).map((i) => `${i.target} ${i.state}`);

  it('keeps a record within the token window and while a user (not the probe user) carries the claim; plans it after', () => {
    expect(state(listing(), T0 + 13 * H - 1)).toEqual(['deleted#acme skipped']);
    expect(planDeletedIds(config, listing(), T0 + H)[0]!.detail).toContain('may go after 2026-01-01T13:00:00.000Z');
    expect(state(listing({ claims: new Map([['acme', ['alice']]]) }), T0 + 100 * H)).toEqual(['deleted#acme skipped']);
    expect(state(listing({ claims: new Map([['acme', ['isoctl-probe-acme']]]) }), T0 + 100 * H)).toEqual(['deleted#acme planned']);
    expect(state(listing(), T0 + 13 * H)).toEqual(['deleted#acme planned']);
    // Token mode does not read claims.
    const token = { ...config, mapping: 'token' } as StackConfig;
    expect(state(listing({ claims: new Map([['acme', ['alice']]]) }), T0 + 13 * H, token)).toEqual(['deleted#acme planned']);
  });

  it('a tenant in the registry again (taken back with --reuse-id): the record goes at once', () => {
    const row: RegistryRow = { tenant: 'acme', status: 'active', scopes: [], mode: 'rules', createdAt: '', updatedAt: '', version: 1 };
    expect(state(listing({ registry: new Map([['acme', { ...row }]]) }), T0 + H)).toEqual(['deleted#acme planned']);
    expect(state(listing({ registry: new Map([['acme', { ...row, status: 'deleting' as const }]]) }), T0 + H)).toEqual(['deleted#acme skipped']);
  });
});
