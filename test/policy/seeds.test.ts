// Every policy example of the seed articles, evaluated, with the decision asserted and checked
// against iam-simulate; plus the causes the second seed lists for the "dreaded" error.
import { describe, expect, it } from 'vitest';
import { accessDeniedMessage, buildDataPolicy, buildTrustPolicy, evaluate, evaluateTrust } from '../../src/policy/index.js';
import type { EvalRequest, PolicyDocument } from '../../src/policy/types.js';
import { makeConfig, simulate } from './helpers.js';

const AGENTS = 'arn:aws:dynamodb:eu-central-1:123456789012:table/AgentsTable';
const JANE = 'COGNITO_ID_1';
const JOHN = 'COGNITO_ID_2';

// Seed 2, section 4.1: the trust policy with sts:TagSession.
const seedTrust: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: 'cognito-identity.amazonaws.com' },
      Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'],
      Condition: {
        StringEquals: { 'cognito-identity.amazonaws.com:aud': 'IDENTITY_POOL_ID' },
        'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
      },
    },
  ],
};

// Seed 2, section 4.1: the LeadingKeys permissions policy.
const seedLeadingKeys: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['${aws:PrincipalTag/userid}'] } },
      Action: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchGetItem'],
      Resource: AGENTS,
      Effect: 'Allow',
    },
  ],
};

// Seed 2, section 4.3: the attribute restriction.
const seedAttributes: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Condition: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['userId', 'fieldName', 'isOnAssignment'] },
        StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
      },
      Action: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchGetItem'],
      Resource: AGENTS,
      Effect: 'Allow',
    },
  ],
};

function query(policy: PolicyDocument, context: EvalRequest['context']): EvalRequest {
  return { action: 'dynamodb:Query', resource: AGENTS, context, identityPolicies: [policy] };
}

async function expectDecision(req: EvalRequest, decision: string) {
  const got = evaluate(req);
  expect(got.decision, JSON.stringify(got)).toBe(decision);
  expect(await simulate(req), 'iam-simulate disagrees').toBe(decision);
  return got;
}

describe('seed 2: trust policy with sts:TagSession', () => {
  const cognito = { Federated: 'cognito-identity.amazonaws.com' };
  const signedIn = {
    'cognito-identity.amazonaws.com:aud': 'IDENTITY_POOL_ID',
    'cognito-identity.amazonaws.com:amr': ['authenticated', 'cognito-idp.eu-central-1.amazonaws.com/eu-central-1_x'],
  };

  it('lets the identity pool assume the role for an authenticated user, and tag the session', () => {
    expect(evaluateTrust(seedTrust, { action: 'sts:AssumeRoleWithWebIdentity', principal: cognito, context: signedIn }).decision).toBe('Allow');
    expect(evaluateTrust(seedTrust, { action: 'sts:TagSession', principal: cognito, context: { ...signedIn, 'aws:TagKeys': ['userid'] } }).decision).toBe(
      'Allow',
    );
  });

  it('refuses unauthenticated identities, another identity pool and another provider', () => {
    const unauth = { ...signedIn, 'cognito-identity.amazonaws.com:amr': ['unauthenticated'] };
    expect(evaluateTrust(seedTrust, { action: 'sts:AssumeRoleWithWebIdentity', principal: cognito, context: unauth }).decision).toBe('ImplicitDeny');
    const otherPool = { ...signedIn, 'cognito-identity.amazonaws.com:aud': 'OTHER_POOL' };
    expect(evaluateTrust(seedTrust, { action: 'sts:AssumeRoleWithWebIdentity', principal: cognito, context: otherPool }).decision).toBe('ImplicitDeny');
    const missingAmr = { 'cognito-identity.amazonaws.com:aud': 'IDENTITY_POOL_ID' };
    expect(evaluateTrust(seedTrust, { action: 'sts:AssumeRoleWithWebIdentity', principal: cognito, context: missingAmr }).decision).toBe('ImplicitDeny');
    const google = { Federated: 'accounts.google.com' };
    const r = evaluateTrust(seedTrust, { action: 'sts:AssumeRoleWithWebIdentity', principal: google, context: signedIn });
    expect(r.decision).toBe('ImplicitDeny');
    expect(r.reason).toContain('accounts.google.com');
  });

  it('"if we forget it": a trust policy without sts:TagSession refuses the session tags', () => {
    const withoutTagSession = buildTrustPolicy(makeConfig({ granularity: 'tenant' }));
    const ctx = { 'cognito-identity.amazonaws.com:aud': makeConfig().identityPoolId, 'cognito-identity.amazonaws.com:amr': ['authenticated'] };
    expect(evaluateTrust(withoutTagSession, { action: 'sts:AssumeRoleWithWebIdentity', principal: cognito, context: ctx }).decision).toBe('Allow');
    const tag = evaluateTrust(withoutTagSession, { action: 'sts:TagSession', principal: cognito, context: { ...ctx, 'aws:TagKeys': ['userid'] } });
    expect(tag.decision).toBe('ImplicitDeny');
    expect(tag.reason).toMatch(/sts:TagSession/);
  });
});

