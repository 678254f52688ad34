// "Did another writer replace the identity pool's role configuration?" SetIdentityPoolRoles
// replaces the whole configuration, and isoctl's lease cannot stop a writer that does not take it:
// a Terraform aws_cognito_identity_pool_roles_attachment or a CDK IdentityPoolRoleAttachment
// re-applied after `tenant create` removes isoctl's entry (token mode: every tenant is dead) or
// its rules (rules mode). ABAC mode has one Token entry for the whole stack and a principal-tag
// map (SetPrincipalTagAttributeMap replaces it too): losing either shuts every tenant out.
// Decided once here for `doctor` and `tenant list --deep`.
import type { IdentityPoolRoles, PrincipalTagMap, RoleInfo } from '../aws/apis.js';
import { principalTagAttributeMap } from '../policy/index.js';
import type { StackConfig } from '../config/schema.js';
import { mappingKeyOf, rulesOf } from './observe.js';
import { role as roleResource, rule as ruleResource } from './resources/index.js';
import { PROPAGATION_MS } from './resources/orphans.js';

export interface Clobber {
  /** Tenants (with a role) that no longer reach it through the identity pool. */
  tenants: string[];
  /** What the pool shows now, in one line. */
  found: string;
  /** The likely cause, named. */
  cause: string;
  /** The command that repairs it. */
  command: string;
  action: string;
}

export const CLOBBER_CAUSE =
  "another writer of SetIdentityPoolRoles replaced the identity pool's whole role configuration without isoctl's entries, most likely an infrastructure-as-code tool re-applying its own: Terraform's aws_cognito_identity_pool_roles_attachment or CDK's IdentityPoolRoleAttachment (AWS::Cognito::IdentityPoolRoleAttachment)";

const STOP_IT =
  'Then stop the other writer from undoing it: drop the role attachment from Terraform/CDK, or keep it with `lifecycle { ignore_changes = [role_mapping] }` (examples/terraform/README.md).';

/** The admin step: the operator policy has no SetIdentityPoolRoles / SetPrincipalTagAttributeMap in token and ABAC mode (docs/security.md row 4c). */
const ADMIN_STEP =
  'the admin step, `isoctl policy render <any-tenant> --kind admin`; as the operator init refuses with exit 4, mapping_needs_admin or principal_tags_need_admin';

export const TAG_MAP_CLOBBER_CAUSE =
  "another writer of SetPrincipalTagAttributeMap replaced the identity pool's principal-tag map for the user pool, most likely an infrastructure-as-code tool re-applying its own: Terraform's aws_cognito_identity_pool_provider_principal_tag or a CDK/CloudFormation principal-tag setting, or a console edit";

function describeEntry(roles: IdentityPoolRoles, key: string): string {
  const entry = roles.RoleMappings[key];
  if (!entry)
    return `no role mapping for ${key} (${Object.keys(roles.RoleMappings).length} other entr${Object.keys(roles.RoleMappings).length === 1 ? 'y' : 'ies'})`;
  return `a ${entry.Type} mapping for ${key}${entry.Type === 'Rules' ? ` with ${rulesOf(roles, key).length} rule(s)` : ''}`;
}

/**
 * The tenants whose mapping entry or rule is gone while their role is there, when the shape of
 * the pool's configuration says another writer did it; undefined when nothing is missing.
 */
