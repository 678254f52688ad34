// Why was this request denied? The request is rebuilt from the message and the known facts, then
// evaluated with src/policy against the role as IAM shows it. Causes are found by counterfactuals:
//   1. the AWS side: with a correct request, does the role's state deny it? Each part of the state
//      (inline policies, boundary, role tags) is replaced in turn by what isoctl would deploy; the
//      part whose replacement turns the answer into Allow is the cause.
//   2. the request side: with the state repaired, each request fact that differs from a correct
//      request (partition key, attributes, Select, session tags) is set right in turn; the fact
//      whose correction allows it is the cause.
//   3. nothing denies: the role is younger than AWS's propagation window, or the request details
//      that would show the cause are unknown (then every cause they could hide is listed).
// Pure: the caller loads the role and the identity pool's principal-tag map.
import { stackPath, type StackConfig, type TableConfig } from '../../config/schema.js';
import { roleName as stackRoleName, TENANT_ID_PATTERN } from '../../config/tenant-id.js';
import { dynamoActionKind, serviceOf, uniqueSorted } from '../../policy/actions.js';
import {
  INLINE_POLICY_NAME,
  MANAGED_BY_VALUE,
  TAG_MANAGED_BY,
  TAG_STACK,
  TAG_TENANT,
  USER_ID_TAG,
  boundaryPolicyArn,
  buildBoundaryPolicy,
  buildDataPolicy,
  evaluate,
  evaluateTrust,
  policiesEqual,
  resolveScopes,
  tenantPrefix,
  tenantTableName,
  type ContextValue,
  type EvalResult,
  type PolicyDocument,
} from '../../policy/index.js';
import { scopesFromTag } from '../../tenant/desired.js';
import { TAG_SCOPES } from '../../tenant/names.js';
import { role as roleResource } from '../../tenant/resources/index.js';
import { byCauseOrder, cause, type Cause } from './causes.js';
import type { RequestFacts } from './facts.js';
import type { ParsedDenial } from './parse.js';

/** How long after a change AWS may still answer with the old state (the first seed saw ~30 s). */
export const PROPAGATION_WINDOW_MS = 60_000;
/** Stands for the signed-in user's `sub` when no fact gives it. */
export const PLACEHOLDER_SUB = '<sub of the signed-in user>';
const COGNITO_SUB_VARIABLE = 'cognito-identity.amazonaws.com:sub';

export interface RoleSnapshot {
  name: string;
  arn: string;
  path: string;
  createDate: string | undefined;
  tags: Record<string, string>;
  trustPolicy: unknown;
  /** Inline policies by name, parsed (a document IAM holds that is not JSON stays a string). */
  inlinePolicies: Record<string, unknown>;
  boundaryArn: string | undefined;
  /** The boundary's default version; undefined when the role has none or it could not be read. */
  boundaryDocument: unknown;
}

export interface PrincipalTagMapView {
  /** false: not read (granularity tenant, or no access). */
  known: boolean;
  /** tag key -> token claim; undefined when the identity pool has no map for the provider. */
  tags: Record<string, string> | undefined;
}

export interface ExplainInput {
  denial: ParsedDenial;
  config: StackConfig | undefined;
  /** The role as IAM shows it; undefined when it does not exist. */
  role: RoleSnapshot | undefined;
  principalTagMap: PrincipalTagMapView;
  facts: RequestFacts;
  /** When the error happened (epoch ms). */
  at: number;
}

export interface ExplainResult {
  message: string;
  principal: { arn: string; type: ParsedDenial['principalType']; roleName: string | null; sessionName: string | null; accountId: string | null };
  action: string;
  resource: string;
  /** What AWS's message says refused it. */
  awsReason: ParsedDenial['denial'];
  tenant: string | null;
  role: {
    name: string;
    arn: string;
    createDate: string | null;
    ageSeconds: number | null;
    managedByStack: boolean;
    inlinePolicies: string[];
    boundaryArn: string | null;
    tags: Record<string, string>;
  } | null;
  /** The request as rebuilt (facts given, the rest as a correct request would carry them) and the role's answer to it now. */
  evaluation: { decision: EvalResult['decision']; reason: string | null; context: Record<string, ContextValue> } | null;
  /** Request facts given (by flag, --request or --id-token) and the ones assumed correct. */
  facts: { given: string[]; assumed: string[] };
  cause: Cause;
  /** Further causes that hold too (certain/likely), or could hide in unknown request details (possible). */
  others: Cause[];
}

interface RequestModel {
  leadingKeys: string[] | undefined;
  attributes: string[] | undefined;
  select: string | undefined;
  returnValues: string | undefined;
  sessionTags: Record<string, string>;
}

interface StateModel {
  identity: PolicyDocument[];
  boundary: PolicyDocument | undefined;
  roleTags: Record<string, string>;
}

type RequestFactor = 'sessionTags' | 'leadingKeys' | 'attributes' | 'select' | 'returnValues';
type StateComponent = 'identity' | 'boundary' | 'roleTags';

