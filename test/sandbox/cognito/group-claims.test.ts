import { describe, expect, it } from 'vitest';
import { groupClaims } from '../../../src/sandbox/cognito/group-claims.js';
import type { GroupRecord } from '../../../src/sandbox/cognito/state.js';

const g = (GroupName: string, RoleArn?: string, Precedence?: number): GroupRecord => ({
  GroupName,
  ...(RoleArn ? { RoleArn } : {}),
  ...(Precedence !== undefined ? { Precedence } : {}),
  CreationDate: 0,
  LastModifiedDate: 0,
});
const A = 'arn:aws:iam::123456789012:role/a';
const B = 'arn:aws:iam::123456789012:role/b';

describe('cognito:preferred_role from group precedence', () => {
  it('is the role of the group with the lowest Precedence', () => {
    const c = groupClaims([g('a', A, 5), g('b', B, 1)]);
    expect(c.preferredRole).toBe(B);
    expect(c.roles).toEqual([B, A]);
    expect(c.groups).toEqual(['b', 'a']);
  });

  it('ranks a null Precedence after every number', () => {
    expect(groupClaims([g('a', A), g('b', B, 100)]).preferredRole).toBe(B);
  });

  it('is the only role when there is one, even without precedence', () => {
    expect(groupClaims([g('a', A), g('plain')]).preferredRole).toBe(A);
  });

  it('is left out when the best precedence is shared by groups with different roles', () => {
    const c = groupClaims([g('a', A, 1), g('b', B, 1)]);
    expect(c.preferredRole).toBeUndefined();
    expect(c.roles.sort()).toEqual([A, B].sort());
  });

  it('is left out when several groups without precedence have different roles', () => {
    expect(groupClaims([g('a', A), g('b', B)]).preferredRole).toBeUndefined();
  });

  it('is set when tied groups share the same role', () => {
    const c = groupClaims([g('a', A, 2), g('b', A, 2), g('c', B, 3)]);
    expect(c.preferredRole).toBe(A);
    expect(c.roles).toEqual([A, B]);
  });

  it('ignores groups without a role (a roleless group with better precedence does not hide the role)', () => {
    expect(groupClaims([g('plain', undefined, 0), g('a', A, 9)]).preferredRole).toBe(A);
  });

  it('has no roles for groups without RoleArn', () => {
    expect(groupClaims([g('x'), g('y', undefined, 1)])).toEqual({ groups: ['y', 'x'], roles: [] });
  });
});