describe('seed 2: LeadingKeys = ${aws:PrincipalTag/userid}', () => {
  it("Jane's tag reads Jane's items", async () => {
    const r = await expectDecision(query(seedLeadingKeys, { 'aws:PrincipalTag/userid': JANE, 'dynamodb:LeadingKeys': [JANE] }), 'Allow');
    expect(r.decidedBy).toEqual([{ policy: 'identity[0]', index: 0, effect: 'Allow' }]);
  });

  it("John's tag cannot read Jane's items: the dreaded error", async () => {
    const req = query(seedLeadingKeys, { 'aws:PrincipalTag/userid': JOHN, 'dynamodb:LeadingKeys': [JANE] });
    const r = await expectDecision(req, 'ImplicitDeny');
    expect(r.reason).toBe('no identity-based policy allows the dynamodb:Query action');
    expect(
      accessDeniedMessage('arn:aws:sts::123456789012:assumed-role/TasksAutheticatedUserRole/CognitoIdentityCredentials', req.action, req.resource, r),
    ).toBe(
      'User: arn:aws:sts::123456789012:assumed-role/TasksAutheticatedUserRole/CognitoIdentityCredentials is not authorized to perform: dynamodb:Query ' +
        'on resource: arn:aws:dynamodb:eu-central-1:123456789012:table/AgentsTable because no identity-based policy allows the dynamodb:Query action',
    );
  });

  it('cause 1: the role has no principal tag (claim not mapped), or the tag has a wrong value', async () => {
    await expectDecision(query(seedLeadingKeys, { 'dynamodb:LeadingKeys': [JANE] }), 'ImplicitDeny');
    await expectDecision(query(seedLeadingKeys, { 'aws:PrincipalTag/userid': 'jane@example.com', 'dynamodb:LeadingKeys': [JANE] }), 'ImplicitDeny');
  });

  it('context keys are case-insensitive (aws:principaltag/USERID)', async () => {
    await expectDecision(query(seedLeadingKeys, { 'aws:principaltag/USERID': JANE, 'DynamoDB:leadingkeys': [JANE] }), 'Allow');
  });

  it('mixed keys (own + other) are refused by ForAllValues', async () => {
    await expectDecision(query(seedLeadingKeys, { 'aws:PrincipalTag/userid': JANE, 'dynamodb:LeadingKeys': [JANE, JOHN] }), 'ImplicitDeny');
  });

  it('without the Null guard, a request with no LeadingKeys (e.g. Scan) is allowed: why isoctl adds Null', async () => {
    await expectDecision(query(seedLeadingKeys, { 'aws:PrincipalTag/userid': JANE }), 'Allow');
    const guarded = buildDataPolicy(makeConfig({ granularity: 'user', buckets: [] }), 'acme', ['read']);
    const orders = 'arn:aws:dynamodb:eu-central-1:123456789012:table/Orders';
    const req: EvalRequest = { action: 'dynamodb:Query', resource: orders, context: { 'aws:PrincipalTag/userid': JANE }, identityPolicies: [guarded] };
    await expectDecision(req, 'ImplicitDeny');
    await expectDecision({ ...req, context: { ...req.context, 'dynamodb:LeadingKeys': [JANE] } }, 'Allow');
  });

  it('cause 3: ${cognito-identity.amazonaws.com:sub} is the identity id, not the user pool sub', async () => {
    const bySub: PolicyDocument = JSON.parse(JSON.stringify(seedLeadingKeys).replace('aws:PrincipalTag/userid', 'cognito-identity.amazonaws.com:sub'));
    const ctx = { 'cognito-identity.amazonaws.com:sub': 'eu-central-1:9b4e3c1a-0000-4000-8000-000000000001', 'dynamodb:LeadingKeys': [JANE] };
    const r = evaluate(query(bySub, ctx));
    expect(r.decision).toBe('ImplicitDeny');
    expect(r.reason).toBe('no identity-based policy allows the dynamodb:Query action');
  });
});

