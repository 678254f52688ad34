// The evaluator's semantics, case by case (the differential test covers the combinations).
import { describe, expect, it } from 'vitest';
import { compilePolicy, evaluate, evaluateTrust } from '../../src/policy/index.js';
import type { ConditionBlock, EvalRequest, PolicyDocument, PolicyStatement } from '../../src/policy/types.js';

const T = 'arn:aws:dynamodb:eu-central-1:123456789012:table/Orders';
const doc = (...s: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: s });
const allow = (extra: Partial<PolicyStatement> = {}): PolicyStatement => ({ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: T, ...extra });
const when = (Condition: ConditionBlock, extra: Partial<PolicyStatement> = {}) => doc(allow({ Condition, ...extra }));
const req = (identity: PolicyDocument, context: EvalRequest['context'] = {}, over: Partial<EvalRequest> = {}): EvalRequest => ({
  action: 'dynamodb:GetItem',
  resource: T,
  context,
  identityPolicies: [identity],
  ...over,
});
const decide = (identity: PolicyDocument, context: EvalRequest['context'] = {}, over: Partial<EvalRequest> = {}) =>
  evaluate(req(identity, context, over)).decision;

describe('decisions', () => {
  it('explicit deny wins over any allow, in identity policies and in the boundary', () => {
    const deny = doc({ Effect: 'Deny', Action: 'dynamodb:*', Resource: '*' });
    expect(decide(doc(allow()), {}, { identityPolicies: [doc(allow()), deny] })).toBe('ExplicitDeny');
    expect(evaluate(req(doc(allow()), {}, { permissionsBoundary: deny }))).toMatchObject({
      decision: 'ExplicitDeny',
      reason: 'explicit deny in a permissions boundary',
    });
  });

  it('the boundary intersects: both must allow', () => {
    const other = doc(allow({ Action: 'dynamodb:Query' }));
    expect(decide(doc(allow()), {}, { permissionsBoundary: other })).toBe('ImplicitDeny');
    expect(decide(other, {}, { permissionsBoundary: doc(allow()) })).toBe('ImplicitDeny');
    const r = evaluate(req(doc(allow({ Sid: 'Mine' })), {}, { permissionsBoundary: doc(allow({ Sid: 'Cap' })) }));
    expect(r).toEqual({
      decision: 'Allow',
      decidedBy: [
        { policy: 'identity[0]', index: 0, sid: 'Mine', effect: 'Allow' },
        { policy: 'boundary', index: 0, sid: 'Cap', effect: 'Allow' },
      ],
    });
  });

  it('no identity policy at all is an implicit deny', () => {
    expect(evaluate({ action: 'dynamodb:GetItem', resource: T, context: {}, identityPolicies: [] })).toMatchObject({
      decision: 'ImplicitDeny',
      reason: 'no identity-based policy allows the dynamodb:GetItem action',
    });
  });
});

