// The shapes explain works with: its input and result, the request and role-state models the
// counterfactuals swap parts of, the Analysis every cause family reads, and small helpers.
import type { StackConfig, TableConfig } from '../../config/schema.js';
import { roleName as stackRoleName, TENANT_ID_PATTERN } from '../../config/tenant-id.js';
import { TAG_TENANT, tenantTableName, type ContextValue, type EvalResult, type PolicyDocument } from '../../policy/index.js';
import type { Cause } from './causes.js';
import type { RequestFacts } from './facts.js';
import type { ParsedDenial } from './parse.js';

/** How long after a change AWS may still answer with the old state (the first seed saw ~30 s). */
export const PROPAGATION_WINDOW_MS = 60_000;
/** Stands for the signed-in user's `sub` when no fact gives it. */
export const PLACEHOLDER_SUB = '<sub of the signed-in user>';
export const COGNITO_SUB_VARIABLE = 'cognito-identity.amazonaws.com:sub';

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
  /** ABAC: whether the app client may read the tenant claim (undefined: not read). */
  clientReadsClaim?: boolean | undefined;
  /** ABAC: the documents of the stack's deny-list managed policies attached to the scope role (overflow of the inline deny lists), by ARN. */
  managedDenyLists?: Record<string, unknown> | undefined;
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

export interface RequestModel {
  leadingKeys: string[] | undefined;
  attributes: string[] | undefined;
  select: string | undefined;
  returnValues: string | undefined;
  sessionTags: Record<string, string>;
}

export interface StateModel {
  identity: PolicyDocument[];
  boundary: PolicyDocument | undefined;
  roleTags: Record<string, string>;
}

export type RequestFactor = 'sessionTags' | 'leadingKeys' | 'attributes' | 'select' | 'returnValues';
export type StateComponent = 'identity' | 'boundary' | 'roleTags';

export function asDoc(v: unknown): PolicyDocument {
  if (typeof v === 'string') {
    try {
      return JSON.parse(v) as PolicyDocument;
    } catch {
      return v as unknown as PolicyDocument;
    }
  }
  return v as PolicyDocument;
}

export function docText(v: unknown): string {
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

export function tableFor(config: StackConfig | undefined, table: string | undefined, tenant: string | undefined): TableConfig | undefined {
  if (!config || !table) return undefined;
  return config.tables.find(
    (t) => (tenant !== undefined ? tenantTableName(t, tenant) === table : t.name === table) || (t.model === 'pooled' && t.name === table),
  );
}

export function mergeTags(roleTags: Record<string, string>, sessionTags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const overridden = new Set(Object.keys(sessionTags).map((k) => k.toLowerCase()));
  for (const [k, v] of Object.entries(roleTags)) if (!overridden.has(k.toLowerCase())) out[k] = v;
  for (const [k, v] of Object.entries(sessionTags)) out[k] = v;
  return out;
}

export function sameList(a: string[] | undefined, b: string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function sameValue(a: string | string[] | undefined, b: string | string[] | undefined): boolean {
  if (Array.isArray(a) || Array.isArray(b))
    return sameList(Array.isArray(a) ? a : a === undefined ? undefined : [a], Array.isArray(b) ? b : b === undefined ? undefined : [b]);
  return a === b;
}

export function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return sameList(ka, kb) && ka.every((k) => a[k] === b[k]);
}

export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

export type SessionOrigin = 'given' | 'token' | 'map-missing' | 'assumed';

/** Everything the cause families read: the denial, the role, the request rebuilt, the role's state modelled. */
export interface Analysis {
  d: ParsedDenial;
  config: StackConfig | undefined;
  role: RoleSnapshot;
  facts: RequestFacts;
  tenant: string | undefined;
  /** `isoctl tenant create <tenant>`, when the tenant is known. */
  createTenant: string | undefined;
  ageMs: number | undefined;
  isDynamo: boolean;
  kind: string | undefined;
  table: TableConfig | undefined;
  userGranularity: boolean;
  partitioned: boolean;
  itemAction: boolean;
  claimSub: string | undefined;
  userSub: string;
  ownKey: string | undefined;
  allowedAttributes: string[] | undefined;
  /** What a correct request of this tenant carries, and this request as far as known. */
  ideal: RequestModel;
  actual: RequestModel;
  sessionOrigin: SessionOrigin;
  mapTags: Record<string, string> | undefined;
  assumed: string[];
  /** The role's state as IAM shows it, and as isoctl would deploy it (with a config and tenant). */
  observed: StateModel;
  desired: StateModel | undefined;
  desiredBoundaryArn: string | undefined;
  contextOf(r: RequestModel, s: StateModel): Record<string, ContextValue>;
  run(r: RequestModel, s: StateModel): EvalResult;
  allows(r: RequestModel, s: StateModel): boolean;
}

export type { Cause, PolicyDocument };
