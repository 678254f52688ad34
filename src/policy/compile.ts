// The compiled form of IAM policy documents for ./evaluate.ts: actions, resources, principals and
// conditions parsed once (cached per document object), with policy variables pre-parsed, so the
// sandbox can evaluate every request against them cheaply. The semantics are documented in
// ./evaluate.ts.
import { QMARK, STAR, UnsupportedConstruct, matchResolved, parseTemplate, resolveTemplate, type ContextMap, type Template } from './pattern.js';
import type { DecidingStatement, PolicyDocument, PolicyStatement } from './types.js';

// ---------------------------------------------------------------------------------------------
// Compiled form

type BaseOp =
  | 'StringEquals'
  | 'StringEqualsIgnoreCase'
  | 'StringLike'
  | 'NumericEquals'
  | 'NumericLessThan'
  | 'NumericLessThanEquals'
  | 'NumericGreaterThan'
  | 'NumericGreaterThanEquals'
  | 'DateEquals'
  | 'DateLessThan'
  | 'DateLessThanEquals'
  | 'DateGreaterThan'
  | 'DateGreaterThanEquals'
  | 'Bool'
  | 'ArnLike'
  | 'Null';

const OPERATORS: Record<string, { base: BaseOp; negated: boolean }> = {};
for (const [name, base, negated] of [
  ['StringEquals', 'StringEquals', false],
  ['StringNotEquals', 'StringEquals', true],
  ['StringEqualsIgnoreCase', 'StringEqualsIgnoreCase', false],
  ['StringNotEqualsIgnoreCase', 'StringEqualsIgnoreCase', true],
  ['StringLike', 'StringLike', false],
  ['StringNotLike', 'StringLike', true],
  ['NumericEquals', 'NumericEquals', false],
  ['NumericNotEquals', 'NumericEquals', true],
  ['NumericLessThan', 'NumericLessThan', false],
  ['NumericLessThanEquals', 'NumericLessThanEquals', false],
  ['NumericGreaterThan', 'NumericGreaterThan', false],
  ['NumericGreaterThanEquals', 'NumericGreaterThanEquals', false],
  ['DateEquals', 'DateEquals', false],
  ['DateNotEquals', 'DateEquals', true],
  ['DateLessThan', 'DateLessThan', false],
  ['DateLessThanEquals', 'DateLessThanEquals', false],
  ['DateGreaterThan', 'DateGreaterThan', false],
  ['DateGreaterThanEquals', 'DateGreaterThanEquals', false],
  ['Bool', 'Bool', false],
  ['ArnEquals', 'ArnLike', false],
  ['ArnLike', 'ArnLike', false],
  ['ArnNotEquals', 'ArnLike', true],
  ['ArnNotLike', 'ArnLike', true],
  ['Null', 'Null', false],
] as Array<[string, BaseOp, boolean]>) {
  OPERATORS[name.toLowerCase()] = { base, negated };
}

/** Condition operators the evaluator implements (with ForAllValues:/ForAnyValue: and ...IfExists). */
export const SUPPORTED_OPERATORS = Object.freeze(Object.keys(OPERATORS));

export interface CompiledValue {
  /** String*, Bool, Null: the template of the value; Arn*: one template per ARN field. */
  t: Template;
  arn?: Template[] | undefined;
  num?: number | undefined;
}

export interface CompiledCondition {
  operator: string;
  key: string;
  base: BaseOp;
  negated: boolean;
  set: 0 | 1 | 2; // none, ForAllValues, ForAnyValue
  ifExists: boolean;
  values: CompiledValue[];
}

interface ActionMatcher {
  any: boolean;
  exact: Set<string>;
  /** Patterns whose only wildcard is a trailing `*` ("dynamodb:*", "dynamodb:Get*"). */
  prefixes: string[];
  globs: string[];
}

interface ResourcePattern {
  any: boolean;
  /** The four ARN fields joined by ":", when they have no wildcard or variable. */
  fixedHeads: string | undefined;
  /** The whole resource part, when it has no wildcard or variable. */
  fixedResource: string | undefined;
  /** partition, service, region, account (lower-cased, case-insensitive) */
  heads: Template[];
  product: string;
  rest: Template | undefined;
}

interface PrincipalMatcher {
  any: boolean;
  byType: Map<string, string[]>;
}

