// What `init` (and `doctor`) must refuse in the account around the documents, because the
// documents cannot make up for it (#11 vectors 1, 2 and 5). Pure: the callers read the account.
import type { StackConfig } from '../config/schema.js';
import { indexKeyVerdict, isPartitioned } from './indexes.js';

export interface AccountProblem {
  code:
    | 'classic-flow'
    | 'claim-writable'
    | 'claim-unreadable'
    | 'index-not-tenant-keyed'
    | 'claim-writable-elsewhere'
    | 'default-role-isoctl'
    | 'foreign-mapping-isoctl';
  message: string;
  fix: string;
}

/** `'default'`: AWS's set when the client lists none, the standard attributes only (no `custom:`). */
export type AttributeList = string[] | 'default';

function inList(list: AttributeList, attribute: string): boolean {
  return list === 'default' ? !attribute.startsWith('custom:') : list.includes(attribute);
}

/**
 * The identity pool's basic flow lets any signed-in user call GetOpenIdToken and then
 * AssumeRoleWithWebIdentity on ANY role that trusts the pool; no trust-policy condition tells
 * the flows apart (docs/security.md row 2), so the flow must be off.
 */
export function classicFlowProblem(config: StackConfig, allowClassicFlow: boolean | undefined): AccountProblem | undefined {
  if (allowClassicFlow !== true) return undefined;
  return {
    code: 'classic-flow',
    message: `identity pool ${config.identityPoolId} allows the basic (classic) flow: any signed-in user of any tenant can call GetOpenIdToken and AssumeRoleWithWebIdentity on another tenant's role`,
    fix: `turn it off: aws cognito-identity update-identity-pool --identity-pool-id ${config.identityPoolId} --no-allow-classic-flow (with the pool's other settings), then run init again`,
  };
}

/** In rules mode the tenant comes from a token claim: the app client must be able to read it and must not let users write it. */
export function tenantClaimProblems(
  config: StackConfig,
  client: { clientId: string; readAttributes?: AttributeList; writeAttributes?: AttributeList },
): AccountProblem[] {
  if (config.mapping !== 'rules' && config.mapping !== 'abac') return [];
  const claim = config.tenantClaim;
  const out: AccountProblem[] = [];
  if (client.writeAttributes !== undefined && inList(client.writeAttributes, claim))
    out.push({
      code: 'claim-writable',
      message: `app client ${client.clientId} lets users write ${claim} (WriteAttributes): a user could set it to another tenant's id and get that tenant's role`,
      fix: `remove ${claim} from the client's WriteAttributes (aws cognito-idp update-user-pool-client --user-pool-id ${config.userPoolId} --client-id ${client.clientId} --write-attributes <the others>); only administrators set it (isoctl user add)`,
    });
  if (client.readAttributes !== undefined && !inList(client.readAttributes, claim))
    out.push({
      code: 'claim-unreadable',
      message: `app client ${client.clientId} cannot read ${claim} (ReadAttributes${client.readAttributes === 'default' ? " unset: AWS's default set has no custom attribute" : ''}): it is not in the ID token, so no rule can match and nobody gets a role`,
      fix: `add ${claim} to the client's ReadAttributes (aws cognito-idp update-user-pool-client --user-pool-id ${config.userPoolId} --client-id ${client.clientId} --read-attributes <the current ones> ${claim})`,
    });
  return out;
}

/**
 * A user's attributes are the user's, not the app client's: a signed-in user may call
 * UpdateUserAttributes with an access token from ANY app client of the pool, and that client's
 * WriteAttributes decide. So one other client that can write the claim lets a user set it to another
 * tenant's id and then sign in through the configured client with the new claim (#11 vector 5, by
 * way of a second client: docs/security.md row 5b).
 */
