// explain: the message parser, and the analysis for every cause of the second seed's section 7
// plus the ones isoctl's own convergence and safety rules produce. The role snapshots are what
// isoctl deploys (src/policy), then broken the way each cause breaks them.
import { describe, expect, it } from 'vitest';
import { stackConfigSchema, type StackConfig, type StackConfigInput } from '../../src/config/schema.js';
import { accessDeniedMessage, buildBoundaryPolicy, buildTenantRole, INLINE_POLICY_NAME, type PolicyDocument } from '../../src/policy/index.js';
import { parseAccessDenied, normalizeMessage } from '../../src/ops/explain/parse.js';
import { analyzeDenial, PROPAGATION_WINDOW_MS, type ExplainInput, type RoleSnapshot } from '../../src/ops/explain/analyze.js';
import { factsFromFlags, type FactFlags } from '../../src/ops/explain/facts.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-central-1';
const NOW = Date.parse('2025-01-01T12:00:00Z');

function config(overrides: Partial<StackConfigInput> = {}): StackConfig {
  return stackConfigSchema.parse({
    stack: 'prod',
    region: REGION,
    accountId: ACCOUNT,
    userPoolId: 'eu-central-1_AbC123',
    userPoolClientId: 'client123',
    identityPoolId: 'eu-central-1:11111111-2222-3333-4444-555555555555',
    tables: [
      { name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk', indexes: ['byDate'] },
      { name: 'Agents', partitionKey: 'userId', sortKey: 'fieldName', attributes: ['userId', 'fieldName', 'isOnAssignment'] },
    ],
    ...overrides,
  });
}

/** The role as `tenant create` leaves it, created an hour before the error. */
function roleOf(cfg: StackConfig, tenant: string, edit: (r: RoleSnapshot) => void = () => undefined): RoleSnapshot {
  const spec = buildTenantRole(cfg, tenant);
  const tags: Record<string, string> = {};
  for (const t of spec.tags) tags[t.Key] = t.Value;
  const r: RoleSnapshot = {
    name: spec.roleName,
    arn: spec.arn,
    path: spec.path,
    createDate: new Date(NOW - 3600_000).toISOString(),
    tags,
    trustPolicy: spec.assumeRolePolicy,
    inlinePolicies: structuredClone(spec.inlinePolicies) as Record<string, unknown>,
    boundaryArn: spec.permissionsBoundary,
    boundaryDocument: buildBoundaryPolicy(cfg),
  };
  edit(r);
  return r;
}

function message(action: string, table: string, role = 'isoctl-prod-acme'): string {
  return accessDeniedMessage(
    `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/CognitoIdentityCredentials`,
    action,
    `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}`,
    {
      decision: 'ImplicitDeny',
      decidedBy: [],
      reason: `no identity-based policy allows the ${action} action`,
    },
  );
}

function explain(opts: {
  cfg?: StackConfig;
  msg: string;
  role?: RoleSnapshot | undefined;
  flags?: FactFlags;
  map?: Record<string, string> | undefined;
  mapKnown?: boolean;
  at?: number;
}) {
  const cfg = opts.cfg ?? config();
  const denial = parseAccessDenied(opts.msg);
  const facts = factsFromFlags(opts.flags ?? {}, {
    action: denial.action,
    table: denial.table,
    region: REGION,
    accountId: ACCOUNT,
    config: cfg,
    tenant: 'acme',
  });
  const input: ExplainInput = {
    denial,
    config: cfg,
    role: 'role' in opts ? opts.role : roleOf(cfg, 'acme'),
    principalTagMap: {
      known: opts.mapKnown ?? cfg.granularity === 'user',
      tags: 'map' in opts ? opts.map : cfg.granularity === 'user' ? { userid: 'sub' } : undefined,
    },
    facts,
    at: opts.at ?? NOW,
  };
  return analyzeDenial(input);
}

function jwt(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'RS256' })}.${b64(claims)}.signature`;
}

describe('parseAccessDenied', () => {
  it("reads the seed's message with its shell continuations and the space inside the ARN", () => {
    const seed = `arn:aws:sts::123456789012:assumed-role/TasksAutheticatedUserRole/ \\