describe('seed 2: attribute restriction', () => {
  const projected = { 'dynamodb:Attributes': ['userId', 'fieldName', 'isOnAssignment'], 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' };

  it('a ProjectionExpression of allowed attributes is allowed (all three or fewer)', async () => {
    await expectDecision(query(seedAttributes, projected), 'Allow');
    await expectDecision(query(seedAttributes, { 'dynamodb:Attributes': ['userId'], 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' }), 'Allow');
  });

  it('asking for realName is AccessDenied', async () => {
    await expectDecision(query(seedAttributes, { ...projected, 'dynamodb:Attributes': ['userId', 'realName'] }), 'ImplicitDeny');
  });

  it('cause 2: a query without ProjectionExpression (Select = ALL_ATTRIBUTES) is denied', async () => {
    const r = await expectDecision(query(seedAttributes, { 'dynamodb:Select': 'ALL_ATTRIBUTES' }), 'ImplicitDeny');
    expect(r.reason).toBe('no identity-based policy allows the dynamodb:Query action');
  });

  it('isoctl also refuses a GetItem without a projection (no dynamodb:Attributes at all)', async () => {
    const cfg = makeConfig({
      tables: [{ name: 'AgentsTable', partitionKey: 'userId', sortKey: 'fieldName', attributes: ['userId', 'fieldName', 'isOnAssignment'] }],
      buckets: [],
    });
    const policy = buildDataPolicy(cfg, 'acme', ['read']);
    const base: EvalRequest = { action: 'dynamodb:GetItem', resource: AGENTS, context: { 'dynamodb:LeadingKeys': ['acme'] }, identityPolicies: [policy] };
    await expectDecision(base, 'ImplicitDeny');
    await expectDecision({ ...base, context: { ...base.context, 'dynamodb:Attributes': ['userId', 'isOnAssignment'] } }, 'Allow');
  });
});

describe('the reasons read like AWS', () => {
  it('names the boundary when only the boundary is missing the permission', () => {
    const allowAll: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] };
    const onlyGet: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' }] };
    const r = evaluate({ action: 'dynamodb:Query', resource: AGENTS, context: {}, identityPolicies: [allowAll], permissionsBoundary: onlyGet });
    expect(r).toMatchObject({ decision: 'ImplicitDeny', reason: 'no permissions boundary allows the dynamodb:Query action' });
    expect(accessDeniedMessage('arn:aws:sts::1:assumed-role/r/s', 'dynamodb:Query', AGENTS, r)).toMatch(
      / because no permissions boundary allows the dynamodb:Query action$/,
    );
  });

  it('an explicit deny is reported "with an explicit deny in an identity-based policy"', () => {
    const deny: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
        { Sid: 'NoQuery', Effect: 'Deny', Action: 'dynamodb:Query', Resource: '*' },
      ],
    };
    const r = evaluate({ action: 'dynamodb:Query', resource: AGENTS, context: {}, identityPolicies: [deny] });
    expect(r).toEqual({
      decision: 'ExplicitDeny',
      decidedBy: [{ policy: 'identity[0]', index: 1, sid: 'NoQuery', effect: 'Deny' }],
      reason: 'explicit deny in an identity-based policy',
    });
    expect(accessDeniedMessage('arn:aws:sts::1:assumed-role/r/s', 'dynamodb:Query', AGENTS, r)).toMatch(/ with an explicit deny in an identity-based policy$/);
  });
});