function asDoc(v: unknown): PolicyDocument {
  if (typeof v === 'string') {
    try {
      return JSON.parse(v) as PolicyDocument;
    } catch {
      return v as unknown as PolicyDocument;
    }
  }
  return v as PolicyDocument;
}

function docText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v ?? null);
}

/** The tenant a role belongs to: its isoctl:tenant tag, else the id in `isoctl-<stack>-<id>`. */
export function tenantOfRole(roleName: string | undefined, tags: Record<string, string> | undefined, config: StackConfig | undefined): string | undefined {
  const tagged = tags?.[TAG_TENANT];
  if (tagged && TENANT_ID_PATTERN.test(tagged)) return tagged;
  if (!roleName || !config) return undefined;
  const prefix = stackRoleName(config.stack, '');
  if (!roleName.startsWith(prefix)) return undefined;
  const id = roleName.slice(prefix.length);
  return TENANT_ID_PATTERN.test(id) ? id : undefined;
}

function tableFor(config: StackConfig | undefined, table: string | undefined, tenant: string | undefined): TableConfig | undefined {
  if (!config || !table) return undefined;
  return config.tables.find((t) => (tenant !== undefined ? tenantTableName(t, tenant) === table : t.name === table) || (t.model === 'pooled' && t.name === table));
}

function mergeTags(roleTags: Record<string, string>, sessionTags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const overridden = new Set(Object.keys(sessionTags).map((k) => k.toLowerCase()));
  for (const [k, v] of Object.entries(roleTags)) if (!overridden.has(k.toLowerCase())) out[k] = v;
  for (const [k, v] of Object.entries(sessionTags)) out[k] = v;
  return out;
}