describe('Action, Resource and their Not forms', () => {
  it('actions are case-insensitive and take * and ?', () => {
    expect(decide(doc(allow({ Action: 'DynamoDB:getitem' })))).toBe('Allow');
    expect(decide(doc(allow({ Action: 'dynamodb:Get*' })))).toBe('Allow');
    expect(decide(doc(allow({ Action: 'dynamodb:?etItem' })))).toBe('Allow');
    expect(decide(doc(allow({ Action: 'dynamodb:Put*' })))).toBe('ImplicitDeny');
    expect(decide(doc(allow({ Action: undefined, NotAction: 'dynamodb:PutItem' })))).toBe('Allow');
    expect(decide(doc(allow({ Action: undefined, NotAction: 'dynamodb:Get*' })))).toBe('ImplicitDeny');
  });

  it('resource wildcards span "/" and are case-sensitive in the resource part', () => {
    const idx = `${T}/index/byDate`;
    expect(decide(doc(allow({ Resource: 'arn:aws:dynamodb:eu-central-1:123456789012:table/Ord*' })), {}, { resource: idx })).toBe('Allow');
    expect(decide(doc(allow({ Resource: 'arn:aws:dynamodb:eu-central-1:123456789012:table/Orders/index/?yDate' })), {}, { resource: idx })).toBe('Allow');
    expect(decide(doc(allow({ Resource: 'arn:aws:dynamodb:eu-central-1:123456789012:table/orders' })))).toBe('ImplicitDeny');
    expect(decide(doc(allow({ Resource: 'arn:aws:dynamodb:*:*:table/Orders' })))).toBe('Allow');
    expect(decide(doc(allow({ Resource: 'arn:aws:dynamodb:us-east-1:*:table/Orders' })))).toBe('ImplicitDeny');
    expect(decide(doc(allow({ Resource: undefined, NotResource: 'arn:aws:dynamodb:*:*:table/Other' })))).toBe('Allow');
    expect(decide(doc(allow({ Resource: undefined, NotResource: T })))).toBe('ImplicitDeny');
  });

  it('variables in Resource: resolved from the context, unresolvable matches nothing, escapes are literal', () => {
    const silo = doc(allow({ Resource: 'arn:aws:dynamodb:eu-central-1:123456789012:table/ledger-${aws:PrincipalTag/isoctl:tenant}' }));
    const ledger = (t: string) => ({ resource: `arn:aws:dynamodb:eu-central-1:123456789012:table/ledger-${t}` });
    expect(decide(silo, { 'aws:PrincipalTag/isoctl:tenant': 'acme' }, ledger('acme'))).toBe('Allow');
    expect(decide(silo, { 'aws:PrincipalTag/isoctl:tenant': 'acme' }, ledger('acme-corp'))).toBe('ImplicitDeny');
    expect(decide(silo, {}, ledger('acme'))).toBe('ImplicitDeny');
    expect(decide(silo, { 'aws:PrincipalTag/isoctl:tenant': '' }, ledger(''))).toBe('ImplicitDeny');
    const star = doc(allow({ Resource: 'arn:aws:dynamodb:eu-central-1:123456789012:table/a${*}b' }));
    expect(decide(star, {}, { resource: 'arn:aws:dynamodb:eu-central-1:123456789012:table/a*b' })).toBe('Allow');
    expect(decide(star, {}, { resource: 'arn:aws:dynamodb:eu-central-1:123456789012:table/axxb' })).toBe('ImplicitDeny');
    const fallback = doc(allow({ Resource: "arn:aws:dynamodb:eu-central-1:123456789012:table/${aws:PrincipalTag/team, 'Orders'}" }));
    expect(decide(fallback)).toBe('Allow');
  });

  it('2008-10-17 documents take no variables', () => {
    const old: PolicyDocument = { Version: '2008-10-17', Statement: [allow({ Condition: { StringEquals: { 'aws:PrincipalTag/t': '${aws:username}' } } })] };
    expect(decide(old, { 'aws:PrincipalTag/t': 'bob', 'aws:username': 'bob' })).toBe('ImplicitDeny');
    expect(decide(old, { 'aws:PrincipalTag/t': '${aws:username}' })).toBe('Allow');
  });
});