export function otherClientClaimProblems(
  config: StackConfig,
  clients: Array<{ clientId: string; writeAttributes?: AttributeList | undefined }>,
): AccountProblem[] {
  if (config.mapping !== 'rules' && config.mapping !== 'abac') return [];
  const claim = config.tenantClaim;
  return clients
    .filter((c) => c.clientId !== config.userPoolClientId && c.writeAttributes !== undefined && inList(c.writeAttributes, claim))
    .map((c) => ({
      code: 'claim-writable-elsewhere' as const,
      message: `app client ${c.clientId} of user pool ${config.userPoolId} lets users write ${claim} (WriteAttributes): a user signs in through it, sets the claim to another tenant's id with UpdateUserAttributes, then signs in through ${config.userPoolClientId} as that tenant`,
      fix: `remove ${claim} from that client's WriteAttributes (aws cognito-idp update-user-pool-client --user-pool-id ${config.userPoolId} --client-id ${c.clientId} --write-attributes <the others>), or delete the client; only administrators set the claim (isoctl user add)`,
    }));
}

/** An isoctl role of any stack (`arn:aws:iam::<account>:role/isoctl/<stack>/<name>`). */
export function isIsoctlRoleArn(arn: string): boolean {
  return /^arn:aws[a-z-]*:iam::\d{12}:role\/isoctl\//.test(arn);
}

/**
 * Who else the identity pool hands isoctl's roles to. The roles trust any authenticated identity of
 * the pool (the trust sees `aud` and `amr`, not the provider), so the pool's own configuration
 * decides: a default authenticated (or guest) role that is an isoctl role goes to every identity the
 * mapping does not place, whatever its provider; a mapping entry of another provider that names an
 * isoctl role gives it to that provider's users, whose claims isoctl does not govern.
 */
export function roleReachProblems(
  config: StackConfig,
  roles: {
    Roles: Record<string, string>;
    RoleMappings: Record<string, { Type: string; RulesConfiguration?: { Rules: Array<{ RoleArn: string }> } | undefined }>;
  },
  ownKey: string,
): AccountProblem[] {
  const out: AccountProblem[] = [];
  // The guest (unauthenticated) role cannot be an isoctl role's way in: their trust requires amr "authenticated".
  for (const [kind, arn] of Object.entries(roles.Roles))
    if (kind === 'authenticated' && isIsoctlRoleArn(arn))
      out.push({
        code: 'default-role-isoctl',
        message: `identity pool ${config.identityPoolId}'s default ${kind} role is ${arn}, an isoctl role: every identity the role mapping does not place (another provider's users, a token no rule matches) gets it`,
        fix: `set the default ${kind} role to a role that reaches no tenant data, or none (aws cognito-identity set-identity-pool-roles with the pool's current mappings and a different Roles.${kind})`,
      });
  for (const [key, entry] of Object.entries(roles.RoleMappings)) {
    if (key === ownKey) continue;
    const named = (entry.RulesConfiguration?.Rules ?? []).map((r) => r.RoleArn).filter(isIsoctlRoleArn);
    if (named.length > 0)
      out.push({
        code: 'foreign-mapping-isoctl',
        message: `identity pool ${config.identityPoolId} maps provider ${key} to isoctl role(s) ${[...new Set(named)].join(', ')}: that provider's users get a tenant's credentials through claims isoctl does not govern`,
        fix: `remove those rules from the mapping of ${key} (isoctl's roles are for ${ownKey} only)`,
      });
  }
  return out;
}

/** Listed indexes whose partition key, as DescribeTable shows it, is not the tenant (user) key. */
export function observedIndexProblems(config: StackConfig, tableName: string, observed: Record<string, string>): AccountProblem[] {
  const table = config.tables.find((t) => t.name === tableName);
  if (!table || !isPartitioned(config, table)) return [];
  const out: AccountProblem[] = [];
  for (const index of table.indexes) {
    const key = observed[index];
    if (key === undefined) continue;
    if (indexKeyVerdict({ partitionKey: table.partitionKey, indexKeys: { [index]: key } }, index) === 'tenant-keyed') continue;
    out.push({
      code: 'index-not-tenant-keyed',
      message: `index ${index} of table ${tableName} is partitioned on ${key}, not on ${table.partitionKey}: for an index query dynamodb:LeadingKeys is the index's partition key, so a tenant could read rows other tenants wrote with ${key} = <its id>`,
      fix: `re-key the index on ${table.partitionKey} (and declare it: { "name": "${index}", "partitionKey": "${table.partitionKey}" }), or remove ${index} from tables[].indexes of ${table.name}`,
    });
  }
  return out;
}