function sameList(a: string[] | undefined, b: string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameValue(a: string | string[] | undefined, b: string | string[] | undefined): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return sameList(Array.isArray(a) ? a : a === undefined ? undefined : [a], Array.isArray(b) ? b : b === undefined ? undefined : [b]);
  return a === b;
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return sameList(ka, kb) && ka.every((k) => a[k] === b[k]);
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

export function analyzeDenial(input: ExplainInput): ExplainResult {
  const { denial: d, config, role, facts } = input;
  const result = (primary: Cause, others: Cause[], extra: Partial<ExplainResult> = {}): ExplainResult => ({
    message: d.message,
    principal: { arn: d.principalArn, type: d.principalType, roleName: d.roleName ?? null, sessionName: d.sessionName ?? null, accountId: d.accountId ?? null },
    action: d.action,
    resource: d.resource,
    awsReason: d.denial,
    tenant: null,
    role: null,
    evaluation: null,
    facts: { given: facts.sources, assumed: [] },
    cause: primary,
    others,
    ...extra,
  });

  if (d.principalType !== 'assumed-role' && d.principalType !== 'role')
    return result(
      cause('not-a-role-session', 'certain', `${d.principalArn} is not a role session`, 'isoctl tenants reach data through role sessions (arn:aws:sts::<account>:assumed-role/isoctl-<stack>-<tenant>/...); this principal is not one, so its own policies decide.', {
        action: 'Check which credentials the application used: a tenant request must use the credentials Cognito issued for the tenant role.',
      }),
      [],
    );
  if (config && d.accountId && d.accountId !== config.accountId)
    return result(
      cause('wrong-account', 'certain', `the message is from account ${d.accountId}, the config describes account ${config.accountId}`, 'explain reads the role and stack of the config; they cannot be the ones that refused this request.', {
        action: `Run explain with the config (--config) and credentials of account ${d.accountId}.`,
      }),
      [],
    );

  const tenant = tenantOfRole(d.roleName, role?.tags, config);
  const createTenant = tenant ? `isoctl tenant create ${tenant}` : undefined;
  if (!role)
    return result(
      cause(
        'role-missing',
        'certain',
        `the role ${d.roleName} does not exist`,
        `IAM has no role named ${d.roleName}: the tenant was deleted (the application still holds credentials issued before), or the message is from another account or stack.`,
        tenant
          ? { command: createTenant, action: `Recreate the tenant if it should exist (${createTenant} --wait data); otherwise the caller must sign in again and stop using the old credentials.` }
          : { action: 'Check the account and stack the message comes from.' },
      ),
      [],
      { tenant: tenant ?? null },
    );

  const ageMs = role.createDate ? input.at - Date.parse(role.createDate) : undefined;
  const ownership = config ? roleResource.owned(config, role) : undefined;
  const managed = ownership?.owned === true;
  const roleView: ExplainResult['role'] = {
    name: role.name,
    arn: role.arn,
    createDate: role.createDate ?? null,
    ageSeconds: ageMs === undefined ? null : Math.round(ageMs / 1000),
    managedByStack: managed,
    inlinePolicies: Object.keys(role.inlinePolicies).sort(),
    boundaryArn: role.boundaryArn ?? null,
    tags: role.tags,
  };
  const found: Cause[] = [];
  const possible: Cause[] = [];
  if (config && !managed)
    found.push(
      cause('not-isoctl-role', 'certain', `${role.name} is not a role of stack ${config.stack}`, `isoctl's roles live under ${stackPath(config.stack)} with the tags ${TAG_MANAGED_BY}=${MANAGED_BY_VALUE} and ${TAG_STACK}=${config.stack}; this one (path ${role.path}) does not (${ownership && !ownership.owned ? ownership.reason : 'not owned'}), so isoctl never changes it. Its policies were still evaluated below.`, {
        action: 'Fix that role yourself, or use a tenant role of the stack.',
      }),
    );

  // ---- the request: what a correct request of this tenant carries, and what is known of this one
  const isDynamo = serviceOf(d.action) === 'dynamodb';
  const kind = isDynamo ? dynamoActionKind(d.action) : undefined;
  const table = isDynamo ? tableFor(config, d.table, tenant) : undefined;
  const userGranularity = config?.granularity === 'user';
  const partitioned = table !== undefined && (userGranularity || table.model === 'pooled');
  const claimSub = typeof facts.tokenClaims?.sub === 'string' ? (facts.tokenClaims.sub as string) : undefined;
  const userSub = claimSub ?? facts.sessionTags?.[USER_ID_TAG] ?? (facts.leadingKeys?.length === 1 ? facts.leadingKeys[0] : undefined) ?? PLACEHOLDER_SUB;
  const ownKey = userGranularity ? userSub : tenant;
  const allowedAttributes = table?.attributes ? uniqueSorted([table.partitionKey, ...(table.sortKey ? [table.sortKey] : []), ...table.attributes]) : undefined;
  const itemAction = kind === 'read' || kind === 'write';
  const ideal: RequestModel = {
    leadingKeys: itemAction && partitioned && ownKey !== undefined ? [ownKey] : undefined,
    attributes: allowedAttributes,
    select: kind === 'read' || kind === 'scan' ? (allowedAttributes ? 'SPECIFIC_ATTRIBUTES' : d.index ? 'ALL_PROJECTED_ATTRIBUTES' : 'ALL_ATTRIBUTES') : undefined,
    returnValues: kind === 'write' ? 'NONE' : undefined,
    sessionTags: userGranularity ? { [USER_ID_TAG]: userSub } : {},
  };
  // Session tags: given, or what the identity pool's map makes of the token (none when the map lacks userid).
  let sessionOrigin: 'given' | 'token' | 'map-missing' | 'assumed' = 'assumed';
  let sessionTags = ideal.sessionTags;
  const mapTags = input.principalTagMap.known ? input.principalTagMap.tags ?? {} : undefined;
  if (facts.sessionTags !== undefined) {
    sessionTags = facts.sessionTags;
    sessionOrigin = 'given';
  } else if (userGranularity && mapTags !== undefined && mapTags[USER_ID_TAG] === undefined) {
    sessionTags = {};
    sessionOrigin = 'map-missing';
  } else if (userGranularity && mapTags !== undefined && facts.tokenClaims !== undefined) {
    sessionTags = {};
    for (const [tag, claim] of Object.entries(mapTags)) {
      const v = facts.tokenClaims[claim];
      if (typeof v === 'string') sessionTags[tag] = v;
    }
    sessionOrigin = 'token';
  }
  const actual: RequestModel = {
    leadingKeys: facts.leadingKeys ?? ideal.leadingKeys,
    attributes: facts.attributes ?? ideal.attributes,
    select: facts.select ?? ideal.select,
    returnValues: facts.returnValues ?? ideal.returnValues,
    sessionTags,
  };
  const assumed: string[] = [];
  if (isDynamo) {
    if (facts.leadingKeys === undefined && ideal.leadingKeys) assumed.push(`partition key ${JSON.stringify(ideal.leadingKeys[0])}`);
    if (facts.attributes === undefined && ideal.attributes) assumed.push(`attributes ${ideal.attributes.join(',')}`);
    if (facts.select === undefined && ideal.select) assumed.push(`Select ${ideal.select}`);
  }
  if (userGranularity && sessionOrigin === 'assumed') assumed.push(`session tag ${USER_ID_TAG}=${userSub}`);

  // ---- the state: as IAM shows it, and as isoctl would deploy it
  const observed: StateModel = {
    identity: Object.values(role.inlinePolicies).map(asDoc),
    boundary: role.boundaryArn && role.boundaryDocument !== undefined ? asDoc(role.boundaryDocument) : undefined,
    roleTags: role.tags,
  };
  let desired: StateModel | undefined;
  let desiredBoundaryArn: string | undefined;
  if (config && tenant) {
    const scopes = scopesFromTag(config, role.tags[TAG_SCOPES]) ?? resolveScopes(config);
    desiredBoundaryArn = boundaryPolicyArn(config);
    desired = {
      identity: [buildDataPolicy(config, tenant, scopes)],
      boundary: buildBoundaryPolicy(config),
      roleTags: { ...role.tags, [TAG_TENANT]: tenant },
    };
  }

  const contextOf = (r: RequestModel, s: StateModel): Record<string, ContextValue> => {
    const ctx: Record<string, ContextValue> = {
      'aws:PrincipalArn': role.arn,
      'aws:PrincipalType': 'AssumedRole',
    };
    if (d.accountId) ctx['aws:PrincipalAccount'] = d.accountId;
    for (const [k, v] of Object.entries(mergeTags(s.roleTags, r.sessionTags))) ctx[`aws:PrincipalTag/${k}`] = v;
    if (r.leadingKeys && r.leadingKeys.length > 0) ctx['dynamodb:LeadingKeys'] = r.leadingKeys;
    if (r.attributes && r.attributes.length > 0) ctx['dynamodb:Attributes'] = r.attributes;
    if (r.select) ctx['dynamodb:Select'] = r.select;
    if (r.returnValues) ctx['dynamodb:ReturnValues'] = r.returnValues;
    return ctx;
  };
  const run = (r: RequestModel, s: StateModel): EvalResult =>
    evaluate({ action: d.action, resource: d.resource, context: contextOf(r, s), identityPolicies: s.identity, permissionsBoundary: s.boundary });
  const allows = (r: RequestModel, s: StateModel) => run(r, s).decision === 'Allow';

  const now = run(actual, observed);
  const evaluation = { decision: now.decision, reason: now.reason ?? null, context: contextOf(actual, observed) };
  const extra = { tenant: tenant ?? null, role: roleView, evaluation, facts: { given: facts.sources, assumed } };

  // ---- static facts of the request
  if (isDynamo && config && d.table && !table)
    found.push(
      cause('table-not-configured', 'certain', `table ${d.table} is not one of the stack's tables`, `isoctl grants tenant roles only the tables in the config (${config.tables.map((t) => (t.model === 'silo' ? `${t.name}-<tenant>` : t.name)).join(', ')}); ${d.table} is not among them${tenant ? ` for tenant ${tenant}` : ''}.`, {
        command: createTenant,
        action: `Use one of the stack's tables, or add ${d.table} to "tables" in isoctl.json, then run \`isoctl init\` and \`${createTenant ?? 'isoctl tenant create <id>'}\`.`,
      }),
    );
  if (table && kind === 'scan' && partitioned)
    found.push(
      cause('scan', 'certain', `Scan on ${table.name}, a table shared by ${userGranularity ? 'users' : 'tenants'}`, `A Scan reads every partition, so dynamodb:LeadingKeys cannot limit it; isoctl never allows Scan on a ${userGranularity ? 'per-user' : 'pooled'} table.`, {
        action: `Query the tenant's partition instead: KeyConditionExpression "${table.partitionKey} = :pk" with :pk = ${JSON.stringify(ownKey ?? '<tenant id>')}.`,
      }),
    );
  if (table && d.index && table.model === 'pooled' && !table.indexes.includes(d.index))
    found.push(
      cause('index-not-allowed', 'certain', `index ${d.index} of ${table.name} is not in the config`, `The tenant policy names only the indexes listed in tables[].indexes (${table.indexes.join(', ') || 'none'}).`, {
        command: createTenant,
        action: `Add "${d.index}" to the table's "indexes" in isoctl.json, then run \`isoctl init\` and \`${createTenant ?? 'isoctl tenant create <id>'}\`.`,
      }),
    );
  if (serviceOf(d.action) === 's3' && config && tenant && d.bucket && d.objectKey !== undefined) {
    const bucket = config.buckets.find((b) => b.name === d.bucket);
    if (bucket && !d.objectKey.startsWith(tenantPrefix(bucket, tenant)))
      found.push(
        cause('other-tenant-prefix', 'certain', `object ${d.objectKey} is outside tenant ${tenant}'s prefix ${tenantPrefix(bucket, tenant)}`, `Tenant ${tenant} may reach only ${d.bucket}/${tenantPrefix(bucket, tenant)}*.`, {
          action: `Use keys under ${tenantPrefix(bucket, tenant)} for tenant ${tenant}.`,
        }),
      );
  }
  const staticCause = found.some((c) => ['table-not-configured', 'scan', 'index-not-allowed', 'other-tenant-prefix'].includes(c.id));

  // ---- 1. the AWS side, with a correct request
  let fixed: StateModel = observed;
  if (desired && !staticCause && !allows(ideal, observed)) {
    const want = desired;
    if (!allows(ideal, want)) {
      const inScopes = Object.entries(config?.scopes ?? {}).filter(([, actions]) => actions.some((a) => a.toLowerCase() === d.action.toLowerCase())).map(([s]) => s);
      const tenantScopes = config ? (scopesFromTag(config, role.tags[TAG_SCOPES]) ?? resolveScopes(config)) : [];
      found.push(
        cause(
          'action-not-in-scope',
          'certain',
          `${d.action} is not in tenant ${tenant}'s scopes (${tenantScopes.join(', ')})`,
          inScopes.length > 0
            ? `The config grants ${d.action} in scope ${inScopes.join(', ')}, which tenant ${tenant} was not given.`
            : `No scope in the config contains ${d.action}, so no tenant role is ever allowed it.`,
          inScopes.length > 0
            ? { command: `isoctl tenant create ${tenant} --scope ${uniqueSorted([...tenantScopes, inScopes[0] as string]).join(',')}`, action: `Give the tenant a scope that contains ${d.action}.` }
            : { action: `Add ${d.action} to a scope in isoctl.json ("scopes"), then run \`isoctl init\` and \`isoctl tenant create ${tenant} --scope <scope>\`.` },
        ),
      );
    } else {
      const swaps: Array<[StateComponent, StateModel]> = [
        ['identity', { ...observed, identity: want.identity }],
        ['boundary', { ...observed, boundary: want.boundary }],
        ['roleTags', { ...observed, roleTags: want.roleTags }],
      ];
      let flipped = swaps.filter(([, s]) => allows(ideal, s)).map(([c]) => c);
      let certainty: 'certain' | 'likely' = 'certain';
      if (flipped.length === 0) {
        certainty = 'likely';
        flipped = (['identity', 'boundary', 'roleTags'] as StateComponent[]).filter((c) => docText(observed[c]) !== docText(want[c]));
        fixed = want;
      } else {
        fixed = { ...observed };
        for (const c of flipped) (fixed as unknown as Record<string, unknown>)[c] = want[c];
      }
      const deny = run(ideal, observed);
      for (const c of flipped) found.push(stateCause(c, certainty, { role, tenant, config, deny, desiredBoundaryArn, desiredBoundary: want.boundary }));
    }
  }

  if (!desired && !staticCause && !allows(ideal, observed)) {
    // No config to compare with: say which policy type refuses.
    const deny = run(ideal, observed);
    if (deny.decision === 'ExplicitDeny')
      found.push(cause('explicit-deny', 'certain', `an explicit Deny refuses it (${deny.decidedBy.map((s) => `${s.policy} ${s.sid ?? `statement ${s.index}`}`).join(', ')})`, deny.reason ?? 'explicit deny', { action: 'Remove or narrow the Deny statement.' }));
    else if (observed.boundary && allows(ideal, { ...observed, boundary: undefined }))
      found.push(cause('boundary', 'certain', 'the permissions boundary does not allow it', `The inline policies allow the request; the boundary ${role.boundaryArn} does not.`, { action: 'Widen the boundary (isoctl init, with a config) or use an allowed request.' }));
  }

  // ---- 2. the request side, with the state repaired
  if (!staticCause && !allows(actual, fixed)) {
    const factors: RequestFactor[] = ['sessionTags', 'leadingKeys', 'attributes', 'select', 'returnValues'];
    const differing = factors.filter((f) => (f === 'sessionTags' ? !sameRecord(actual.sessionTags, ideal.sessionTags) : !sameValue(actual[f], ideal[f])));
    let flipped = differing.filter((f) => allows({ ...actual, [f]: ideal[f] }, fixed));
    let certainty: 'certain' | 'likely' = 'certain';
    if (flipped.length === 0 && allows(ideal, fixed)) {
      flipped = differing;
      certainty = 'likely';
    }
    for (const f of flipped) {
      const c = requestCause(f, certainty, { actual, ideal, table, tenant, userSub, claimSub, sessionOrigin, mapTags, createTenant, allowedAttributes, action: d.action, userGranularity });
      if (c) found.push(c);
    }
  }

  // ---- static state that breaks sign-in for per-user roles (reported alongside)
  if (userGranularity) {
    const trust = evaluateTrust(asDoc(role.trustPolicy), {
      action: 'sts:TagSession',
      principal: { Federated: 'cognito-identity.amazonaws.com' },
      context: {
        'cognito-identity.amazonaws.com:aud': config?.identityPoolId,
        'cognito-identity.amazonaws.com:amr': ['authenticated'],
        'aws:TagKeys': [USER_ID_TAG],
        [`aws:RequestTag/${USER_ID_TAG}`]: userSub,
      },
    });
    if (trust.decision !== 'Allow')
      found.push(
        cause('trust-no-tag-session', 'certain', `the trust policy of ${role.name} does not allow sts:TagSession`, 'Cognito sets the userid principal tag as a session tag; without sts:TagSession in the trust policy it cannot, and sign-in fails or the tag is missing.', {
          command: createTenant,
          action: 'Restore the trust policy isoctl generates (it allows sts:TagSession for the userid tag only).',
        }, 1),
      );
  }

  // ---- 3. nothing denies now
  if (found.length === 0 || found.every((c) => c.id === 'not-isoctl-role' || c.id === 'trust-no-tag-session')) {
    if (ageMs !== undefined && ageMs < PROPAGATION_WINDOW_MS && now.decision === 'Allow')
      found.push(
        cause('not-propagated', 'likely', `the role was created ${ago(ageMs)} before the error; DynamoDB did not know it yet`, `IAM changes reach the other services with a delay (up to ~30 s). The role's policies allow this request now, and the role was ${ago(ageMs)} old at the time of the error: until DynamoDB sees a new role it allows nothing.`, {
          command: tenant ? `isoctl tenant create ${tenant} --wait data` : undefined,
          action: 'Retry after a few seconds (isoctl answers 75 / Retry-After while a tenant converges); `--wait data` returns only once DynamoDB lets the tenant in.',
        }),
      );
    else if (now.decision === 'Allow') {
      possible.push(...unknownRequestCauses({ facts, table, partitioned, userGranularity, sessionOrigin, itemAction, tenant, ownKey, allowedAttributes, kind }));
      const detailsKnown = possible.length === 0;
      found.push(
        cause(
          detailsKnown ? 'allowed-now' : 'undetermined',
          'possible',
          detailsKnown ? 'the role allows this request now' : 'the role allows a correct request of this tenant; the cause is in request details the message does not show',
          detailsKnown
            ? `Evaluated with the request details given (${facts.sources.join(', ')}), the role's policies allow it now: an IAM change (a repaired policy) had not reached DynamoDB yet, or the request was not the one described.`
            : `AWS's message names only the action and table. Pass the request (--request '<JSON input>') or its details (--key, --attributes, --no-projection, --principal-tag, --id-token) to tell the causes below apart.`,
          { command: tenant ? `isoctl tenant verify ${tenant}` : undefined, action: 'Check the tenant end to end with a probe identity, then compare the failing request with what the causes below require.' },
        ),
      );
    }
  }
  if (found.length === 0)
    found.push(
      cause('undetermined', 'possible', `the role denies this request (${now.reason ?? now.decision}) for a reason explain does not recognise`, now.unsupported ? `The policy uses a construct the evaluator does not support: ${now.unsupported}.` : `Decision ${now.decision}; deciding statements: ${now.decidedBy.map((s) => `${s.policy}#${s.index}${s.sid ? ` (${s.sid})` : ''}`).join(', ') || 'none'}.`, {
        command: tenant ? `isoctl tenant show ${tenant}` : undefined,
        action: 'Compare the role with what isoctl would deploy.',
      }),
    );
  found.sort(byCauseOrder);
  const [primary, ...rest] = found as [Cause, ...Cause[]];
  return result(primary, [...rest, ...possible], extra);
}

