// What AWS shows for one tenant right now: role, inline policies, mapping, probe user, silo tables.
// Reads only; the plan compares this with the desired state.
import type { AwsApis, GroupInfo, IdentityPoolRoles, MappingRule, RoleInfo, TableInfo, UserInfo } from '../aws/apis.js';
import { roleMappingKey } from '../aws/apis.js';
import type { StackConfig } from '../config/schema.js';
import { INLINE_POLICY_NAME } from '../policy/index.js';
import { roleName } from '../config/tenant-id.js';
import { probeUsername, tenantGroupName } from './names.js';

export type ObservedMapping =
  { kind: 'group'; group: GroupInfo | undefined } | { kind: 'rule'; rules: MappingRule[]; entryType: 'Token' | 'Rules' | undefined; mappingKey: string };

export interface ObservedTenant {
  tenant: string;
  role: RoleInfo | undefined;
  /** All inline policy names of the role (empty when the role is absent). */
  inlinePolicyNames: string[];
  /** isoctl's inline data policy as IAM returns it (parsed), undefined when absent. */
  dataPolicy: unknown;
  mapping: ObservedMapping;
  probe: { user: UserInfo | undefined; groups: string[] };
  /** With their tags when they exist (the silo-table ownership filter reads `isoctl:tenant`). */
  siloTables: Array<{ name: string; table: TableInfo | undefined; tags?: Record<string, string> | undefined }>;
}

/** The rules of the user pool client's entry in an identity pool's role configuration. */
export function rulesOf(roles: IdentityPoolRoles, key: string): MappingRule[] {
  return roles.RoleMappings[key]?.RulesConfiguration?.Rules ?? [];
}

export function mappingKeyOf(config: StackConfig): string {
  return roleMappingKey(config.region, config.userPoolId, config.userPoolClientId);
}

export interface ObserveOptions {
  /** Identity pool roles already read by the caller (list reads them once for every tenant). */
  poolRoles?: IdentityPoolRoles;
  /** Skip the probe user reads. */
  skipProbe?: boolean;
  /** ABAC: a tenant has no role and no identity-pool mapping of its own; those reads are skipped. */
  abac?: boolean;
}

export async function observeTenant(apis: AwsApis, config: StackConfig, tenant: string, opts: ObserveOptions = {}): Promise<ObservedTenant> {
  const name = roleName(config.stack, tenant);
  const rolePart = (async () => {
    if (opts.abac) return { role: undefined, inlinePolicyNames: [] as string[], dataPolicy: undefined };
    const role = await apis.iam.getRole(name);
    if (!role) return { role, inlinePolicyNames: [] as string[], dataPolicy: undefined };
    const [inlinePolicyNames, dataPolicy] = await Promise.all([
      apis.iam.listRolePolicies(name).catch((err: unknown) => {
        // The role may vanish between the two reads (a concurrent delete); treat it as no policies.
        if ((err as { kind?: string }).kind === 'not-found') return [] as string[];
        throw err;
      }),
      apis.iam.getRolePolicy(name, INLINE_POLICY_NAME),
    ]);
    return { role, inlinePolicyNames, dataPolicy };
  })();
  const mappingPart = (async (): Promise<ObservedMapping> => {
    if (opts.abac) return { kind: 'group', group: undefined };
    if (config.mapping === 'token') return { kind: 'group', group: await apis.cognitoIdp.getGroup(config.userPoolId, tenantGroupName(tenant)) };
    const key = mappingKeyOf(config);
    const roles = opts.poolRoles ?? (await apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId));
    return { kind: 'rule', rules: rulesOf(roles, key), entryType: roles.RoleMappings[key]?.Type, mappingKey: key };
  })();
  const probePart = (async () => {
    if (opts.skipProbe) return { user: undefined, groups: [] as string[] };
    const user = await apis.cognitoIdp.adminGetUser(config.userPoolId, probeUsername(tenant));
    const groups = user && config.mapping !== 'rules' ? await apis.cognitoIdp.adminListGroupsForUser(config.userPoolId, user.username) : [];
    return { user, groups };
  })();
  const siloPart = Promise.all(
    config.tables
      .filter((t) => t.model === 'silo')
      .map(async (t) => {
        const name = `${t.name}-${tenant}`;
        const table = await apis.dynamodb.describeTable(name);
        return { name, table, tags: table ? await apis.dynamodb.listTableTags(table.arn) : undefined };
      }),
  );
  const [r, mapping, probe, siloTables] = await Promise.all([rolePart, mappingPart, probePart, siloPart]);
  return { tenant, ...r, mapping, probe, siloTables };
}