export interface CompiledStatement {
  index: number;
  sid: string | undefined;
  effect: 'Allow' | 'Deny';
  actions: ActionMatcher | undefined;
  notAction: boolean;
  resources: ResourcePattern[] | undefined;
  notResource: boolean;
  principal: PrincipalMatcher | undefined;
  conditions: CompiledCondition[];
  /** Why this statement cannot be evaluated (fail closed). */
  unsupported: string | undefined;
  /** The statement as reported in EvalResult.decidedBy, built once per policy label. */
  decided: Map<string, DecidingStatement>;
}

export interface CompiledPolicy {
  statements: CompiledStatement[];
  unsupported: string | undefined;
  /** Statements that can apply to an action (Action/NotAction decided once per action name). */
  byAction: Map<string, CompiledStatement[]>;
}

export function statementsFor(compiled: CompiledPolicy, action: string): CompiledStatement[] {
  let list = compiled.byAction.get(action);
  if (list === undefined) {
    list = compiled.statements.filter((st) => st.actions === undefined || actionMatches(st.actions, action) !== st.notAction);
    if (compiled.byAction.size >= 1_000) compiled.byAction.clear();
    compiled.byAction.set(action, list);
  }
  return list;
}

type PolicyKind = 'identity' | 'trust';

const cache: Record<PolicyKind, WeakMap<object, CompiledPolicy>> = { identity: new WeakMap(), trust: new WeakMap() };

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

function compileActions(value: unknown): ActionMatcher {
  const m: ActionMatcher = { any: false, exact: new Set(), prefixes: [], globs: [] };
  const list = asArray(value);
  if (list.length === 0) throw new UnsupportedConstruct('an empty Action list');
  for (const a of list) {
    if (typeof a !== 'string') throw new UnsupportedConstruct('a non-string action');
    if (a === '*') {
      m.any = true;
      continue;
    }
    if (!/^[^:\s]+:[^:\s]+$/.test(a)) throw new UnsupportedConstruct(`the action ${JSON.stringify(a)}`);
    const t = parseTemplate(a, { wildcards: true, variables: false, lowerCase: true });
    const p = t.fixed as string;
    const body = p.slice(0, -1);
    if (!t.wild) m.exact.add(p);
    else if (p.endsWith(STAR) && !body.includes(STAR) && !body.includes(QMARK)) m.prefixes.push(body);
    else m.globs.push(p);
  }
  return m;
}

function actionMatches(m: ActionMatcher, action: string): boolean {
  if (m.any || m.exact.has(action)) return true;
  for (const p of m.prefixes) if (action.startsWith(p)) return true;
  for (const g of m.globs) if (matchResolved(g, true, action)) return true;
  return false;
}

function compileResource(value: string, variables: boolean): ResourcePattern {
  if (value === '*') return { any: true, fixedHeads: undefined, fixedResource: undefined, heads: [], product: '', rest: undefined };
  if (!value.startsWith('arn:')) throw new UnsupportedConstruct(`the resource ${JSON.stringify(value)} (not an ARN)`);
  const fields = value.split(':');
  // IAM reads a short ARN in an identity policy as if the missing fields were `*`.
  while (fields.length < 6) fields.push('*');
  const heads = fields.slice(1, 5).map((f) => parseTemplate(f, { wildcards: true, variables, lowerCase: true }));
  const resource = fields.slice(5).join(':');
  const service = (fields[2] as string).toLowerCase();
  let product = '';
  if (!(service === 's3' && fields[3] === '' && fields[4] === '')) {
    const slash = resource.indexOf('/');
    const colon = resource.indexOf(':');
    const cut = slash < 0 ? colon : colon < 0 ? slash : Math.min(slash, colon);
    product = resource.slice(0, cut + 1);
  }
  const rest = parseTemplate(resource.slice(product.length), { wildcards: true, variables });
  const fixedHeads = heads.every((h) => h.fixed !== undefined && !h.wild) ? heads.map((h) => h.fixed).join(':') : undefined;
  const fixedResource = rest.fixed !== undefined && !rest.wild ? product + rest.fixed : undefined;
  return { any: false, fixedHeads, fixedResource, heads, product, rest };
}

export interface RequestResource {
  arn: boolean;
  heads: string[];
  headKey: string;
  resource: string;
}

// Requests name the same few tables over and over: parse each ARN once.
const parsedResources = new Map<string, RequestResource>();

export function parseRequestResource(resource: string): RequestResource {
  const hit = parsedResources.get(resource);
  if (hit) return hit;
  const fields = resource.split(':');
  const parsed: RequestResource =
    fields[0] !== 'arn' || fields.length < 6
      ? { arn: false, heads: [], headKey: '', resource }
      : (() => {
          const heads = fields.slice(1, 5).map((f) => f.toLowerCase());
          return { arn: true, heads, headKey: heads.join(':'), resource: fields.slice(5).join(':') };
        })();
  if (parsedResources.size >= 10_000) parsedResources.clear();
  parsedResources.set(resource, parsed);
  return parsed;
}