interface StateCauseEnv {
  role: RoleSnapshot;
  tenant: string | undefined;
  config: StackConfig | undefined;
  deny: EvalResult;
  desiredBoundaryArn: string | undefined;
  desiredBoundary: PolicyDocument | undefined;
}

function stateCause(c: StateComponent, certainty: 'certain' | 'likely', env: StateCauseEnv): Cause {
  const { role, tenant } = env;
  const fixCmd = tenant ? `isoctl tenant create ${tenant}` : undefined;
  if (c === 'identity') {
    const names = Object.keys(role.inlinePolicies);
    if (!(INLINE_POLICY_NAME in role.inlinePolicies))
      return cause('inline-policy-missing', certainty, `the role has no inline policy ${INLINE_POLICY_NAME}`, `${role.name} carries ${names.length === 0 ? 'no inline policy at all' : `only ${names.join(', ')}`}: a half-created tenant (a create stopped after CreateRole), or the policy was deleted by hand.`, {
        command: fixCmd,
        action: 'Re-run the create: it puts the missing policy and waits until DynamoDB sees it.',
      });
    const sub = names.find((n) => docText(role.inlinePolicies[n]).includes(COGNITO_SUB_VARIABLE));
    if (sub)
      return cause(
        'cognito-sub-variable',
        certainty,
        `inline policy ${sub} uses \${${COGNITO_SUB_VARIABLE}}`,
        `\${${COGNITO_SUB_VARIABLE}} is the identity pool's identity id (<region>:<uuid>), not the user pool's sub: it never equals a partition key written with the user's sub. isoctl maps the token's sub to the principal tag userid and uses \${aws:PrincipalTag/userid} (granularity "user").`,
        { command: fixCmd, action: 'Restore the policy isoctl generates (set "granularity": "user" in isoctl.json for per-user partitions).' },
        3,
      );
    if (env.deny.decision === 'ExplicitDeny' && env.deny.decidedBy.some((s) => s.policy.startsWith('identity')))
      return cause('explicit-deny', certainty, `an inline policy of ${role.name} denies it explicitly (${env.deny.decidedBy.map((s) => s.sid ?? `statement ${s.index}`).join(', ')})`, 'isoctl never writes Deny statements into tenant policies: someone added one by hand.', {
        command: fixCmd,
        action: 'Remove the statement, or re-run the create to restore the generated policy.',
      });
    return cause('inline-policy-edited', certainty, `the inline policy of ${role.name} differs from what the config gives`, `${names.join(', ')} no longer matches the policy isoctl generates for tenant ${tenant} (edited by hand, or the config changed since the tenant was created).`, {
      command: fixCmd,
      action: 'Re-run the create: it rewrites the policy from the config.',
    });
  }
  if (c === 'boundary') {
    if (env.desiredBoundaryArn && role.boundaryArn !== env.desiredBoundaryArn)
      return cause('boundary-other', certainty, `the role's permissions boundary is ${role.boundaryArn ?? 'missing'}, not the stack's`, `isoctl puts ${env.desiredBoundaryArn} on every tenant role; ${role.boundaryArn} does not allow this request.`, {
        command: fixCmd,
        action: "Re-run the create: it puts the stack's boundary back.",
      });
    if (env.desiredBoundary && !policiesEqual(env.desiredBoundary, asDoc(role.boundaryDocument)))
      return cause('boundary-outdated', certainty, "the stack's permissions boundary is older than the config", `The boundary's default version does not allow ${env.deny.reason ? 'this request' : 'it'}: the config changed (a table, attribute or scope was added) but \`isoctl init\` did not run since.`, {
        command: 'isoctl init',
        action: 'Run init: it makes the boundary from the config a new default version.',
      });
    return cause('boundary', certainty, 'the permissions boundary does not allow it', `The inline policy allows the request; the boundary ${role.boundaryArn} does not.`, { command: fixCmd, action: 'Re-run the create and `isoctl init`.' });
  }
  const have = role.tags[TAG_TENANT];
  return cause('tenant-tag', certainty, have === undefined ? `the role has no ${TAG_TENANT} tag` : `the role's ${TAG_TENANT} tag is ${JSON.stringify(have)}, not ${JSON.stringify(tenant)}`, `The stack's boundary allows only the partitions named by the role's own tag \${aws:PrincipalTag/${TAG_TENANT}}; with the tag ${have === undefined ? 'missing' : 'wrong'} it allows none of tenant ${tenant}'s.`, {
    command: fixCmd,
    action: 'Re-run the create: it restores the tags.',
  });
}

