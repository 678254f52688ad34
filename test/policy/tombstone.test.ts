// Dated ABAC tombstones (src/policy/tombstone.ts, in the deny lists of src/policy/deny-list.ts): the
// date rides in the statement's Sid, rounded up to the minute; a tenant seen twice gets the later
// date, or none if either is undated; the deny itself is the same whatever the date.
import { describe, expect, it } from 'vitest';
import { denyDocument, readDenyEntries, tombstoneExpiry, tombstoneMoment, type DenyEntry } from '../../src/policy/index.js';

describe('dated tombstones', () => {
  it('the moment is the next whole minute (never earlier than now)', () => {
    expect(tombstoneMoment(Date.parse('2026-12-04T15:30:00.000Z'))).toBe('2026-12-04T15:30:00Z');
    expect(tombstoneMoment(Date.parse('2026-12-04T15:30:00.001Z'))).toBe('2026-12-04T15:31:00Z');
  });

  it('one statement per date (undated first), read back exactly, beside suspensions and revocations', () => {
    const entries: DenyEntry[] = [
      { kind: 'deleted', tenant: 'b', at: '2026-12-04T15:31:00Z' },
      { kind: 'deleted', tenant: 'a', at: '2026-12-04T15:31:00Z' },
      { kind: 'deleted', tenant: 'c', at: '2026-12-01T00:00:00Z' },
      { kind: 'deleted', tenant: 'd' },
      { kind: 'suspended', tenant: 'e' },
      { kind: 'revoked', tenant: 'f', issuedBefore: '2026-12-04T10:00:00Z' },
    ];
    const doc = denyDocument(entries)!;
    expect((doc.Statement as Array<{ Sid: string; Action: unknown }>).map((s) => `${s.Sid} ${JSON.stringify(s.Action)}`)).toEqual([
      'DeletedTenants ["dynamodb:*","s3:*"]',
      'DeletedTenantsAt202612010000 ["dynamodb:*","s3:*"]',
      'DeletedTenantsAt202612041531 ["dynamodb:*","s3:*"]',
      'SuspendedTenants "*"',
      'RevokedBefore20261204100000 "*"',
    ]);
    const back = readDenyEntries(doc);
    expect(back.filter((e) => e.kind === 'deleted')).toEqual([
      { kind: 'deleted', tenant: 'a', at: '2026-12-04T15:31:00Z' },
      { kind: 'deleted', tenant: 'b', at: '2026-12-04T15:31:00Z' },
      { kind: 'deleted', tenant: 'c', at: '2026-12-01T00:00:00Z' },
      { kind: 'deleted', tenant: 'd' },
    ]);
    expect(back.filter((e) => e.kind !== 'deleted')).toHaveLength(2);
  });

  it('a tenant in two tombstone statements: the later date; undated wins (unknown is never older)', () => {
    const st = (at: string | undefined) => denyDocument([{ kind: 'deleted', tenant: 'x', at }])!.Statement as object[];
    const doc = (...s: object[][]) => ({ Version: '2012-10-17', Statement: s.flat() });
    expect(readDenyEntries(doc(st('2026-12-01T00:00:00Z'), st('2026-12-02T00:00:00Z')))).toEqual([
      { kind: 'deleted', tenant: 'x', at: '2026-12-02T00:00:00Z' },
    ]);
    expect(readDenyEntries(doc(st('2026-12-02T00:00:00Z'), st('2026-12-01T00:00:00Z')))).toEqual([
      { kind: 'deleted', tenant: 'x', at: '2026-12-02T00:00:00Z' },
    ]);
    expect(readDenyEntries(doc(st('2026-12-01T00:00:00Z'), st(undefined)))).toEqual([{ kind: 'deleted', tenant: 'x', at: undefined }]);
  });

  it('expiry: ID token validity plus credential lifetime after the date', () => {
    expect(new Date(tombstoneExpiry('2026-12-04T00:00:00Z', 3600, 43_200)).toISOString()).toBe('2026-12-04T13:00:00.000Z');
  });
});