export function resourceMatches(p: ResourcePattern, r: RequestResource, ctx: ContextMap): boolean {
  if (p.any) return true;
  if (!r.arn) return false;
  if (p.fixedHeads !== undefined) {
    if (p.fixedHeads !== r.headKey) return false;
    if (p.fixedResource !== undefined) return p.fixedResource === r.resource;
  } else {
    for (let i = 0; i < 4; i++) {
      const t = p.heads[i] as Template;
      const resolved = resolveTemplate(t, ctx, true);
      if (resolved === undefined || !matchResolved(resolved, t.wild, r.heads[i] as string)) return false;
    }
  }
  if (!r.resource.startsWith(p.product)) return false;
  const rest = p.rest as Template;
  const resolved = resolveTemplate(rest, ctx);
  return resolved !== undefined && matchResolved(resolved, rest.wild, p.product ? r.resource.slice(p.product.length) : r.resource);
}

function compilePrincipal(value: unknown): PrincipalMatcher {
  if (value === '*') return { any: true, byType: new Map() };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UnsupportedConstruct('a malformed Principal');
  const byType = new Map<string, string[]>();
  for (const [type, v] of Object.entries(value as Record<string, unknown>)) {
    const list = asArray(v);
    if (!list.every((x) => typeof x === 'string')) throw new UnsupportedConstruct('a non-string principal');
    if (!['AWS', 'Federated', 'Service'].includes(type)) throw new UnsupportedConstruct(`the principal type ${type}`);
    byType.set(type, list as string[]);
  }
  return { any: false, byType };
}

function accountOf(arn: string): string | undefined {
  const f = arn.split(':');
  return f[0] === 'arn' && f.length >= 6 ? f[4] : /^\d{12}$/.test(arn) ? arn : undefined;
}

export function principalMatches(m: PrincipalMatcher, p: { Federated?: string; AWS?: string; Service?: string }): boolean {
  if (m.any) return true;
  for (const [type, values] of m.byType) {
    const actual = type === 'AWS' ? p.AWS : type === 'Federated' ? p.Federated : p.Service;
    if (actual === undefined) continue;
    for (const v of values) {
      if (v === '*' || v === actual) return true;
      if (type !== 'AWS' && v.toLowerCase() === actual.toLowerCase()) return true;
      if (type === 'AWS') {
        const account = /^\d{12}$/.test(v) ? v : /^arn:[^:]+:iam::(\d{12}):root$/.exec(v)?.[1];
        if (account !== undefined && accountOf(actual) === account) return true;
      }
    }
  }
  return false;
}

const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function parseNumber(s: string): number | undefined {
  return NUMBER_RE.test(s.trim()) ? Number(s) : undefined;
}