interface RequestCauseEnv {
  actual: RequestModel;
  ideal: RequestModel;
  table: TableConfig | undefined;
  tenant: string | undefined;
  userSub: string;
  claimSub: string | undefined;
  sessionOrigin: 'given' | 'token' | 'map-missing' | 'assumed';
  mapTags: Record<string, string> | undefined;
  createTenant: string | undefined;
  allowedAttributes: string[] | undefined;
  action: string;
  userGranularity: boolean;
}

function requestCause(f: RequestFactor, certainty: 'certain' | 'likely', env: RequestCauseEnv): Cause | undefined {
  const { actual, ideal, table } = env;
  const pk = table?.partitionKey ?? 'the partition key';
  if (f === 'sessionTags') {
    const have = actual.sessionTags[USER_ID_TAG];
    if (env.sessionOrigin === 'map-missing')
      return cause('principal-tag-map-missing', 'certain', `the identity pool does not map the token's sub to the principal tag ${USER_ID_TAG}`, `The tenant policy reads the partition key from \${aws:PrincipalTag/${USER_ID_TAG}}; the identity pool's attribute map for the user pool ${env.mapTags && Object.keys(env.mapTags).length > 0 ? `is ${JSON.stringify(env.mapTags)}` : 'is missing'}, so sessions carry no ${USER_ID_TAG} tag and no key matches.`, {
        command: 'isoctl init',
        action: `Run init: it sets the principal-tag map ${USER_ID_TAG} <- sub (the role's trust policy must also allow sts:TagSession).`,
      }, 1);
    if (have === undefined)
      return cause('principal-tag-missing', certainty, `the session has no principal tag ${USER_ID_TAG}`, env.sessionOrigin === 'token' ? `The id token has no "${env.mapTags?.[USER_ID_TAG] ?? 'sub'}" claim, so the identity pool cannot set ${USER_ID_TAG}; the policy's \${aws:PrincipalTag/${USER_ID_TAG}} then matches no key.` : `Without ${USER_ID_TAG} the policy's \${aws:PrincipalTag/${USER_ID_TAG}} matches no partition key.`, {
        command: 'isoctl init',
        action: `Check that the id token carries "sub", that the identity pool maps ${USER_ID_TAG} <- sub (isoctl init sets it), and that the credentials came from GetCredentialsForIdentity with that token.`,
      }, 1);
    return cause('principal-tag-wrong', certainty, `the session's principal tag ${USER_ID_TAG} is ${JSON.stringify(have)}, not the user's sub ${JSON.stringify(env.userSub)}`, `The partition key ${JSON.stringify(actual.leadingKeys?.[0] ?? env.userSub)} must equal \${aws:PrincipalTag/${USER_ID_TAG}}; the tag carries another value (credentials of another user, or a map from another claim).`, {
      command: 'isoctl init',
      action: `Use the credentials issued for this user's token; check that the identity pool maps ${USER_ID_TAG} <- sub.`,
    }, 1);
  }
  if (f === 'leadingKeys') {
    const keys = actual.leadingKeys ?? [];
    if (keys.length === 0)
      return cause('no-partition-key', certainty, `the request names no value of ${pk}`, `The tenant policy requires dynamodb:LeadingKeys (Null false): a Query needs "${pk} = :value" in KeyConditionExpression; GetItem/PutItem need ${pk} in the key.`, {
        action: `Name the partition: ${pk} = ${JSON.stringify(ideal.leadingKeys?.[0] ?? '<tenant id>')}.`,
      });
    const others = keys.filter((k) => k !== ideal.leadingKeys?.[0]);
    return cause('other-tenant-key', certainty, `the request reaches partition ${others.map((k) => JSON.stringify(k)).join(', ')}, not ${JSON.stringify(ideal.leadingKeys?.[0])}`, `dynamodb:LeadingKeys must all equal ${JSON.stringify(ideal.leadingKeys?.[0])} (ForAllValues:StringEquals); ${others.join(', ')} belong${others.length === 1 ? 's' : ''} to another ${env.userGranularity ? 'user' : 'tenant'}: isolation working as intended.`, {
      action: `Use the caller's own partition key ${JSON.stringify(ideal.leadingKeys?.[0])}; a request mixing partitions is denied as a whole.`,
    });
  }
  if (f === 'attributes') {
    const bad = (actual.attributes ?? []).filter((a) => !(env.allowedAttributes ?? []).includes(a));
    return cause('forbidden-attribute', certainty, `the request names attribute${bad.length === 1 ? '' : 's'} ${bad.join(', ')}, which the policy does not allow`, `Only ${env.allowedAttributes?.join(', ')} may be read or written on ${table?.name} (dynamodb:Attributes, ForAllValues:StringEquals).`, {
      command: env.createTenant,
      action: `Leave ${bad.join(', ')} out of the ProjectionExpression / item, or add ${bad.length === 1 ? 'it' : 'them'} to tables[].attributes in isoctl.json and run \`isoctl init\` and \`${env.createTenant ?? 'isoctl tenant create <id>'}\`.`,
    }, 2);
  }
  if (f === 'select') {
    return cause('no-projection', certainty, `the request reads ${actual.select === 'ALL_ATTRIBUTES' ? 'all attributes (no ProjectionExpression)' : `with Select ${actual.select}`} on a table with an attribute restriction`, `${table?.name} allows only ${env.allowedAttributes?.join(', ')}; a read must name them (ProjectionExpression, Select SPECIFIC_ATTRIBUTES), which the policy checks with StringEqualsIfExists dynamodb:Select.`, {
      action: `Add ProjectionExpression: "${env.allowedAttributes?.join(',')}" (or a subset).`,
    }, 2);
  }
  return cause('forbidden-attribute', certainty, `the write asks for ReturnValues ${actual.returnValues}`, `Under an attribute restriction ReturnValues ALL_OLD / ALL_NEW would return attributes the role may not read.`, {
    action: 'Use ReturnValues NONE, UPDATED_OLD or UPDATED_NEW.',
  });
}

