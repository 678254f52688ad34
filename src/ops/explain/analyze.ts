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
// Each cause family lives in its own file (causes-principal, -static, -state, -request, -signin,
// -timing); this file runs them in order and picks the primary cause.
import { byCauseOrder, type Cause } from './causes.js';
import { abacScopeOf, analyzeAbacDenial } from './causes-abac.js';
import { ownershipOf, principalCause, roleMissingCause } from './causes-principal.js';
import { signInCauses } from './causes-signin.js';
import { requestSideCauses } from './causes-request.js';
import { stateSideCauses } from './causes-state.js';
import { STATIC_CAUSES, staticRequestCauses } from './causes-static.js';
import { nothingDeniesCauses } from './causes-timing.js';
import { tenantOfRole, type ExplainInput, type ExplainResult } from './model.js';
import { buildAnalysis } from './request.js';

export { PLACEHOLDER_SUB, PROPAGATION_WINDOW_MS, tenantOfRole } from './model.js';
export type { ExplainInput, ExplainResult, PrincipalTagMapView, RoleSnapshot } from './model.js';

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

  const early = principalCause(d, config);
  if (early) return result(early, []);
  const scope = role ? abacScopeOf(config, role) : undefined;
  const tenant = scope === undefined ? tenantOfRole(d.roleName, role?.tags, config) : undefined;
  if (!role) return result(roleMissingCause(d, tenant), [], { tenant: tenant ?? null });
  // ABAC: a shared scope role names no tenant; the session's principal tag does.
  if (scope !== undefined) {
    const abac = analyzeAbacDenial(input, role, scope);
    const [primary, ...rest] = [...abac.causes].sort(byCauseOrder) as [Cause, ...Cause[]];
    return result(primary, rest, {
      tenant: abac.tenant ?? null,
      role: {
        name: role.name,
        arn: role.arn,
        createDate: role.createDate ?? null,
        ageSeconds: role.createDate ? Math.round((input.at - Date.parse(role.createDate)) / 1000) : null,
        managedByStack: true,
        inlinePolicies: Object.keys(role.inlinePolicies).sort(),
        boundaryArn: role.boundaryArn ?? null,
        tags: role.tags,
      },
      evaluation: abac.evaluation,
    });
  }

  const a = buildAnalysis(input, role, tenant);
  const ownership = ownershipOf(config, role);
  const roleView: ExplainResult['role'] = {
    name: role.name,
    arn: role.arn,
    createDate: role.createDate ?? null,
    ageSeconds: a.ageMs === undefined ? null : Math.round(a.ageMs / 1000),
    managedByStack: ownership.managed,
    inlinePolicies: Object.keys(role.inlinePolicies).sort(),
    boundaryArn: role.boundaryArn ?? null,
    tags: role.tags,
  };
  const found: Cause[] = ownership.cause ? [ownership.cause] : [];
  const now = a.run(a.actual, a.observed);
  const evaluation = { decision: now.decision, reason: now.reason ?? null, context: a.contextOf(a.actual, a.observed) };
  const extra = { tenant: tenant ?? null, role: roleView, evaluation, facts: { given: facts.sources, assumed: a.assumed } };

  found.push(...staticRequestCauses(a));
  if (!found.some((c) => STATIC_CAUSES.includes(c.id))) {
    const state = stateSideCauses(a);
    found.push(...state.found);
    found.push(...requestSideCauses(a, state.fixed));
  }
  found.push(...signInCauses(a));
  const possible = nothingDeniesCauses(a, now, found);
  found.sort(byCauseOrder);
  const [primary, ...rest] = found as [Cause, ...Cause[]];
  return result(primary, [...rest, ...possible], extra);
}