describe('conditions', () => {
  it('keys are case-insensitive, values are not (except IgnoreCase)', () => {
    expect(decide(when({ StringEquals: { 'AWS:PrincipalTag/Team': 'Red' } }), { 'aws:principaltag/team': 'Red' })).toBe('Allow');
    expect(decide(when({ StringEquals: { 'aws:PrincipalTag/team': 'Red' } }), { 'aws:PrincipalTag/team': 'red' })).toBe('ImplicitDeny');
    expect(decide(when({ StringEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'Red' } }), { 'aws:PrincipalTag/team': 'rED' })).toBe('Allow');
  });

  it('values are OR-ed, keys and operators AND-ed; negated operators NOR their values', () => {
    const c = when({ StringEquals: { 'aws:PrincipalTag/a': ['1', '2'], 'aws:PrincipalTag/b': '3' } });
    expect(decide(c, { 'aws:PrincipalTag/a': '2', 'aws:PrincipalTag/b': '3' })).toBe('Allow');
    expect(decide(c, { 'aws:PrincipalTag/a': '2', 'aws:PrincipalTag/b': '4' })).toBe('ImplicitDeny');
    const not = when({ StringNotEquals: { 'aws:PrincipalTag/a': ['1', '2'] } });
    expect(decide(not, { 'aws:PrincipalTag/a': '3' })).toBe('Allow');
    expect(decide(not, { 'aws:PrincipalTag/a': '2' })).toBe('ImplicitDeny');
  });

  it('missing keys: false for positive operators, true for negated and ...IfExists', () => {
    expect(decide(when({ StringEquals: { 'aws:PrincipalTag/a': 'x' } }))).toBe('ImplicitDeny');
    expect(decide(when({ StringNotEquals: { 'aws:PrincipalTag/a': 'x' } }))).toBe('Allow');
    expect(decide(when({ StringEqualsIfExists: { 'aws:PrincipalTag/a': 'x' } }))).toBe('Allow');
    expect(decide(when({ StringEqualsIfExists: { 'aws:PrincipalTag/a': 'x' } }), { 'aws:PrincipalTag/a': 'y' })).toBe('ImplicitDeny');
  });

  it('ForAllValues: true for a missing or empty key; every value must match', () => {
    const c = when({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['a', 'b'] } });
    expect(decide(c)).toBe('Allow');
    expect(decide(c, { 'dynamodb:LeadingKeys': [] })).toBe('Allow');
    expect(decide(c, { 'dynamodb:LeadingKeys': ['a', 'b'] })).toBe('Allow');
    expect(decide(c, { 'dynamodb:LeadingKeys': ['a', 'c'] })).toBe('ImplicitDeny');
  });

  it('ForAnyValue: false for a missing or empty key; one value suffices; IfExists makes missing true', () => {
    const c = when({ 'ForAnyValue:StringEquals': { 'dynamodb:Attributes': ['a'] } });
    expect(decide(c)).toBe('ImplicitDeny');
    expect(decide(c, { 'dynamodb:Attributes': [] })).toBe('ImplicitDeny');
    expect(decide(c, { 'dynamodb:Attributes': ['z', 'a'] })).toBe('Allow');
    expect(decide(when({ 'ForAnyValue:StringEqualsIfExists': { 'dynamodb:Attributes': ['a'] } }))).toBe('Allow');
  });

  it('Null: an empty multi-valued key counts as absent (fail closed)', () => {
    const present = when({ Null: { 'dynamodb:LeadingKeys': 'false' } });
    expect(decide(present, { 'dynamodb:LeadingKeys': ['a'] })).toBe('Allow');
    expect(decide(present, { 'dynamodb:LeadingKeys': [] })).toBe('ImplicitDeny');
    expect(decide(present)).toBe('ImplicitDeny');
    expect(decide(when({ Null: { 'dynamodb:LeadingKeys': true } }))).toBe('Allow');
  });

  it('a single-valued operator never matches a multi-valued key', () => {
    expect(decide(when({ StringEquals: { 'dynamodb:LeadingKeys': 'a' } }), { 'dynamodb:LeadingKeys': ['a'] })).toBe('ImplicitDeny');
  });

  it('StringLike wildcards and variables; an unresolvable variable matches nothing, even negated', () => {
    expect(decide(when({ StringLike: { 's3:prefix': 'acme/*' } }), { 's3:prefix': 'acme/photos/' })).toBe('Allow');
    expect(decide(when({ StringLike: { 's3:prefix': 'acme/*' } }), { 's3:prefix': 'acme-corp/' })).toBe('ImplicitDeny');
    const v = when({ StringLike: { 's3:prefix': '${aws:PrincipalTag/t}/*' } });
    expect(decide(v, { 'aws:PrincipalTag/t': 'acme', 's3:prefix': 'acme/x' })).toBe('Allow');
    expect(decide(v, { 's3:prefix': 'acme/x' })).toBe('ImplicitDeny');
    expect(decide(when({ StringNotEquals: { 's3:prefix': '${aws:PrincipalTag/t}' } }), { 's3:prefix': 'x' })).toBe('ImplicitDeny');
    expect(decide(when({ StringEquals: { 's3:prefix': 'a${?}${$}${*}' } }), { 's3:prefix': 'a?$*' })).toBe('Allow');
  });

  it('Numeric, Date and Bool', () => {
    expect(decide(when({ NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } }), { 'aws:MultiFactorAuthAge': 60 })).toBe('Allow');
    expect(decide(when({ NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } }), { 'aws:MultiFactorAuthAge': '7200' })).toBe('ImplicitDeny');
    expect(decide(when({ NumericEquals: { 'aws:MultiFactorAuthAge': '1.50' } }), { 'aws:MultiFactorAuthAge': '1.5' })).toBe('Allow');
    expect(decide(when({ NumericEquals: { 'aws:MultiFactorAuthAge': '12abc' } }), { 'aws:MultiFactorAuthAge': '12' })).toBe('ImplicitDeny');
    expect(decide(when({ DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }), { 'aws:CurrentTime': '2026-11-24T20:00:00Z' })).toBe('Allow');
    expect(decide(when({ DateGreaterThan: { 'aws:CurrentTime': '1700000000' } }), { 'aws:CurrentTime': '2026-11-24T20:00:00Z' })).toBe('Allow');
    expect(decide(when({ DateGreaterThan: { 'aws:EpochTime': '2030-01-01T00:00:00Z' } }), { 'aws:EpochTime': '1700000000' })).toBe('ImplicitDeny');
    expect(decide(when({ Bool: { 'aws:SecureTransport': 'true' } }), { 'aws:SecureTransport': true })).toBe('Allow');
    expect(decide(when({ Bool: { 'aws:SecureTransport': true } }), { 'aws:SecureTransport': 'false' })).toBe('ImplicitDeny');
  });

  it('Arn operators compare field by field with wildcards', () => {
    const arn = 'arn:aws:iam::123456789012:role/isoctl/prod/isoctl-prod-acme';
    expect(decide(when({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/isoctl/prod/*' } }), { 'aws:PrincipalArn': arn })).toBe('Allow');
    expect(decide(when({ ArnEquals: { 'aws:PrincipalArn': arn } }), { 'aws:PrincipalArn': arn })).toBe('Allow');
    expect(decide(when({ ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/isoctl/*' } }), { 'aws:PrincipalArn': arn })).toBe('ImplicitDeny');
    expect(decide(when({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/isoctl/prod/*' } }), { 'aws:PrincipalArn': 'not-an-arn' })).toBe('ImplicitDeny');
  });
});

describe('fail closed: CannotEvaluate, never Allow', () => {
  it('unknown or unsupported operators', () => {
    for (const op of ['BinaryEquals', 'IpAddress', 'NotIpAddress', 'StringSortOf', 'ForAllValues:Null']) {
      const r = evaluate(req(when({ [op]: { 'aws:SourceIp': '10.0.0.0/8' } }), { 'aws:SourceIp': '10.1.2.3' }));
      expect(r.decision, op).toBe('CannotEvaluate');
      expect(r.unsupported).toContain(op);
      expect(r.decidedBy).toEqual([]);
    }
  });

  it('only when the statement could apply; an explicit deny still decides', () => {
    const mixed = doc(allow(), allow({ Action: 'dynamodb:PutItem', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }));
    expect(decide(mixed)).toBe('Allow');
    expect(decide(mixed, {}, { action: 'dynamodb:PutItem' })).toBe('CannotEvaluate');
    const denied = doc(allow({ Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }), { Effect: 'Deny', Action: '*', Resource: '*' });
    expect(decide(denied)).toBe('ExplicitDeny');
  });

  it('malformed statements and documents', () => {
    expect(decide(doc({ Effect: 'Allow', Resource: T } as PolicyStatement))).toBe('CannotEvaluate');
    expect(decide(doc({ Effect: 'Maybe', Action: '*', Resource: '*' } as unknown as PolicyStatement))).toBe('CannotEvaluate');
    expect(decide(doc(allow({ Principal: '*' })))).toBe('CannotEvaluate');
    expect(decide(doc(allow({ Resource: 'Orders' })))).toBe('CannotEvaluate');
    expect(decide({ Version: '2012-10-17' } as PolicyDocument)).toBe('CannotEvaluate');
    expect(
      evaluateTrust(doc({ Effect: 'Allow', NotPrincipal: { AWS: '*' }, Action: 'sts:AssumeRoleWithWebIdentity' }), {
        action: 'sts:AssumeRoleWithWebIdentity',
        principal: {},
        context: {},
      }).decision,
    ).toBe('CannotEvaluate');
  });
});

describe('compilation cache', () => {
  it('compiles a document object once', () => {
    const d = doc(allow());
    expect(compilePolicy(d)).toBe(compilePolicy(d));
    expect(compilePolicy(doc(allow()))).not.toBe(compilePolicy(d));
  });
});

describe('evaluateTrust', () => {
  const trust = doc({
    Effect: 'Allow',
    Principal: { Federated: 'cognito-identity.amazonaws.com', AWS: ['123456789012', 'arn:aws:iam::999999999999:role/ci'] },
    Action: 'sts:AssumeRoleWithWebIdentity',
  });
  const t = (principal: { Federated?: string; AWS?: string }) =>
    evaluateTrust(trust, { action: 'sts:AssumeRoleWithWebIdentity', principal, context: {} }).decision;
  it('matches Federated, account ids and exact ARNs', () => {
    expect(t({ Federated: 'cognito-identity.amazonaws.com' })).toBe('Allow');
    expect(t({ AWS: 'arn:aws:iam::123456789012:role/anything' })).toBe('Allow');
    expect(t({ AWS: 'arn:aws:iam::999999999999:role/ci' })).toBe('Allow');
    expect(t({ AWS: 'arn:aws:iam::999999999999:role/other' })).toBe('ImplicitDeny');
    expect(t({ Federated: 'accounts.google.com' })).toBe('ImplicitDeny');
  });
});