export function parseDate(s: string): number | undefined {
  // Epoch values are seconds, as in AWS; everything else is W3C date-time.
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

function compileCondition(operator: string, key: string, raw: unknown, variables: boolean): CompiledCondition {
  let name = operator;
  let set: 0 | 1 | 2 = 0;
  const lower = operator.toLowerCase();
  if (lower.startsWith('forallvalues:')) {
    set = 1;
    name = operator.slice('ForAllValues:'.length);
  } else if (lower.startsWith('foranyvalue:')) {
    set = 2;
    name = operator.slice('ForAnyValue:'.length);
  }
  let ifExists = false;
  if (name.toLowerCase().endsWith('ifexists')) {
    ifExists = true;
    name = name.slice(0, -'IfExists'.length);
  }
  const op = OPERATORS[name.toLowerCase()];
  if (!op) throw new UnsupportedConstruct(`the condition operator ${operator}`);
  if (op.base === 'Null' && (set !== 0 || ifExists)) throw new UnsupportedConstruct(`the condition operator ${operator}`);
  const list = asArray(raw);
  if (list.length === 0) throw new UnsupportedConstruct(`an empty value list for ${operator} ${key}`);
  const values: CompiledValue[] = list.map((v) => {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new UnsupportedConstruct(`a non-scalar value for ${operator} ${key}`);
    const s = String(v);
    switch (op.base) {
      case 'StringLike':
        return { t: parseTemplate(s, { wildcards: true, variables }) };
      case 'StringEquals':
      case 'StringEqualsIgnoreCase':
      case 'Bool':
      case 'Null':
        return { t: parseTemplate(s, { wildcards: false, variables: variables && op.base !== 'Null' }) };
      case 'ArnLike': {
        const f = s.split(':');
        const arn = f.length >= 5 ? [...f.slice(1, 5), f.slice(5).join(':')].map((x) => parseTemplate(x, { wildcards: true, variables })) : undefined;
        return { t: parseTemplate(s, { wildcards: false, variables: false }), arn };
      }
      default:
        // Numeric and Date operators take no policy variables (AWS: string and ARN operators only).
        return {
          t: parseTemplate(s, { wildcards: false, variables: false }),
          num: op.base.startsWith('Numeric') ? parseNumber(s) : parseDate(s),
        };
    }
  });
  return { operator, key: key.toLowerCase(), base: op.base, negated: op.negated, set, ifExists, values };
}

function compileStatement(raw: unknown, index: number, kind: PolicyKind, variables: boolean): CompiledStatement {
  const st: CompiledStatement = {
    index,
    sid: undefined,
    effect: 'Deny',
    actions: undefined,
    notAction: false,
    resources: undefined,
    notResource: false,
    principal: undefined,
    conditions: [],
    unsupported: undefined,
    decided: new Map(),
  };
  try {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UnsupportedConstruct('a statement that is not an object');
    const s = raw as PolicyStatement & Record<string, unknown>;
    if (typeof s.Sid === 'string') st.sid = s.Sid;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new UnsupportedConstruct(`Effect ${JSON.stringify(s.Effect)}`);
    st.effect = s.Effect;
    if ((s.Action === undefined) === (s.NotAction === undefined)) throw new UnsupportedConstruct('a statement without exactly one of Action and NotAction');
    st.notAction = s.Action === undefined;
    st.actions = compileActions(s.Action ?? s.NotAction);
    if (kind === 'identity') {
      if (s.Principal !== undefined || s.NotPrincipal !== undefined) throw new UnsupportedConstruct('Principal in an identity-based policy');
      if ((s.Resource === undefined) === (s.NotResource === undefined))
        throw new UnsupportedConstruct('a statement without exactly one of Resource and NotResource');
      st.notResource = s.Resource === undefined;
      const list = asArray(s.Resource ?? s.NotResource);
      if (list.length === 0 || !list.every((r) => typeof r === 'string')) throw new UnsupportedConstruct('a malformed Resource');
      st.resources = (list as string[]).map((r) => compileResource(r, variables));
    } else {
      if (s.NotPrincipal !== undefined) throw new UnsupportedConstruct('NotPrincipal');
      if (s.Resource !== undefined || s.NotResource !== undefined) throw new UnsupportedConstruct('Resource in a trust policy');
      if (s.Principal === undefined) throw new UnsupportedConstruct('a trust policy statement without Principal');
      st.principal = compilePrincipal(s.Principal);
    }
    if (s.Condition !== undefined) {
      if (s.Condition === null || typeof s.Condition !== 'object' || Array.isArray(s.Condition)) throw new UnsupportedConstruct('a malformed Condition');
      for (const [op, keys] of Object.entries(s.Condition)) {
        if (keys === null || typeof keys !== 'object' || Array.isArray(keys)) throw new UnsupportedConstruct(`a malformed ${op} block`);
        for (const [key, value] of Object.entries(keys)) st.conditions.push(compileCondition(op, key, value, variables));
      }
    }
  } catch (err) {
    if (!(err instanceof UnsupportedConstruct)) throw err;
    st.unsupported = `Statement[${index}]${st.sid ? ` (${st.sid})` : ''}: ${err.message} is not supported`;
  }
  return st;
}

export function compile(doc: PolicyDocument, kind: PolicyKind): CompiledPolicy {
  const c = cache[kind].get(doc);
  if (c) return c;
  let compiled: CompiledPolicy;
  if (doc === null || typeof doc !== 'object' || doc.Statement === undefined || doc.Statement === null) {
    compiled = { statements: [], unsupported: 'a policy without Statement', byAction: new Map() };
  } else {
    const variables = doc.Version === '2012-10-17';
    compiled = {
      statements: asArray(doc.Statement).map((s, i) => compileStatement(s, i, kind, variables)),
      unsupported:
        doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17' && doc.Version !== undefined ? `Version ${JSON.stringify(doc.Version)}` : undefined,
      byAction: new Map(),
    };
  }
  if (typeof doc === 'object' && doc !== null) cache[kind].set(doc, compiled);
  return compiled;
}

/** Compiles (and caches) an identity-based policy or boundary; evaluate() does this itself. */
export function compilePolicy(doc: PolicyDocument): CompiledPolicy {
  return compile(doc, 'identity');
}
