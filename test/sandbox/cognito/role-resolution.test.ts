import { describe, expect, it } from 'vitest';
import { resolveRole, ruleMatches } from '../../../src/sandbox/cognito/role-resolution.js';
import type { MappingRule, RoleMapping } from '../../../src/sandbox/cognito/state.js';

const AUTH = 'arn:aws:iam::123456789012:role/authenticated';
const A = 'arn:aws:iam::123456789012:role/a';
const B = 'arn:aws:iam::123456789012:role/b';
const token = (ambiguous: 'AuthenticatedRole' | 'Deny'): RoleMapping => ({ Type: 'Token', AmbiguousRoleResolution: ambiguous });
const rules = (ambiguous: 'AuthenticatedRole' | 'Deny', list: MappingRule[]): RoleMapping => ({
  Type: 'Rules',
  AmbiguousRoleResolution: ambiguous,
  RulesConfiguration: { Rules: list },
});
const rule = (Claim: string, MatchType: MappingRule['MatchType'], Value: string, RoleARN: string): MappingRule => ({ Claim, MatchType, Value, RoleARN });

describe('role resolution without a mapping', () => {
  it('gives the authenticated role, or an invalid-configuration error when there is none', () => {
    expect(resolveRole({ claims: {}, mapping: undefined, authenticatedRole: AUTH })).toEqual({ ok: true, roleArn: AUTH, via: 'authenticated-role' });
    expect(resolveRole({ claims: {}, mapping: undefined, authenticatedRole: undefined })).toMatchObject({
      ok: false,
      code: 'InvalidIdentityPoolConfigurationException',
    });
  });
});

describe('Token role mapping', () => {
  const claims = { 'cognito:roles': [A, B], 'cognito:preferred_role': B };

  it('uses cognito:preferred_role', () => {
    expect(resolveRole({ claims, mapping: token('Deny'), authenticatedRole: AUTH })).toMatchObject({ ok: true, roleArn: B, via: 'preferred-role' });
  });

  it('uses CustomRoleArn when it is among cognito:roles, and denies it otherwise', () => {
    expect(resolveRole({ claims, mapping: token('Deny'), authenticatedRole: AUTH, customRoleArn: A })).toMatchObject({
      ok: true,
      roleArn: A,
      via: 'custom-role',
    });
    expect(resolveRole({ claims, mapping: token('AuthenticatedRole'), authenticatedRole: AUTH, customRoleArn: AUTH })).toMatchObject({
      ok: false,
      code: 'NotAuthorizedException',
    });
  });

  it('applies AmbiguousRoleResolution when several roles and no preferred role', () => {
    const ambiguous = { 'cognito:roles': [A, B] };
    expect(resolveRole({ claims: ambiguous, mapping: token('Deny'), authenticatedRole: AUTH })).toMatchObject({ ok: false, code: 'NotAuthorizedException' });
    expect(resolveRole({ claims: ambiguous, mapping: token('AuthenticatedRole'), authenticatedRole: AUTH })).toMatchObject({
      ok: true,
      roleArn: AUTH,
      via: 'ambiguous-authenticated-role',
    });
  });

  it('treats a token without roles (a group not yet visible) as ambiguous', () => {
    expect(resolveRole({ claims: {}, mapping: token('Deny'), authenticatedRole: AUTH })).toMatchObject({ ok: false, reason: /no cognito:roles claim/ });
    expect(resolveRole({ claims: {}, mapping: token('AuthenticatedRole'), authenticatedRole: undefined })).toMatchObject({
      ok: false,
      code: 'InvalidIdentityPoolConfigurationException',
    });
  });
});

describe('Rules role mapping', () => {
  const mapping = rules('Deny', [
    rule('custom:tenant', 'Equals', 'acme', A),
    rule('custom:tenant', 'StartsWith', 'ac', B),
    rule('cognito:groups', 'Contains', 'admin', B),
  ]);

  it('takes the first matching rule in order', () => {
    expect(resolveRole({ claims: { 'custom:tenant': 'acme' }, mapping, authenticatedRole: AUTH })).toMatchObject({ ok: true, roleArn: A, via: 'rule' });
    expect(resolveRole({ claims: { 'custom:tenant': 'acorn' }, mapping, authenticatedRole: AUTH })).toMatchObject({ ok: true, roleArn: B });
    expect(resolveRole({ claims: { 'cognito:groups': ['users', 'admins'] }, mapping, authenticatedRole: AUTH })).toMatchObject({ ok: true, roleArn: B });
  });

  it('lets CustomRoleArn pick the role of any matching rule, nothing else', () => {
    expect(resolveRole({ claims: { 'custom:tenant': 'acme' }, mapping, authenticatedRole: AUTH, customRoleArn: B })).toMatchObject({ ok: true, roleArn: B });
    expect(resolveRole({ claims: { 'custom:tenant': 'globex' }, mapping, authenticatedRole: AUTH, customRoleArn: A })).toMatchObject({
      ok: false,
      code: 'NotAuthorizedException',
    });
  });

  it('applies AmbiguousRoleResolution when no rule matches', () => {
    expect(resolveRole({ claims: { 'custom:tenant': 'globex' }, mapping, authenticatedRole: AUTH })).toMatchObject({
      ok: false,
      code: 'NotAuthorizedException',
    });
    const lenient = rules('AuthenticatedRole', mapping.RulesConfiguration!.Rules);
    expect(resolveRole({ claims: { 'custom:tenant': 'globex' }, mapping: lenient, authenticatedRole: AUTH })).toMatchObject({ ok: true, roleArn: AUTH });
  });

  it('matches each operator as documented, NotEqual never on a missing claim', () => {
    const c = { s: 'tenant-acme', n: 42, list: ['x', 'y'] };
    expect(ruleMatches(rule('s', 'Equals', 'tenant-acme', A), c)).toBe(true);
    expect(ruleMatches(rule('s', 'Equals', 'tenant', A), c)).toBe(false);
    expect(ruleMatches(rule('s', 'Contains', 'acm', A), c)).toBe(true);
    expect(ruleMatches(rule('s', 'StartsWith', 'tenant-', A), c)).toBe(true);
    expect(ruleMatches(rule('s', 'StartsWith', 'acme', A), c)).toBe(false);
    expect(ruleMatches(rule('s', 'NotEqual', 'other', A), c)).toBe(true);
    expect(ruleMatches(rule('s', 'NotEqual', 'tenant-acme', A), c)).toBe(false);
    expect(ruleMatches(rule('missing', 'NotEqual', 'x', A), c)).toBe(false);
    expect(ruleMatches(rule('n', 'Equals', '42', A), c)).toBe(true);
    expect(ruleMatches(rule('list', 'Equals', 'y', A), c)).toBe(true);
    expect(ruleMatches(rule('list', 'NotEqual', 'y', A), c)).toBe(false);
  });
});
