// What `init` (and `doctor`) must refuse in the account around the documents, because the
// documents cannot make up for it (#11 vectors 1, 2 and 5). Pure: the callers read the account.
import type { StackConfig } from '../config/schema.js';
import { indexKeyVerdict, isPartitioned } from './indexes.js';

export interface AccountProblem {
  code: 'classic-flow' | 'claim-writable' | 'claim-unreadable' | 'index-not-tenant-keyed';
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
