// Seeded random request/policy cases within the constructs both isoctl's evaluator and
// iam-simulate support with the same meaning. Shared by the differential test and the bench.
//
// Left out on purpose (documented differences, see src/policy/evaluate.ts):
// - ForAnyValue:...IfExists on a missing key (AWS docs: true; iam-simulate: false);
// - Null on an empty multi-valued key (isoctl: absent, fail closed; iam-simulate: present);
// - a multi-valued key sent as a plain string (iam-simulate converts it to a list);
// - epoch-number dates (iam-simulate compares epoch seconds with milliseconds);
// - wildcards or variables in the ARN's partition/service/region/account or resource-type part.
import type { ConditionBlock, EvalRequest, PolicyDocument, PolicyStatement } from '../../src/policy/types.js';
import { mulberry32 } from '../../src/sandbox/prng.js';

/** Seeded generator of the cases (the sandbox's faults use the same one). */
export const prng = mulberry32;

const ACCT = '123456789012';
const REGION = 'eu-central-1';
const TABLES = ['Orders', 'Orders-acme', 'Orders-acme-corp', 'ledger', 'Agents'];
const ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Scan',
];
const ACTION_PATTERNS = [
  ...ACTIONS,
  'dynamodb:*',
  'dynamodb:Get*',
  'dynamodb:*Item',
  'dynamodb:?etItem',
  'dynamodb:Batch*',
  '*',
  'dynamodb:query',
  'DynamoDB:PutItem',
];
const TENANTS = ['acme', 'globex', 'acme-corp', 'u-1', 'u-2'];
const ATTRS = ['userId', 'fieldName', 'isOnAssignment', 'realName', 'sk'];
const TAG_KEYS = ['userid', 'team', 'isoctl:tenant'];
/** Service keys DynamoDB sets per action (iam-data's catalog); iam-simulate drops any other. */
const APPLICABLE: Record<string, string[]> = {
  'dynamodb:GetItem': ['dynamodb:Attributes', 'dynamodb:LeadingKeys', 'dynamodb:Select'],
  'dynamodb:BatchGetItem': ['dynamodb:Attributes', 'dynamodb:LeadingKeys', 'dynamodb:Select'],
  'dynamodb:Query': ['dynamodb:Attributes', 'dynamodb:LeadingKeys', 'dynamodb:ReturnValues', 'dynamodb:Select'],
  'dynamodb:PutItem': ['dynamodb:Attributes', 'dynamodb:LeadingKeys', 'dynamodb:ReturnValues'],
  'dynamodb:UpdateItem': ['dynamodb:Attributes', 'dynamodb:LeadingKeys', 'dynamodb:ReturnValues'],
  'dynamodb:DeleteItem': ['dynamodb:Attributes', 'dynamodb:LeadingKeys', 'dynamodb:ReturnValues'],
  'dynamodb:Scan': ['dynamodb:Attributes', 'dynamodb:ReturnValues', 'dynamodb:Select'],
};

export interface Case {
  req: EvalRequest;
  /** A stable description for failure messages. */
  id: number;
}