export function detectClobber(config: StackConfig, poolRoles: IdentityPoolRoles, stackRoles: RoleInfo[], now: number): Clobber | undefined {
  // ABAC's roles are per scope, not per tenant: not decided here.
  if (config.mapping !== 'token' && config.mapping !== 'rules') return undefined;
  const key = mappingKeyOf(config);
  const entry = poolRoles.RoleMappings[key];
  const withRole = stackRoles
    .map((r) => ({ tenant: roleResource.tenantOfRoleName(config, r.name), created: r.createDate ? Date.parse(r.createDate) : undefined }))
    .filter((x): x is { tenant: string; created: number | undefined } => x.tenant !== undefined);
  if (withRole.length === 0) return undefined;
  const found = describeEntry(poolRoles, key);
  if (config.mapping === 'token') {
    if (entry?.Type === 'Token') return undefined;
    return {
      tenants: withRole.map((x) => x.tenant).sort(),
      found,
      cause: CLOBBER_CAUSE,
      command: 'isoctl init',
      action: `Run init with administrator credentials (${ADMIN_STEP}): it writes the Token entry (AmbiguousRoleResolution Deny) back, keeping every other entry; until then no user of any tenant gets credentials. ${STOP_IT}`,
    };
  }
  const ruled = new Set(
    rulesOf(poolRoles, key)
      .filter((r) => ruleResource.owned(config, r).owned)
      .map((r) => r.Value),
  );
  const missing = withRole.filter((x) => !ruled.has(x.tenant));
  if (missing.length === 0) return undefined;
  // The whole Rules entry gone, or none of isoctl's rules left: a wholesale replacement, whatever
  // the roles' age. Only some rules missing: a half-finished create looks the same while young.
  const wholesale = entry?.Type !== 'Rules' || ruled.size === 0;
  const tenants = (wholesale ? missing : missing.filter((x) => x.created === undefined || now - x.created >= PROPAGATION_MS)).map((x) => x.tenant).sort();
  if (tenants.length === 0) return undefined;
  return {
    tenants,
    found,
    cause: wholesale ? CLOBBER_CAUSE : `${CLOBBER_CAUSE}; or a tenant create that stopped between the role and the rule`,
    command: `isoctl tenant create ${tenants.join(' ')}`,
    action: `Re-run tenant create for ${tenants.length === 1 ? 'this tenant' : 'these tenants'} (or apply): it puts the rules back under the lock, keeping every other entry. ${STOP_IT}`,
  };
}

/**
 * ABAC mode (one Token entry and one principal-tag map for the whole stack): once init has made the
 * scope roles, a missing or non-Token entry, or a principal-tag map other than the config's, was
 * written by someone else. Every tenant is affected; `tenants` lists the ones the caller knows.
 */
export function detectAbacClobber(
  config: StackConfig,
  poolRoles: IdentityPoolRoles,
  tagMap: PrincipalTagMap | undefined,
  initialised: boolean,
  tenants: string[],
): Clobber | undefined {
  if (config.mapping !== 'abac' || !initialised) return undefined;
  const key = mappingKeyOf(config);
  const entry = poolRoles.RoleMappings[key];
  const want = principalTagAttributeMap(config);
  const mapOk =
    tagMap !== undefined &&
    !tagMap.useDefaults &&
    Object.keys(want).length === Object.keys(tagMap.principalTags).length &&
    Object.entries(want).every(([k, v]) => tagMap.principalTags[k] === v);
  const entryOk = entry?.Type === 'Token';
  if (entryOk && mapOk) return undefined;
  const found = [
    ...(entryOk ? [] : [describeEntry(poolRoles, key)]),
    ...(mapOk
      ? []
      : [
          `the principal-tag map ${tagMap ? `${JSON.stringify(tagMap.principalTags)}${tagMap.useDefaults ? ' (defaults)' : ''}` : 'unset'}, not ${JSON.stringify(want)}`,
        ]),
  ].join(' and ');
  const cause = [...(entryOk ? [] : [CLOBBER_CAUSE]), ...(mapOk ? [] : [TAG_MAP_CLOBBER_CAUSE])].join('; and ');
  return {
    tenants: [...tenants].sort(),
    found,
    cause,
    command: 'isoctl init',
    action: `Run init with administrator credentials (${ADMIN_STEP}): it writes ${entryOk ? '' : 'the Token entry (AmbiguousRoleResolution Deny) back, keeping every other entry, '}${mapOk ? '' : `${entryOk ? '' : 'and '}the principal-tag map ${JSON.stringify(want)} `}for the user pool provider; until then no user of any tenant gets scope-role credentials${entryOk ? '' : " (or, with no entry, the pool's default authenticated role, which carries no tenant)"}. ${STOP_IT.replace('[role_mapping]', mapOk ? '[role_mapping]' : '[role_mapping] (and the principal-tag resource)')}`,
  };
}