function unknownRequestCauses(env: {
  facts: RequestFacts;
  table: TableConfig | undefined;
  partitioned: boolean;
  userGranularity: boolean;
  sessionOrigin: string;
  itemAction: boolean;
  tenant: string | undefined;
  ownKey: string | undefined;
  allowedAttributes: string[] | undefined;
  kind: string | undefined;
}): Cause[] {
  const out: Cause[] = [];
  const { facts, table } = env;
  if (env.userGranularity && env.sessionOrigin === 'assumed')
    out.push(
      cause('principal-tag-missing', 'possible', `the session may lack the principal tag ${USER_ID_TAG}, or carry a wrong value`, `The policy compares the partition key with \${aws:PrincipalTag/${USER_ID_TAG}}, set from the token's sub. Check the id token has "sub" and the credentials came from that token (--id-token / --principal-tag tell).`, {
        command: 'isoctl init',
        action: `Check the token, the identity pool's attribute map (${USER_ID_TAG} <- sub; isoctl init sets it) and the principal tag in the policy.`,
      }, 1),
    );
  if (env.allowedAttributes && (env.kind === 'read' || env.kind === 'scan') && facts.select === undefined && facts.attributes === undefined)
    out.push(
      cause('no-projection', 'possible', 'the request may have no ProjectionExpression', `${table?.name} restricts attributes to ${env.allowedAttributes.join(', ')}: a read without ProjectionExpression is denied (--no-projection / --attributes tell).`, {
        action: `Add ProjectionExpression: "${env.allowedAttributes.join(',')}" (or a subset).`,
      }, 2),
    );
  if (env.allowedAttributes && facts.attributes === undefined)
    out.push(
      cause('forbidden-attribute', 'possible', 'the request may name an attribute the policy does not allow', `Only ${env.allowedAttributes.join(', ')} are allowed on ${table?.name}.`, {
        action: 'Name only allowed attributes in ProjectionExpression / the item.',
      }, 2),
    );
  if (env.partitioned && env.itemAction && facts.leadingKeys === undefined)
    out.push(
      cause('other-tenant-key', 'possible', `the request may name another partition than ${JSON.stringify(env.ownKey)}, or none`, `Every partition key value of the request must equal ${JSON.stringify(env.ownKey)} (--key / --request tell).`, {
        action: `Use ${table?.partitionKey} = ${JSON.stringify(env.ownKey)}.`,
      }),
    );
  return out;
}