export function generateCases(seed: number, count: number): Case[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const chance = (p: number) => r() < p;
  const some = <T>(xs: readonly T[], max: number): T[] => {
    const n = 1 + Math.floor(r() * max);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(pick(xs));
    return [...new Set(out)];
  };
  const tableArn = (t: string) => `arn:aws:dynamodb:${REGION}:${ACCT}:table/${t}`;

  const stringValue = (pool: readonly string[]): string => {
    const roll = r();
    if (roll < 0.15) return `\${aws:PrincipalTag/${pick(TAG_KEYS)}}`;
    if (roll < 0.2) return `\${aws:PrincipalTag/${pick(TAG_KEYS)}, '${pick(pool)}'}`;
    return pick(pool);
  };
  const likeValue = (pool: readonly string[]): string => {
    const base = stringValue(pool);
    const roll = r();
    if (roll < 0.2) return `${base.slice(0, 2)}*`;
    if (roll < 0.3) return `*${base.slice(-2)}`;
    if (roll < 0.4) return `${base.slice(0, -1)}?`;
    if (roll < 0.45) return `${base}\${*}`;
    if (roll < 0.5) return '*';
    return base;
  };

  const resourcePattern = (): string => {
    const roll = r();
    const t = pick(TABLES);
    if (roll < 0.08) return '*';
    if (roll < 0.16) return `arn:aws:dynamodb:${REGION}:${ACCT}:table/*`;
    if (roll < 0.26) return `arn:aws:dynamodb:${REGION}:${ACCT}:table/${t.slice(0, 3)}*`;
    if (roll < 0.32) return `arn:aws:dynamodb:*:*:table/${t}`;
    if (roll < 0.38) return `arn:aws:dynamodb:${REGION}:${ACCT}:table/Orders-\${aws:PrincipalTag/${pick(TAG_KEYS)}}`;
    if (roll < 0.44) return `arn:aws:dynamodb:${REGION}:${ACCT}:table/${t}/index/*`;
    if (roll < 0.48) return `arn:aws:dynamodb:${REGION}:${ACCT}:table/Order?`;
    if (roll < 0.52) return `arn:aws:dynamodb:${REGION}:999999999999:table/${t}`;
    if (roll < 0.56) return `arn:aws:dynamodb:${REGION}:${ACCT}:table/${t}\${*}`;
    return tableArn(t);
  };

  type Gen = () => [string, string, unknown];
  const gens: Gen[] = [
    () => {
      const set = pick(['ForAllValues:', 'ForAnyValue:', 'ForAllValues:', '']);
      const op = pick(['StringEquals', 'StringNotEquals', 'StringLike', 'StringNotLike', 'StringEqualsIgnoreCase']);
      const ifx = set !== 'ForAnyValue:' && chance(0.15) ? 'IfExists' : '';
      const vals = some(TENANTS, 2).map(() => (op.includes('Like') ? likeValue(TENANTS) : stringValue(TENANTS)));
      return [`${set}${op}${ifx}`, 'dynamodb:LeadingKeys', vals.length === 1 && chance(0.5) ? vals[0] : vals];
    },
    () => {
      const set = pick(['ForAllValues:', 'ForAnyValue:']);
      const op = pick(['StringEquals', 'StringNotEquals', 'StringLike']);
      return [`${set}${op}`, 'dynamodb:Attributes', some(ATTRS, 4).map((a) => (op === 'StringLike' && chance(0.3) ? `${a.slice(0, 3)}*` : a))];
    },
    () => [
      pick(['StringEquals', 'StringEqualsIfExists', 'StringNotEquals', 'StringNotEqualsIfExists']),
      'dynamodb:Select',
      pick(['SPECIFIC_ATTRIBUTES', 'ALL_ATTRIBUTES', ['SPECIFIC_ATTRIBUTES', 'COUNT']]),
    ],
    () => [
      pick(['StringEquals', 'StringLike', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotLike']),
      `aws:PrincipalTag/${pick(TAG_KEYS)}`,
      likeValue(TENANTS),
    ],
    () => [
      'Null',
      pick(['dynamodb:LeadingKeys', 'dynamodb:Attributes', 'dynamodb:Select', `aws:PrincipalTag/${pick(TAG_KEYS)}`]),
      pick(['true', 'false', true, false]),
    ],
    () => [pick(['Bool', 'BoolIfExists']), 'aws:SecureTransport', pick(['true', 'false', true])],
    () => [
      pick([
        'NumericLessThan',
        'NumericGreaterThanEquals',
        'NumericEquals',
        'NumericNotEquals',
        'NumericLessThanEquals',
        'NumericGreaterThan',
        'NumericLessThanIfExists',
      ]),
      'aws:MultiFactorAuthAge',
      pick(['300', '3600', '0', '1.5', ['60', '600']]),
    ],
    () => [
      pick(['DateLessThan', 'DateGreaterThan', 'DateEquals', 'DateNotEquals', 'DateLessThanEquals', 'DateGreaterThanEqualsIfExists']),
      'aws:CurrentTime',
      pick(['2025-01-01T00:00:00Z', '2026-06-01T12:00:00Z', '2024-12-31T23:59:59Z']),
    ],
    () => [
      pick(['ArnLike', 'ArnEquals', 'ArnNotLike', 'ArnNotEquals', 'ArnLikeIfExists']),
      'aws:PrincipalArn',
      pick([
        `arn:aws:iam::${ACCT}:role/isoctl/prod/*`,
        `arn:aws:iam::${ACCT}:role/isoctl/prod/isoctl-prod-acme`,
        'arn:aws:iam::*:role/*',
        `arn:aws:iam::${ACCT}:role/isoctl/\${aws:PrincipalTag/team}/*`,
        `arn:aws:iam::${ACCT}:role/other`,
      ]),
    ],
    () => [
      pick(['StringEquals', 'StringNotEqualsIfExists', 'ForAnyValue:StringEquals']),
      'dynamodb:ReturnValues',
      pick(['NONE', 'ALL_OLD', ['NONE', 'UPDATED_NEW']]),
    ],
  ];

  const statement = (): PolicyStatement => {
    const s: PolicyStatement = { Effect: chance(0.8) ? 'Allow' : 'Deny' };
    if (chance(0.1)) s.NotAction = some(ACTION_PATTERNS, 2);
    else s.Action = chance(0.4) ? pick(ACTION_PATTERNS) : some(ACTION_PATTERNS, 3);
    if (chance(0.1)) s.NotResource = some(TABLES, 2).map(tableArn);
    else s.Resource = chance(0.5) ? resourcePattern() : [resourcePattern(), resourcePattern()];
    const nConditions = Math.floor(r() * 4);
    if (nConditions > 0) {
      const c: ConditionBlock = {};
      for (let i = 0; i < nConditions; i++) {
        const [op, key, value] = pick(gens)();
        (c[op] ??= {})[key] = value as string;
      }
      s.Condition = c;
    }
    if (chance(0.3)) s.Sid = `S${Math.floor(r() * 1000)}`;
    return s;
  };
  const policy = (): PolicyDocument => ({ Version: '2012-10-17', Statement: Array.from({ length: 1 + Math.floor(r() * 3) }, statement) });

  const cases: Case[] = [];
  for (let id = 0; id < count; id++) {
    const action = pick(ACTIONS);
    const applies = new Set(APPLICABLE[action]);
    const context: EvalRequest['context'] = {};
    if (applies.has('dynamodb:LeadingKeys') && chance(0.85)) context['dynamodb:LeadingKeys'] = some(TENANTS, 2);
    if (applies.has('dynamodb:Attributes') && chance(0.5)) context['dynamodb:Attributes'] = some(ATTRS, 3);
    if (applies.has('dynamodb:Select') && chance(0.4)) context['dynamodb:Select'] = pick(['SPECIFIC_ATTRIBUTES', 'ALL_ATTRIBUTES', 'COUNT']);
    if (applies.has('dynamodb:ReturnValues') && chance(0.3)) context['dynamodb:ReturnValues'] = pick(['NONE', 'ALL_OLD', 'UPDATED_NEW']);
    for (const k of TAG_KEYS) if (chance(0.5)) context[`aws:PrincipalTag/${k}`] = pick(TENANTS);
    if (chance(0.5)) context['aws:PrincipalArn'] = pick([`arn:aws:iam::${ACCT}:role/isoctl/prod/isoctl-prod-acme`, `arn:aws:iam::${ACCT}:role/other`]);
    if (chance(0.5)) context['aws:SecureTransport'] = pick(['true', 'false']);
    if (chance(0.5)) context['aws:MultiFactorAuthAge'] = pick(['100', '300', '4000', '0']);
    if (chance(0.5)) context['aws:CurrentTime'] = pick(['2025-01-01T00:00:00Z', '2025-06-01T00:00:00Z', '2027-01-01T00:00:00Z']);
    const policies = Array.from({ length: 1 + Math.floor(r() * 2) }, policy);
    const req: EvalRequest = {
      action,
      resource: chance(0.15) ? `${tableArn(pick(TABLES))}/index/${pick(['byDate', 'gsi1'])}` : tableArn(pick(TABLES)),
      context,
      identityPolicies: policies,
    };
    if (chance(0.4)) req.permissionsBoundary = policy();
    cases.push({ id, req });
  }
  return cases;
}