CognitoIdentityCredentials is not authorized to perform: dynamodb:Query \\
on resource: arn:aws:dynamodb:eu-central-1:123456789012:table/AgentsTable \\
because no identity-based policy allows the dynamodb:Query action`;
    const d = parseAccessDenied(seed);
    expect(d).toMatchObject({
      principalArn: 'arn:aws:sts::123456789012:assumed-role/TasksAutheticatedUserRole/CognitoIdentityCredentials',
      principalType: 'assumed-role',
      accountId: '123456789012',
      roleName: 'TasksAutheticatedUserRole',
      sessionName: 'CognitoIdentityCredentials',
      action: 'dynamodb:Query',
      resource: 'arn:aws:dynamodb:eu-central-1:123456789012:table/AgentsTable',
      region: 'eu-central-1',
      table: 'AgentsTable',
      denial: 'no-identity-allow',
    });
  });

  it('reads the AWS CLI form, an index resource and each denial kind', () => {
    const cli = `An error occurred (AccessDeniedException) when calling the Query operation: User: arn:aws:sts::${ACCOUNT}:assumed-role/isoctl-prod-acme/s1 is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Orders/index/byDate because no permissions boundary allows the dynamodb:Query action`;
    const d = parseAccessDenied(cli);
    expect(d.table).toBe('Orders');
    expect(d.index).toBe('byDate');
    expect(d.denial).toBe('no-boundary-allow');
    expect(parseAccessDenied(cli.replace(/because .*$/, 'with an explicit deny in an identity-based policy')).denial).toBe('explicit-deny-identity');
    expect(parseAccessDenied(cli.replace(/because .*$/, '')).denial).toBe('unstated');
  });

  it('reads the message the sandbox and AWS produce (accessDeniedMessage) and S3 object resources', () => {
    const d = parseAccessDenied(message('dynamodb:GetItem', 'Orders'));
    expect(d.roleName).toBe('isoctl-prod-acme');
    const s3 = parseAccessDenied(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/isoctl-prod-acme/x is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::files/globex/a.txt" because no identity-based policy allows the s3:GetObject action`,
    );
    expect(s3).toMatchObject({ bucket: 'files', objectKey: 'globex/a.txt', action: 's3:GetObject' });
  });

  it('refuses text without an AccessDenied sentence (exit 2)', () => {
    expect(() => parseAccessDenied('ThrottlingException: Rate exceeded')).toThrow(/no AccessDenied message found/);
    try {
      parseAccessDenied('hello');
    } catch (err) {
      expect((err as { kind: string }).kind).toBe('usage');
    }
  });

  it('normalises wrapping without joining words', () => {
    expect(normalizeMessage('a \\\n b\n\n c')).toBe('a b c');
  });
});

