// ABAC mode ("mapping": "abac"): the denied session is one of the shared scope roles
// `isoctl-<stack>-<scope>`, so the role names no tenant; the tenant is the session's principal tag
// `isoctl-tenant`, which the identity pool maps from the tenant claim. The causes, in order:
//   - the tag never reached the session: the identity pool's principal-tag map lacks it, the
//     user's ID token has no tenant claim, or the app client cannot read the claim (the second
//     seed's first cause: a principal tag the policy reads is missing);
//   - the tag names another tenant than the key the request used (a user of one tenant reaching
//     another's rows, or a user filed under the wrong tenant);
//   - the tenant is shut out on purpose: deleted, suspended or revoked (isoctl's deny lists keyed on
//     the tag, src/policy/deny-list.ts: the inline lists and the managed overflow policies).
// Pure: the caller reads the role, the map and whether the app client reads the claim.
import type { StackConfig } from '../../config/schema.js';
import { TENANT_ID_PATTERN } from '../../config/tenant-id.js';
import {
  DENY_INLINE_POLICY_NAMES,
  TAG_SCOPE,
  TENANT_PIN_TAG,
  buildScopeRoles,
  evaluate,
  readDenyEntries,
  type ContextValue,
  type DenyKind,
  type EvalResult,
} from '../../policy/index.js';
import { cause, type Cause } from './causes.js';
import { asDoc, type ExplainInput, type RoleSnapshot } from './model.js';

const DENY_NAMES = new Set(Object.values(DENY_INLINE_POLICY_NAMES));

/** The scope a role serves, when it is one of the stack's ABAC scope roles; undefined otherwise. */
export function abacScopeOf(config: StackConfig | undefined, role: { name: string; tags: Record<string, string> }): string | undefined {
  if (config?.mapping !== 'abac') return undefined;
  const spec = buildScopeRoles(config).find((s) => s.roleName === role.name);
  return spec && (role.tags[TAG_SCOPE] === undefined || role.tags[TAG_SCOPE] === spec.scope) ? spec.scope : undefined;
}

export interface AbacAnalysis {
  scope: string;
  /** The session's tenant tag, when a fact tells it. */
  sessionTenant: string | undefined;
  /** The tenant whose data the request reached (its partition key or silo table), when known. */
  keyTenant: string | undefined;
  /** The tenant the analysis is about: the session's, else the key's. */
  tenant: string | undefined;
  evaluation: { decision: EvalResult['decision']; reason: string | null; context: Record<string, ContextValue> } | null;
  causes: Cause[];
}

function keyTenantOf(input: ExplainInput): string | undefined {
  const { config, denial: d, facts } = input;
  if (!config) return undefined;
  const silo = d.table ? config.tables.find((t) => t.model === 'silo' && d.table!.startsWith(`${t.name}-`)) : undefined;
  if (silo) {
    const id = d.table!.slice(silo.name.length + 1);
    return TENANT_ID_PATTERN.test(id) ? id : undefined;
  }
  if (config.granularity !== 'tenant') return undefined;
  const k = facts.leadingKeys?.length === 1 ? facts.leadingKeys[0] : undefined;
  return k !== undefined && TENANT_ID_PATTERN.test(k) ? k : undefined;
}

