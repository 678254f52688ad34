// Rebuilds the denied request and models the role's state: what a correct request of the tenant
// carries (ideal), what is known of this one (actual: facts given, the rest assumed correct), the
// role as IAM shows it (observed) and as isoctl would deploy it (desired), and the evaluator over
// them. Every cause family reads the Analysis this returns.
import { dynamoActionKind, serviceOf, uniqueSorted } from '../../policy/actions.js';
import {
  TAG_TENANT,
  TENANT_PIN_TAG,
  USER_ID_TAG,
  boundaryPolicyArn,
  buildBoundaryPolicy,
  buildDataPolicy,
  evaluate,
  resolveScopes,
  type ContextValue,
  type EvalResult,
} from '../../policy/index.js';
import { scopesFromTag } from '../../tenant/desired.js';
import { TAG_SCOPES } from '../../tenant/names.js';
import {
  asDoc,
  mergeTags,
  PLACEHOLDER_SUB,
  tableFor,
  type Analysis,
  type ExplainInput,
  type RequestModel,
  type RoleSnapshot,
  type SessionOrigin,
  type StateModel,
} from './model.js';

export function buildAnalysis(input: ExplainInput, role: RoleSnapshot, tenant: string | undefined): Analysis {
  const { denial: d, config, facts } = input;
  const createTenant = tenant ? `isoctl tenant create ${tenant}` : undefined;
  const ageMs = role.createDate ? input.at - Date.parse(role.createDate) : undefined;
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
    select:
      kind === 'read' || kind === 'scan' ? (allowedAttributes ? 'SPECIFIC_ATTRIBUTES' : d.index ? 'ALL_PROJECTED_ATTRIBUTES' : 'ALL_ATTRIBUTES') : undefined,
    returnValues: kind === 'write' ? 'NONE' : undefined,
    sessionTags: userGranularity ? { [USER_ID_TAG]: userSub } : {},
  };
  // Session tags: given, or what the identity pool's map makes of the token (none when the map lacks userid).
  let sessionOrigin: SessionOrigin = 'assumed';
  let sessionTags = ideal.sessionTags;
  const mapTags = input.principalTagMap.known ? (input.principalTagMap.tags ?? {}) : undefined;
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
      roleTags: { ...role.tags, [TAG_TENANT]: tenant, [TENANT_PIN_TAG]: tenant },
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

  return {
    d,
    config,
    role,
    facts,
    tenant,
    createTenant,
    ageMs,
    isDynamo,
    kind,
    table,
    userGranularity,
    partitioned,
    itemAction,
    claimSub,
    userSub,
    ownKey,
    allowedAttributes,
    ideal,
    actual,
    sessionOrigin,
    mapTags,
    assumed,
    observed,
    desired,
    desiredBoundaryArn,
    contextOf,
    run,
    allows,
  };
}