describe("explain: the seed's causes (section 7)", () => {
  const user = () => config({ granularity: 'user' });
  const sub = '7d4e2f10-1111-2222-3333-444455556666';
  const otherSub = '0a0a0a0a-9999-8888-7777-666655554444';

  it('#1 the principal tag is missing: the identity pool has no attribute map', () => {
    const r = explain({ cfg: user(), msg: message('dynamodb:Query', 'Orders'), map: undefined, mapKnown: true, flags: { key: [sub] } });
    expect(r.cause.id).toBe('principal-tag-map-missing');
    expect(r.cause.certainty).toBe('certain');
    expect(r.cause.seedCause).toBe(1);
    expect(r.cause.fix.command).toBe('isoctl init');
  });

  it('#1 the principal tag is missing: the session carried no tags', () => {
    const r = explain({ cfg: user(), msg: message('dynamodb:Query', 'Orders'), flags: { key: [sub], noPrincipalTags: true } });
    expect(r.cause.id).toBe('principal-tag-missing');
    expect(r.cause.certainty).toBe('certain');
  });

  it('#1 the principal tag is missing: the token has no sub claim', () => {
    const r = explain({ cfg: user(), msg: message('dynamodb:Query', 'Orders'), flags: { key: [sub], idToken: jwt({ 'cognito:username': 'jane' }) } });
    expect(r.cause.id).toBe('principal-tag-missing');
    expect(r.cause.detail).toMatch(/no "sub" claim/);
  });

  it("#1 the principal tag has a wrong value (not the token's sub)", () => {
    const r = explain({
      cfg: user(),
      msg: message('dynamodb:Query', 'Orders'),
      flags: { key: [sub], idToken: jwt({ sub }), principalTag: [`userid=${otherSub}`] },
    });
    expect(r.cause.id).toBe('principal-tag-wrong');
    expect(r.cause.summary).toContain(otherSub);
  });

  it('#2 no ProjectionExpression under an attribute restriction (flag, and from the request itself)', () => {
    const byFlag = explain({ msg: message('dynamodb:Query', 'Agents'), flags: { key: ['acme'], noProjection: true } });
    expect(byFlag.cause.id).toBe('no-projection');
    expect(byFlag.cause.seedCause).toBe(2);
    expect(byFlag.cause.fix.action).toContain('ProjectionExpression: "fieldName,isOnAssignment,userId"');
    const request = JSON.stringify({ TableName: 'Agents', KeyConditionExpression: 'userId = :u', ExpressionAttributeValues: { ':u': { S: 'acme' } } });
    const byRequest = explain({ msg: message('dynamodb:Query', 'Agents'), flags: { request } });
    expect(byRequest.cause.id).toBe('no-projection');
    expect(byRequest.facts.given).toEqual(['--request']);
  });

  it('#2 a forbidden attribute in the projection', () => {
    const request = JSON.stringify({
      TableName: 'Agents',
      KeyConditionExpression: 'userId = :u',
      ProjectionExpression: 'userId,realName',
      ExpressionAttributeValues: { ':u': { S: 'acme' } },
    });
    const r = explain({ msg: message('dynamodb:Query', 'Agents'), flags: { request } });
    expect(r.cause.id).toBe('forbidden-attribute');
    expect(r.cause.summary).toContain('realName');
  });

  it('#3 ${cognito-identity.amazonaws.com:sub} used for the user pool sub', () => {
    const cfg = user();
    const role = roleOf(cfg, 'acme', (r) => {
      r.inlinePolicies[INLINE_POLICY_NAME] = JSON.parse(
        JSON.stringify(r.inlinePolicies[INLINE_POLICY_NAME]).replaceAll('${aws:PrincipalTag/userid}', '${cognito-identity.amazonaws.com:sub}'),
      );
    });
    const r = explain({ cfg, msg: message('dynamodb:Query', 'Orders'), role, flags: { key: [sub], idToken: jwt({ sub }) } });
    expect(r.cause.id).toBe('cognito-sub-variable');
    expect(r.cause.seedCause).toBe(3);
    expect(r.cause.fix.command).toBe('isoctl tenant create acme');
  });
});