export function analyzeAbacDenial(input: ExplainInput, role: RoleSnapshot, scope: string): AbacAnalysis {
  const { config, facts, denial: d } = input;
  const claim = config?.tenantClaim ?? 'custom:tenant';
  const map = input.principalTagMap;
  const mapClaim = map.known ? map.tags?.[TENANT_PIN_TAG] : undefined;
  const mapLacksTag = map.known && mapClaim !== claim;
  const tokenTenant = facts.tokenClaims ? facts.tokenClaims[claim] : undefined;
  const tokenHasClaim = typeof tokenTenant === 'string' && tokenTenant !== '';
  const sessionTenant =
    facts.sessionTags !== undefined ? facts.sessionTags[TENANT_PIN_TAG] : tokenHasClaim && !mapLacksTag ? (tokenTenant as string) : undefined;
  const keyTenant = keyTenantOf(input);
  const tenant = sessionTenant ?? keyTenant;
  const username = typeof facts.tokenClaims?.['cognito:username'] === 'string' ? (facts.tokenClaims['cognito:username'] as string) : '<username>';
  const causes: Cause[] = [];
  const missingDetail = `The scope role ${role.name} serves every tenant; its policy reads the tenant from \${aws:PrincipalTag/${TENANT_PIN_TAG}}, which the identity pool sets from the ID token's ${claim} claim. Without it no key and no silo table matches (and the role's trust refuses to issue a session without the tag, so credentials obtained before the change are the ones failing).`;

  // 1. The tag never reached the session (the second seed's first cause).
  if (mapLacksTag)
    causes.push(
      cause(
        'principal-tag-map-missing',
        'certain',
        `the identity pool does not map the claim ${claim} to the principal tag ${TENANT_PIN_TAG}`,
        `The identity pool's principal-tag map for the user pool is ${map.tags ? JSON.stringify(map.tags) : 'missing'}. ${missingDetail}`,
        {
          command: 'isoctl init',
          action: `Run init with administrator credentials (the admin step, \`isoctl policy render <any-tenant> --kind admin\`; the operator policy has no SetPrincipalTagAttributeMap): it sets ${TENANT_PIN_TAG} <- ${claim}. If another tool (Terraform, CDK) rewrote the map, fix it there too, or it will undo init (isoctl doctor names it).`,
        },
        1,
      ),
    );
  if (facts.tokenClaims !== undefined && !tokenHasClaim)
    causes.push(
      cause(
        'principal-tag-missing',
        'certain',
        input.clientReadsClaim === false ? `the ID token has no ${claim} claim: the app client cannot read it` : `the user's ID token has no ${claim} claim`,
        input.clientReadsClaim === false
          ? `An ID token carries only the attributes the app client may read; ${claim} is not among its ReadAttributes. ${missingDetail}`
          : `The user was never given a tenant (or it was removed). ${missingDetail}`,
        input.clientReadsClaim === false
          ? {
              action: `Add ${claim} to the app client's ReadAttributes (aws cognito-idp update-user-pool-client --user-pool-id ${config?.userPoolId ?? '<pool>'} --client-id ${config?.userPoolClientId ?? '<client>'} --read-attributes <the current ones> ${claim}); the user signs in again.`,
            }
          : {
              command: `isoctl user add <tenant> ${username}`,
              action: `Give the user its tenant through the admin API (isoctl user add, or user move for an existing user of another tenant); the user signs in again to get a token with the claim.`,
            },
        1,
      ),
    );
  else if (input.clientReadsClaim === false)
    causes.push(
      cause(
        'principal-tag-missing',
        'certain',
        `the app client cannot read ${claim}: ID tokens carry no tenant`,
        `An ID token carries only the attributes the app client may read; ${claim} is not among its ReadAttributes. ${missingDetail}`,
        {
          action: `Add ${claim} to the app client's ReadAttributes (aws cognito-idp update-user-pool-client --user-pool-id ${config?.userPoolId ?? '<pool>'} --client-id ${config?.userPoolClientId ?? '<client>'} --read-attributes <the current ones> ${claim}); users sign in again.`,
        },
        1,
      ),
    );
  else if (facts.sessionTags !== undefined && sessionTenant === undefined)
    causes.push(
      cause('principal-tag-missing', 'certain', `the session carries no ${TENANT_PIN_TAG} tag`, missingDetail, {
        command: 'isoctl doctor',
        action: `Check the identity pool's principal-tag map (${TENANT_PIN_TAG} <- ${claim}), the user's ${claim} claim and the app client's ReadAttributes: doctor checks all three.`,
      }),
    );

  // 2. The tag names another tenant than the data the request reached.
  if (sessionTenant !== undefined && keyTenant !== undefined && sessionTenant !== keyTenant)
    causes.push(
      cause(
        'principal-tag-wrong',
        'certain',
        `the session's tenant is ${JSON.stringify(sessionTenant)}, the request reaches tenant ${JSON.stringify(keyTenant)}'s data`,
        `The scope role allows a key or silo table only when it equals \${aws:PrincipalTag/${TENANT_PIN_TAG}} = ${JSON.stringify(sessionTenant)} (from the user's ${claim} claim). Either the application used another tenant's key, or the user is filed under the wrong tenant.`,
        {
          action: `Use the signed-in user's tenant (${sessionTenant}) as the key. If the user belongs to ${keyTenant}: \`isoctl user move ${username} ${keyTenant}\` (an administrator's write; the user signs in again).`,
        },
        1,
      ),
    );

  // 3. The tenant shut out on purpose: tombstone (deleted), suspension or revocation denies keyed on the tag.
  const context: Record<string, ContextValue> = { 'aws:PrincipalArn': role.arn, 'aws:PrincipalType': 'AssumedRole' };
  if (d.accountId) context['aws:PrincipalAccount'] = d.accountId;
  if (tenant !== undefined) context[`aws:PrincipalTag/${TENANT_PIN_TAG}`] = tenant;
  for (const [k, v] of Object.entries(role.tags)) if (k !== TENANT_PIN_TAG) context[`aws:PrincipalTag/${k}`] = v;
  if (facts.leadingKeys && facts.leadingKeys.length > 0) context['dynamodb:LeadingKeys'] = facts.leadingKeys;
  else if (tenant !== undefined && config?.granularity === 'tenant' && d.table && !keyTenantFromSilo(input)) context['dynamodb:LeadingKeys'] = [tenant];
  // isoctl's deny lists on the scope role (src/policy/deny-list.ts), as IAM shows them now.
  const mine = [
    ...Object.entries(role.inlinePolicies)
      .filter(([n]) => DENY_NAMES.has(n))
      .map(([, doc]) => doc),
    ...Object.values(input.managedDenyLists ?? {}),
  ]
    .flatMap((doc) => readDenyEntries(asDoc(doc)))
    .filter((e) => tenant !== undefined && e.tenant === tenant);
  const where = (kind: DenyKind) => `${DENY_INLINE_POLICY_NAMES[kind]} on ${role.name}`;
  if (tenant !== undefined && mine.some((e) => e.kind === 'deleted'))
    causes.push(
      cause(
        'tenant-deleted',
        'certain',
        `tenant ${tenant} was deleted: the tombstone (${where('deleted')}) denies its sessions`,
        `tenant delete leaves a Deny keyed on ${TENANT_PIN_TAG}=${tenant} on every scope role, because the deleted tenant's users still hold ID tokens that buy fresh credentials.`,
        {
          action: `The user's tenant is gone: move it to a live tenant (\`isoctl user move ${username} <tenant>\`) or remove it (\`isoctl user remove ${username}\`). The tombstone stays until no user carries ${claim}=${tenant} and the longest token lifetime has passed.`,
        },
      ),
    );
  else if (tenant !== undefined && mine.some((e) => e.kind === 'suspended'))
    causes.push(
      cause(
        'tenant-suspended',
        'certain',
        `tenant ${tenant} is suspended: ${where('suspended')} denies its sessions`,
        `tenant suspend puts ${tenant} in a Deny keyed on ${TENANT_PIN_TAG} on every scope role; it covers every session of the tenant, old and new, until resume.`,
        { command: `isoctl tenant resume ${tenant}`, action: 'Resume the tenant if the suspension is over (--wait data proves the probe is allowed again).' },
      ),
    );
  else if (tenant !== undefined && mine.some((e) => e.kind === 'revoked'))
    causes.push(
      cause(
        'tenant-revoked',
        'likely',
        `tenant ${tenant}'s sessions issued before ${mine
          .filter((e) => e.kind === 'revoked')
          .map((e) => e.issuedBefore)
          .sort()
          .pop()} are denied (${where('revoked')})`,
        'tenant revoke-sessions denies credentials of the tenant issued before its moment (aws:TokenIssueTime); credentials obtained after it work. Whether these credentials are older is not in the message.',
        { action: 'Sign in again for fresh credentials (a revoked refresh token needs a new sign-in).' },
      ),
    );

  const data = Object.entries(role.inlinePolicies).map(([, v]) => asDoc(v));
  const now = evaluate({ action: d.action, resource: d.resource, context, identityPolicies: data });
  if (causes.length === 0) {
    if (tenant === undefined)
      causes.push(
        cause(
          'principal-tag-missing',
          'possible',
          `which tenant the session carries is not known: a missing or wrong ${TENANT_PIN_TAG} tag is the likely cause`,
          `${missingDetail} Give --id-token (the user's claims), --principal-tag ${TENANT_PIN_TAG}=<value> or --key <partition key> to decide.`,
          {
            command: 'isoctl doctor',
            action: `Check the map ${TENANT_PIN_TAG} <- ${claim}, the app client's ReadAttributes and the user's claim (doctor checks the first two).`,
          },
          1,
        ),
      );
    else if (now.decision === 'Allow')
      causes.push(
        cause(
          'allowed-now',
          'possible',
          `the scope role allows it now for tenant ${tenant}`,
          'What denied it has changed since (a resumed tenant, a repaired policy), or the request differed from what the facts given say.',
          {
            action: 'Retry the request; if it is denied again, give explain the request (--request) and the ID token (--id-token).',
          },
        ),
      );
  }
  return {
    scope,
    sessionTenant,
    keyTenant,
    tenant,
    evaluation: { decision: now.decision, reason: now.reason ?? null, context },
    causes,
  };
}

function keyTenantFromSilo(input: ExplainInput): boolean {
  const t = input.denial.table;
  return t !== undefined && (input.config?.tables.some((x) => x.model === 'silo' && t.startsWith(`${x.name}-`)) ?? false);
}
