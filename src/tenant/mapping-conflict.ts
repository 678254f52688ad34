// init's refusal when the config says token or ABAC mapping but the identity pool's entry for the
// user pool client is Rules with rules. Two different situations, two messages (one code,
// mapping_conflict, exit 4, nothing changed):
//   - the rules are isoctl's (they map to roles under /isoctl/<stack>/): a rules-mode stack being
//     switched; switching would drop its tenants' rules.
//   - some are not: another writer (Terraform, the CDK, a console edit) put them there. isoctl will
//     not overwrite rules it does not own (src/tenant/clobber.ts names the same writers).
import type { MappingRule, RoleMapping } from '../aws/apis.js';
import type { StackConfig } from '../config/schema.js';
import { stackPath } from '../config/schema.js';
import { RefusedError } from '../errors.js';
import { isStackRoleArn } from './resources/role.js';

const LIKELY_WRITERS =
  "most likely an infrastructure-as-code tool applying its own role mapping (Terraform's aws_cognito_identity_pool_roles_attachment with a mapping_rule, CDK's IdentityPoolRoleAttachment / AWS::Cognito::IdentityPoolRoleAttachment) or a console edit";

const describeRule = (r: MappingRule) => `${r.Claim} ${r.MatchType} ${JSON.stringify(r.Value)} -> ${r.RoleArn}`;

/** The refusal for a Rules entry with rules under a token or ABAC config. */
export function mappingConflict(config: StackConfig, key: string, entry: RoleMapping): RefusedError {
  const rules = entry.RulesConfiguration?.Rules ?? [];
  const foreign = rules.filter((r) => !isStackRoleArn(config, r.RoleArn));
  const ours = rules.length - foreign.length;
  if (foreign.length === 0)
    return new RefusedError(
      `the identity pool maps ${key} with ${rules.length} rule(s), but the config says "mapping": "${config.mapping}"; switching would drop those rules. Delete the rules-mode tenants first, or keep "mapping": "rules".`,
      'mapping_conflict',
      { writer: 'isoctl', rules: rules.length },
    );
  const path = stackPath(config.stack);
  return new RefusedError(
    `the identity pool maps ${key} with ${rules.length} rule(s), ${foreign.length === rules.length ? 'none' : `${foreign.length}`} of them ${foreign.length === rules.length ? "isoctl's" : "not isoctl's"} ` +
      `(their roles are not under ${path}): ${foreign.map(describeRule).join('; ')}. The config says "mapping": "${config.mapping}", which needs a Token entry there. ` +
      `Another writer of SetIdentityPoolRoles put these rules there, ${LIKELY_WRITERS}. isoctl will not overwrite rules it does not own; nothing was changed. ` +
      `Repair: remove those rules (or the whole Rules entry for ${key}) where they were written, or declare the entry as init writes it ` +
      `(Type Token, AmbiguousRoleResolution Deny; in Terraform a role_mapping block with type = "Token" and ambiguous_role_resolution = "Deny", see "Living beside Terraform and CDK" in the README), ` +
      `then run isoctl init again with administrator credentials.` +
      (ours > 0 ? ` The other ${ours} rule(s) are isoctl's rules-mode tenants': delete those tenants first, or keep "mapping": "rules".` : ''),
    'mapping_conflict',
    { writer: 'foreign', rules: rules.length, foreignRules: foreign },
  );
}