describe("explain: isoctl's other causes", () => {
  it("another tenant's key", () => {
    const r = explain({ msg: message('dynamodb:GetItem', 'Orders'), flags: { key: ['globex'] } });
    expect(r.cause.id).toBe('other-tenant-key');
    expect(r.cause.certainty).toBe('certain');
    expect(r.cause.summary).toContain('"globex"');
    const mixed = explain({ msg: message('dynamodb:BatchGetItem', 'Orders'), flags: { key: ['acme', 'globex'] } });
    expect(mixed.cause.id).toBe('other-tenant-key');
  });

  it('a Query without a partition key condition', () => {
    const request = JSON.stringify({ TableName: 'Orders', KeyConditionExpression: 'sk = :s', ExpressionAttributeValues: { ':s': { S: 'x' } } });
    const r = explain({ msg: message('dynamodb:Query', 'Orders'), flags: { request } });
    expect(r.cause.id).toBe('no-partition-key');
  });

  it('Scan on a pooled table', () => {
    const r = explain({ msg: message('dynamodb:Scan', 'Orders') });
    expect(r.cause.id).toBe('scan');
    expect(r.cause.fix.action).toContain('tenantId = :pk');
  });

  it('the role was not yet propagated (created N seconds before the error)', () => {
    const cfg = config();
    const role = roleOf(cfg, 'acme', (x) => (x.createDate = new Date(NOW - 7_000).toISOString()));
    const r = explain({ cfg, msg: message('dynamodb:Query', 'Orders'), role });
    expect(r.cause.id).toBe('not-propagated');
    expect(r.cause.summary).toContain('7 s');
    expect(r.role?.ageSeconds).toBe(7);
    expect(r.cause.fix.command).toBe('isoctl tenant create acme --wait data');
    // the same role a while later: no longer a propagation delay
    const later = explain({ cfg, msg: message('dynamodb:Query', 'Orders'), role, at: NOW + PROPAGATION_WINDOW_MS });
    expect(later.cause.id).not.toBe('not-propagated');
  });

  it('the boundary: the config grew an attribute, `init` was not re-run', () => {
    const before = config();
    const after = config({
      tables: [
        before.tables[0]!,
        { name: 'Agents', partitionKey: 'userId', sortKey: 'fieldName', attributes: ['userId', 'fieldName', 'isOnAssignment', 'codeName'] },
      ],
    });
    const role = roleOf(after, 'acme', (r) => (r.boundaryDocument = buildBoundaryPolicy(before)));
    const r = explain({ cfg: after, msg: message('dynamodb:Query', 'Agents'), role, flags: { key: ['acme'], attributes: 'userId,codeName' } });
    expect(r.cause.id).toBe('boundary-outdated');
    expect(r.cause.fix.command).toBe('isoctl init');
  });

  it('the boundary: the role lost its isoctl-tenant tag (the one the boundary reads)', () => {
    const role = roleOf(config(), 'acme', (r) => delete r.tags['isoctl-tenant']);
    const r = explain({ msg: message('dynamodb:GetItem', 'Orders'), role });
    expect(r.cause.id).toBe('tenant-tag');
    expect(r.tenant).toBe('acme');
  });

  it('a half-created tenant: the role has no inline policy', () => {
    const role = roleOf(config(), 'acme', (r) => (r.inlinePolicies = {}));
    const r = explain({ msg: message('dynamodb:GetItem', 'Orders'), role });
    expect(r.cause.id).toBe('inline-policy-missing');
    expect(r.cause.fix.command).toBe('isoctl tenant create acme');
  });

  it('a hand-added Deny statement', () => {
    const role = roleOf(config(), 'acme', (r) => {
      const doc = r.inlinePolicies[INLINE_POLICY_NAME] as PolicyDocument;
      (doc.Statement as object[]).push({ Sid: 'NoReads', Effect: 'Deny', Action: 'dynamodb:GetItem', Resource: '*' });
    });
    const r = explain({ msg: message('dynamodb:GetItem', 'Orders'), role });
    expect(r.cause.id).toBe('explicit-deny');
    expect(r.cause.summary).toContain('NoReads');
  });

  it("an action outside the tenant's scopes", () => {
    const cfg = config();
    const role = roleOf(cfg, 'acme', (r) => {
      r.tags['isoctl:scopes'] = 'read';
      r.inlinePolicies = structuredClone(buildTenantRole(cfg, 'acme', ['read']).inlinePolicies) as Record<string, unknown>;
    });
    const r = explain({ cfg, msg: message('dynamodb:PutItem', 'Orders'), role });
    expect(r.cause.id).toBe('action-not-in-scope');
    expect(r.cause.fix.command).toBe('isoctl tenant create acme --scope read,write');
  });

  it("a table that is not the stack's", () => {
    const r = explain({ msg: message('dynamodb:GetItem', 'Payroll') });
    expect(r.cause.id).toBe('table-not-configured');
  });

  it('the role does not exist', () => {
    const r = explain({ msg: message('dynamodb:GetItem', 'Orders'), role: undefined });
    expect(r.cause.id).toBe('role-missing');
    expect(r.cause.fix.command).toBe('isoctl tenant create acme');
  });

  it('an IAM user, not a role session', () => {
    const r = explain({
      msg: `User: arn:aws:iam::${ACCOUNT}:user/bob is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Orders`,
    });
    expect(r.cause.id).toBe('not-a-role-session');
  });

  it('message only, healthy role: undetermined, with every request-side cause listed', () => {
    const r = explain({ cfg: config({ granularity: 'user' }), msg: message('dynamodb:Query', 'Agents') });
    expect(r.cause.id).toBe('undetermined');
    expect(r.evaluation?.decision).toBe('Allow');
    expect(r.others.map((c) => c.id)).toEqual(['principal-tag-missing', 'no-projection', 'forbidden-attribute', 'other-tenant-key']);
    expect(r.others.every((c) => c.certainty === 'possible')).toBe(true);
    expect(r.facts.assumed.length).toBeGreaterThan(0);
  });

  it('all facts given and the role allows them: allowed now', () => {
    const r = explain({ msg: message('dynamodb:GetItem', 'Orders'), flags: { key: ['acme'] } });
    expect(r.cause.id).toBe('allowed-now');
  });

  it("another tenant's S3 prefix", () => {
    const cfg = config({ buckets: [{ name: 'files' }] });
    const r = explain({
      cfg,
      role: roleOf(cfg, 'acme'),
      msg: `User: arn:aws:sts::${ACCOUNT}:assumed-role/isoctl-prod-acme/x is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::files/globex/a.txt because no identity-based policy allows the s3:GetObject action`,
    });
    expect(r.cause.id).toBe('other-tenant-prefix');
  });
});
