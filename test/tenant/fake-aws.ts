// An in-memory AWS behind the adapter interfaces, for fast unit tests of plan/reconcile/wait.
// It records every call (with a mutating flag) and can simulate propagation lag and faults.
// Data-plane decisions are a model (own tenant's partition and allowed attributes only), not
// IAM evaluation: the sandbox does the real thing in the end-to-end tests.
import { randomUUID } from 'node:crypto';
import type { AwsApis, GroupInfo, IdentityPoolRoles, KeyValue, Lease, PrincipalTagMap, RegistryRow, TableInfo, UserInfo } from '../../src/aws/apis.js';
import { AwsCallError } from '../../src/aws/errors.js';
import type { StackConfig } from '../../src/config/schema.js';

export interface FakeCall {
  service: string;
  operation: string;
  mutating: boolean;
  caller: string;
}

interface FakeRole {
  name: string;
  path: string;
  arn: string;
  roleId: string;
  createDate: string;
  trust: string;
  boundary: string | undefined;
  tags: Record<string, string>;
  policies: Map<string, string>;
  /** ARNs of attached managed policies (set by tests: isoctl never attaches any). */
  attached?: Set<string>;
}

interface FakePolicy {
  arn: string;
  name: string;
  path: string;
  tags: Record<string, string>;
  versions: Array<{ id: string; doc: string; isDefault: boolean; created: number }>;
  next: number;
}

function err(name: string, message: string): AwsCallError {
  return new AwsCallError('fake', name, Object.assign(new Error(message), { name }));
}

const MUTATING = /^(Create|Put|Delete|Update|Tag|Untag|Set|Attach|Detach|Admin(Create|Update|Set|Add|Delete|Remove|UserGlobalSignOut))/;

export class FakeAws {
  readonly calls: FakeCall[] = [];
  /** Actions SimulatePrincipalPolicy reports implicitDeny for (everything else: allowed). */
  readonly simulateDenied = new Set<string>();
  readonly roles = new Map<string, FakeRole>();
  readonly policies = new Map<string, FakePolicy>();
  readonly groups = new Map<string, GroupInfo>();
  readonly users = new Map<string, { sub: string; attributes: Record<string, string>; groups: Set<string>; password?: string; status: string }>();
  poolRoles: IdentityPoolRoles = { Roles: {}, RoleMappings: {} };
  /** App clients of the pool besides the configured one (ListUserPoolClients). */
  otherClients: Array<{ clientId: string; writeAttributes?: string[] | 'default' }> = [];
  /** The user pool has a pre token generation trigger (DescribeUserPool's LambdaConfig). */
  preTokenGeneration = false;
  tagMaps = new Map<string, PrincipalTagMap>();
  readonly tables = new Map<string, TableInfo>();
  /** Table ARN -> tags (CreateTable's Tags; tests may set others). */
  readonly tableTags = new Map<string, Record<string, string>>();
  readonly leases = new Map<string, Lease>();
  /** Registry rows by key (the lock table's other items). */
  readonly registryRows = new Map<string, RegistryRow>();
  /** S3 objects: "bucket/key" -> body. */
  readonly objects = new Map<string, string>();
  /** Issued credentials: access key -> the role and session it belongs to. */
  readonly sessions = new Map<string, { roleName: string; tenant: string; sub: string }>();
  /** Tokens: id token -> username. */
  private tokens = new Map<string, string>();
  private identities = new Map<string, string>();

  /** Simulated lag: how many more reads of each kind answer "not yet". */
  lag = { getRole: 0, getRolePolicy: 0, credentials: 0, dataDenied: 0 };
  /** CreationDate the scans report for groups and users. */
  createdAt = new Date(Date.now() - 2 * 3600_000).toISOString();
  /** Make every cross-tenant read succeed (a broken policy). */
  leak = false;
  /** Throw this error from the named operation once (then clear it). */
  failOnce = new Map<string, AwsCallError>();
  /** Answer GetIdentityPoolRoles with something else after a write (someone wrote without the lock). */
  tamperAfterSet = false;

  constructor(readonly config: StackConfig) {}

  mutatingCalls(): FakeCall[] {
    return this.calls.filter((c) => c.mutating);
  }

  private record(service: string, operation: string, caller: string): void {
    this.calls.push({ service, operation, mutating: MUTATING.test(operation), caller });
    const f = this.failOnce.get(operation);
    if (f) {
      this.failOnce.delete(operation);
      throw f;
    }
  }

  apis(caller = 'admin'): AwsApis {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const fake = this;
    const cfg = this.config;
    const acct = cfg.accountId;
    const rec = (service: string, op: string) => fake.record(service, op, caller);
    const roleInfo = (r: FakeRole, withTags: boolean) => ({
      name: r.name,
      arn: r.arn,
      path: r.path,
      roleId: r.roleId,
      createDate: r.createDate,
      description: undefined,
      trustPolicy: JSON.parse(r.trust),
      permissionsBoundaryArn: withTags ? r.boundary : undefined,
      tags: withTags ? { ...r.tags } : undefined,
    });
    const needRole = (name: string) => {
      const r = fake.roles.get(name);
      if (!r) throw err('NoSuchEntity', `The role with name ${name} cannot be found.`);
      return r;
    };
    const validJson = (doc: string) => {
      try {
        JSON.parse(doc);
      } catch {
        throw err('MalformedPolicyDocument', 'Syntax errors in policy.');
      }
    };
    const session = caller === 'admin' ? undefined : fake.sessions.get(caller);
    // Like DynamoDB: authorisation first (dataAccess), then a missing table is ResourceNotFoundException.
    const needTable = (table: string) => {
      if (!fake.tables.has(table)) throw err('ResourceNotFoundException', `Requested resource not found: Table: ${table} not found`);
    };

    const apis: AwsApis = {
      iam: {
        async simulatePrincipalPolicy(input) {
          rec('iam', 'SimulatePrincipalPolicy');
          return input.actions.flatMap((action) =>
            (input.resources ?? ['*']).map((resource) => ({
              action,
              resource,
              decision: fake.simulateDenied.has(action) ? ('implicitDeny' as const) : ('allowed' as const),
              matchedPolicies: [],
              missingContextValues: [],
            })),
          );
        },
        async createRole(input) {
          rec('iam', 'CreateRole');
          if (fake.roles.has(input.name)) throw err('EntityAlreadyExists', `Role with name ${input.name} already exists.`);
          validJson(input.trustPolicy);
          const r: FakeRole = {
            name: input.name,
            path: input.path,
            arn: `arn:aws:iam::${acct}:role${input.path}${input.name}`,
            roleId: `AROA${randomUUID().slice(0, 8).toUpperCase()}`,
            createDate: new Date().toISOString(),
            trust: input.trustPolicy,
            boundary: input.permissionsBoundaryArn,
            tags: { ...input.tags },
            policies: new Map(),
          };
          fake.roles.set(input.name, r);
          return roleInfo(r, true);
        },
        async getRole(name) {
          rec('iam', 'GetRole');
          if (fake.lag.getRole > 0) {
            fake.lag.getRole--;
            return undefined;
          }
          const r = fake.roles.get(name);
          return r && roleInfo(r, true);
        },
        async listStackRoles(stack) {
          rec('iam', 'ListRoles');
          return [...fake.roles.values()].filter((r) => r.path === `/isoctl/${stack}/`).map((r) => roleInfo(r, false));
        },
        async putRolePolicy(roleName, policyName, document) {
          rec('iam', 'PutRolePolicy');
          validJson(document);
          const role = needRole(roleName);
          const size = (t: string) => t.replace(/\s/g, '').length;
          let total = size(document);
          for (const [n, d] of role.policies) if (n !== policyName) total += size(d);
          if (total > 10_240) throw err('LimitExceeded', `Maximum policy size of 10240 bytes exceeded for role ${roleName}`);
          role.policies.set(policyName, document);
        },
        async getRolePolicy(roleName, policyName) {
          rec('iam', 'GetRolePolicy');
          if (fake.lag.getRolePolicy > 0) {
            fake.lag.getRolePolicy--;
            return undefined;
          }
          const doc = fake.roles.get(roleName)?.policies.get(policyName);
          return doc === undefined ? undefined : JSON.parse(doc);
        },
        async listRolePolicies(roleName) {
          rec('iam', 'ListRolePolicies');
          return [...needRole(roleName).policies.keys()];
        },
        async deleteRolePolicy(roleName, policyName) {
          rec('iam', 'DeleteRolePolicy');
          return fake.roles.get(roleName)?.policies.delete(policyName) ?? false;
        },
        async deleteRole(roleName) {
          rec('iam', 'DeleteRole');
          const r = fake.roles.get(roleName);
          if (!r) return false;
          if (r.policies.size > 0 || (r.attached?.size ?? 0) > 0) throw err('DeleteConflict', 'Cannot delete entity, must delete policies first.');
          fake.roles.delete(roleName);
          return true;
        },
        async listAttachedRolePolicies(roleName) {
          rec('iam', 'ListAttachedRolePolicies');
          return [...(needRole(roleName).attached ?? [])];
        },
        async detachRolePolicy(roleName, policyArn) {
          rec('iam', 'DetachRolePolicy');
          return fake.roles.get(roleName)?.attached?.delete(policyArn) ?? false;
        },
        async attachRolePolicy(roleName, policyArn) {
          rec('iam', 'AttachRolePolicy');
          const r = needRole(roleName);
          if (!fake.policies.has(policyArn)) throw err('NoSuchEntity', `Policy ${policyArn} does not exist or is not attachable.`);
          r.attached ??= new Set();
          if (r.attached.has(policyArn)) return;
          if (r.attached.size >= 10) throw err('LimitExceeded', 'Cannot exceed quota for PoliciesPerRole: 10');
          r.attached.add(policyArn);
        },
        async tagRole(roleName, tags) {
          rec('iam', 'TagRole');
          Object.assign(needRole(roleName).tags, tags);
        },
        async untagRole(roleName, keys) {
          rec('iam', 'UntagRole');
          const r = needRole(roleName);
          for (const k of keys) delete r.tags[k];
        },
        async listRoleTags(roleName) {
          rec('iam', 'ListRoleTags');
          return { ...needRole(roleName).tags };
        },
        async updateAssumeRolePolicy(roleName, document) {
          rec('iam', 'UpdateAssumeRolePolicy');
          validJson(document);
          needRole(roleName).trust = document;
        },
        async putRolePermissionsBoundary(roleName, arn) {
          rec('iam', 'PutRolePermissionsBoundary');
          needRole(roleName).boundary = arn;
        },
        async createPolicy(input) {
          rec('iam', 'CreatePolicy');
          const arn = `arn:aws:iam::${acct}:policy${input.path}${input.name}`;
          if (fake.policies.has(arn)) throw err('EntityAlreadyExists', `A policy called ${input.name} already exists.`);
          validJson(input.document);
          if (input.document.replace(/\s/g, '').length > 6_144) throw err('LimitExceeded', 'Cannot exceed quota for PolicySize: 6144');
          const p: FakePolicy = {
            arn,
            name: input.name,
            path: input.path,
            tags: { ...input.tags },
            versions: [{ id: 'v1', doc: input.document, isDefault: true, created: Date.now() }],
            next: 2,
          };
          fake.policies.set(arn, p);
          return { arn, name: p.name, path: p.path, defaultVersionId: 'v1', attachmentCount: 0, permissionsBoundaryUsageCount: 0, tags: p.tags };
        },
        async getPolicy(arn) {
          rec('iam', 'GetPolicy');
          const p = fake.policies.get(arn);
          if (!p) return undefined;
          return {
            arn,
            name: p.name,
            path: p.path,
            defaultVersionId: p.versions.find((v) => v.isDefault)?.id ?? 'v1',
            attachmentCount: 0,
            permissionsBoundaryUsageCount: 0,
            tags: p.tags,
          };
        },
        async getPolicyVersion(arn, versionId) {
          rec('iam', 'GetPolicyVersion');
          const v = fake.policies.get(arn)?.versions.find((x) => x.id === versionId);
          if (!v) throw err('NoSuchEntity', `Policy ${arn} version ${versionId} does not exist.`);
          return JSON.parse(v.doc);
        },
        async listPolicyVersions(arn) {
          rec('iam', 'ListPolicyVersions');
          return (fake.policies.get(arn)?.versions ?? []).map((v) => ({
            versionId: v.id,
            isDefault: v.isDefault,
            createDate: new Date(v.created).toISOString(),
          }));
        },
        async deletePolicyVersion(arn, versionId) {
          rec('iam', 'DeletePolicyVersion');
          const p = fake.policies.get(arn);
          if (p) p.versions = p.versions.filter((v) => v.id !== versionId);
        },
        async deletePolicy(arn) {
          rec('iam', 'DeletePolicy');
          const p = fake.policies.get(arn);
          if (!p) return false;
          if (p.versions.length > 1)
            throw err('DeleteConflict', "This policy has more than one version. Before you delete a policy, you must delete the policy's versions.");
          const inUse = [...fake.roles.values()].filter((r) => r.boundary === arn || r.attached?.has(arn)).length;
          if (inUse > 0) throw err('DeleteConflict', 'Cannot delete a policy attached to entities.');
          fake.policies.delete(arn);
          return true;
        },
        async createPolicyVersion(arn, document) {
          rec('iam', 'CreatePolicyVersion');
          if (document.replace(/\s/g, '').length > 6_144) throw err('LimitExceeded', 'Cannot exceed quota for PolicySize: 6144');
          const p = fake.policies.get(arn);
          if (!p) throw err('NoSuchEntity', `Policy ${arn} does not exist.`);
          let pruned: string | undefined;
          if (p.versions.length >= 5) {
            const oldest = p.versions.filter((v) => !v.isDefault)[0];
            if (oldest) {
              pruned = oldest.id;
              p.versions = p.versions.filter((v) => v !== oldest);
            }
          }
          for (const v of p.versions) v.isDefault = false;
          const id = `v${p.next++}`;
          p.versions.push({ id, doc: document, isDefault: true, created: Date.now() });
          return { versionId: id, pruned };
        },
      },
      sts: {
        async getCallerIdentity() {
          rec('sts', 'GetCallerIdentity');
          if (session) return { account: acct, arn: `arn:aws:sts::${acct}:assumed-role/${session.roleName}/CognitoIdentityCredentials`, userId: 'AROA:x' };
          return { account: acct, arn: `arn:aws:iam::${acct}:user/admin`, userId: 'AIDA' };
        },
      },
      cognitoIdp: {
        async describeUserPool(id) {
          rec('cognito-idp', 'DescribeUserPool');
          return id === cfg.userPoolId
            ? { id, name: 'pool', attributeNames: ['sub', 'email', 'custom:tenant'], preTokenGeneration: fake.preTokenGeneration }
            : undefined;
        },
        async listUserPoolClients(pool) {
          rec('cognito-idp', 'ListUserPoolClients');
          if (pool !== cfg.userPoolId) return [];
          return [
            { clientId: cfg.userPoolClientId, hasSecret: false, explicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH'] },
            ...fake.otherClients.map((c) => ({ ...c, hasSecret: false, explicitAuthFlows: [] })),
          ];
        },
        async describeUserPoolClient(pool, clientId) {
          rec('cognito-idp', 'DescribeUserPoolClient');
          return pool === cfg.userPoolId && clientId === cfg.userPoolClientId
            ? { clientId, hasSecret: false, explicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH'] }
            : undefined;
        },
        async createGroup(_pool, g) {
          rec('cognito-idp', 'CreateGroup');
          if (fake.groups.has(g.name)) throw err('GroupExistsException', 'A group with the name already exists.');
          const info = { name: g.name, roleArn: g.roleArn, description: g.description, precedence: g.precedence };
          fake.groups.set(g.name, info);
          return { ...info };
        },
        async getGroup(_pool, name) {
          rec('cognito-idp', 'GetGroup');
          const g = fake.groups.get(name);
          return g && { ...g };
        },
        async updateGroup(_pool, g) {
          rec('cognito-idp', 'UpdateGroup');
          const cur = fake.groups.get(g.name);
          if (!cur) throw err('ResourceNotFoundException', 'Group not found.');
          Object.assign(cur, { roleArn: g.roleArn, description: g.description });
        },
        async deleteGroup(_pool, name) {
          rec('cognito-idp', 'DeleteGroup');
          for (const u of fake.users.values()) u.groups.delete(name);
          return fake.groups.delete(name);
        },
        async listGroups() {
          rec('cognito-idp', 'ListGroups');
          return [...fake.groups.values()].map((g) => ({ ...g }));
        },
        async adminCreateUser(_pool, username, attributes) {
          rec('cognito-idp', 'AdminCreateUser');
          if (fake.users.has(username)) throw err('UsernameExistsException', 'User account already exists.');
          const sub = randomUUID();
          fake.users.set(username, { sub, attributes: { ...attributes, sub }, groups: new Set(), status: 'FORCE_CHANGE_PASSWORD' });
          return { username, sub, status: 'FORCE_CHANGE_PASSWORD', attributes: { ...attributes, sub } };
        },
        async adminGetUser(_pool, username): Promise<UserInfo | undefined> {
          rec('cognito-idp', 'AdminGetUser');
          const u = fake.users.get(username);
          return u && { username, sub: u.sub, status: u.status, attributes: { ...u.attributes } };
        },
        async adminUpdateUserAttributes(_pool, username, attributes) {
          rec('cognito-idp', 'AdminUpdateUserAttributes');
          const u = fake.users.get(username);
          if (!u) throw err('UserNotFoundException', 'User does not exist.');
          Object.assign(u.attributes, attributes);
        },
        async adminSetUserPassword(_pool, username, password) {
          rec('cognito-idp', 'AdminSetUserPassword');
          const u = fake.users.get(username);
          if (!u) throw err('UserNotFoundException', 'User does not exist.');
          u.password = password;
          u.status = 'CONFIRMED';
        },
        async adminAddUserToGroup(_pool, username, group) {
          rec('cognito-idp', 'AdminAddUserToGroup');
          const u = fake.users.get(username);
          if (!u) throw err('UserNotFoundException', 'User does not exist.');
          if (!fake.groups.has(group)) throw err('ResourceNotFoundException', 'Group not found.');
          u.groups.add(group);
        },
        async adminRemoveUserFromGroup(_pool, username, group) {
          rec('cognito-idp', 'AdminRemoveUserFromGroup');
          const u = fake.users.get(username);
          if (!u) throw err('UserNotFoundException', 'User does not exist.');
          u.groups.delete(group);
        },
        async adminListGroupsForUser(_pool, username) {
          rec('cognito-idp', 'AdminListGroupsForUser');
          return [...(fake.users.get(username)?.groups ?? [])];
        },
        async adminDeleteUser(_pool, username) {
          rec('cognito-idp', 'AdminDeleteUser');
          return fake.users.delete(username);
        },
        async listUsers() {
          rec('cognito-idp', 'ListUsers');
          return [...fake.users.entries()].map(([username, u]) => ({ username, sub: u.sub, status: 'CONFIRMED', attributes: { ...u.attributes } }));
        },
        async listUsersInGroup(_pool, group) {
          rec('cognito-idp', 'ListUsersInGroup');
          if (!fake.groups.has(group)) return undefined;
          return [...fake.users.entries()]
            .filter(([, u]) => u.groups.has(group))
            .map(([username, u]) => ({ username, sub: u.sub, status: 'CONFIRMED', attributes: { ...u.attributes } }));
        },
        async adminUserGlobalSignOut(_pool, username) {
          rec('cognito-idp', 'AdminUserGlobalSignOut');
          return fake.users.has(username);
        },
        async adminDisableUser(_pool, username) {
          rec('cognito-idp', 'AdminDisableUser');
          return fake.users.has(username);
        },
        async adminSignIn(_pool, _client, username, password) {
          rec('cognito-idp', 'AdminInitiateAuth');
          const u = fake.users.get(username);
          if (!u || u.password !== password) throw err('NotAuthorizedException', 'Incorrect username or password.');
          const payload = Buffer.from(JSON.stringify({ sub: u.sub, 'cognito:username': username, 'cognito:groups': [...u.groups], ...u.attributes })).toString(
            'base64url',
          );
          const idToken = `h.${payload}.${randomUUID()}`;
          fake.tokens.set(idToken, username);
          return { idToken };
        },
      },
      cognitoIdentity: {
        async describeIdentityPool(id) {
          rec('cognito-identity', 'DescribeIdentityPool');
          if (id !== cfg.identityPoolId) return undefined;
          return {
            id,
            name: 'pool',
            allowUnauthenticated: false,
            cognitoProviders: [{ providerName: `cognito-idp.${cfg.region}.amazonaws.com/${cfg.userPoolId}`, clientId: cfg.userPoolClientId }],
          };
        },
        async getIdentityPoolRoles() {
          rec('cognito-identity', 'GetIdentityPoolRoles');
          return structuredClone(fake.poolRoles);
        },
        async setIdentityPoolRoles(_id, roles) {
          rec('cognito-identity', 'SetIdentityPoolRoles');
          for (const m of Object.values(roles.RoleMappings)) {
            if (m.Type === 'Rules' && (m.RulesConfiguration?.Rules.length ?? 0) === 0) throw err('InvalidParameterException', 'at least 1 rule');
            if ((m.RulesConfiguration?.Rules.length ?? 0) > 25) throw err('InvalidParameterException', 'too many rules');
          }
          fake.poolRoles = structuredClone(roles);
          if (fake.tamperAfterSet) fake.poolRoles.Roles.authenticated = 'arn:aws:iam::000000000000:role/tampered';
        },
        async getPrincipalTagAttributeMap(_id, provider) {
          rec('cognito-identity', 'GetPrincipalTagAttributeMap');
          const m = fake.tagMaps.get(provider);
          return m && structuredClone(m);
        },
        async setPrincipalTagAttributeMap(_id, provider, map) {
          rec('cognito-identity', 'SetPrincipalTagAttributeMap');
          fake.tagMaps.set(provider, structuredClone(map));
        },
        async getId(_pool, _acct, logins) {
          rec('cognito-identity', 'GetId');
          const token = Object.values(logins)[0] ?? '';
          const username = fake.tokens.get(token);
          if (!username) throw err('NotAuthorizedException', 'Invalid login token.');
          const id = `${cfg.region}:${randomUUID()}`;
          fake.identities.set(id, username);
          return id;
        },
        async getCredentialsForIdentity(identityId, logins) {
          rec('cognito-identity', 'GetCredentialsForIdentity');
          const username = fake.tokens.get(Object.values(logins)[0] ?? '');
          if (!username || fake.identities.get(identityId) !== username) throw err('NotAuthorizedException', 'Invalid login token.');
          if (fake.lag.credentials > 0) {
            fake.lag.credentials--;
            throw err('InvalidIdentityPoolConfigurationException', 'Invalid identity pool configuration. Check assigned IAM roles for this pool.');
          }
          const user = fake.users.get(username);
          const key = fake.poolRoles.RoleMappings[`cognito-idp.${cfg.region}.amazonaws.com/${cfg.userPoolId}:${cfg.userPoolClientId}`];
          let roleArn: string | undefined;
          if (key?.Type === 'Token') {
            const g = [...(user?.groups ?? [])].map((n) => fake.groups.get(n)).find((x) => x?.roleArn);
            roleArn = g?.roleArn;
          } else if (key?.Type === 'Rules') {
            roleArn = key.RulesConfiguration?.Rules.find((r) => user?.attributes[r.Claim] === r.Value)?.RoleArn;
          }
          if (!roleArn)
            throw err('NotAuthorizedException', 'Unable to resolve a role for this identity: no rule matched the token, and AmbiguousRoleResolution is Deny.');
          const role = [...fake.roles.values()].find((r) => r.arn === roleArn);
          if (!role) throw err('InvalidIdentityPoolConfigurationException', 'Invalid identity pool configuration. Check assigned IAM roles for this pool.');
          const accessKeyId = `ASIA${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`;
          fake.sessions.set(accessKeyId, { roleName: role.name, tenant: role.tags['isoctl:tenant'] ?? '', sub: user?.sub ?? '' });
          return { accessKeyId, secretAccessKey: randomUUID(), sessionToken: randomUUID(), expiration: new Date(Date.now() + 3600_000).toISOString() };
        },
      },
      registry: {
        async get(table, key) {
          rec('dynamodb', 'GetItem');
          if (!fake.tables.has(table)) throw err('ResourceNotFoundException', 'Requested resource not found');
          const r = fake.registryRows.get(key);
          return r && structuredClone(r);
        },
        async put(table, key, row, expect) {
          rec('dynamodb', 'PutItem');
          if (!fake.tables.has(table)) throw err('ResourceNotFoundException', 'Requested resource not found');
          const cur = fake.registryRows.get(key);
          if ('absent' in expect ? cur !== undefined : cur?.version !== expect.version) return false;
          fake.registryRows.set(key, structuredClone(row));
          return true;
        },
        async remove(table, key, expect) {
          rec('dynamodb', 'DeleteItem');
          if (!fake.tables.has(table)) throw err('ResourceNotFoundException', 'Requested resource not found');
          const cur = fake.registryRows.get(key);
          if (expect && cur?.version !== expect.version) return false;
          fake.registryRows.delete(key);
          return true;
        },
        async scan(table, prefix) {
          rec('dynamodb', 'Scan');
          if (!fake.tables.has(table)) throw err('ResourceNotFoundException', 'Requested resource not found');
          const rows = [...fake.registryRows.entries()].filter(([k]) => k.startsWith(prefix)).map(([key, row]) => ({ key, row: structuredClone(row) }));
          return { rows, calls: 1 };
        },
      },
      dynamodb: {
        async describeTable(name) {
          rec('dynamodb', 'DescribeTable');
          const t = fake.tables.get(name);
          return t && { ...t };
        },
        async createTable(input) {
          rec('dynamodb', 'CreateTable');
          if (fake.tables.has(input.name)) throw err('ResourceInUseException', `Table already exists: ${input.name}`);
          const t: TableInfo = {
            name: input.name,
            arn: `arn:aws:dynamodb:${cfg.region}:${acct}:table/${input.name}`,
            status: 'ACTIVE',
            partitionKey: input.partitionKey,
            sortKey: input.sortKey,
          };
          fake.tables.set(input.name, t);
          fake.tableTags.set(t.arn, { ...input.tags });
          return { ...t };
        },
        async listTableTags(arn) {
          rec('dynamodb', 'ListTagsOfResource');
          const t = [...fake.tables.values()].find((x) => x.arn === arn);
          return t ? { ...(fake.tableTags.get(arn) ?? {}) } : undefined;
        },
        async deleteTable(name) {
          rec('dynamodb', 'DeleteTable');
          return fake.tables.delete(name);
        },
        async tryAcquireLease(table, lease, now) {
          rec('dynamodb', 'PutItem');
          if (!fake.tables.has(table)) throw err('ResourceNotFoundException', 'Requested resource not found');
          const cur = fake.leases.get(lease.lockId);
          if (cur && cur.expiresAt >= now && cur.owner !== lease.owner) return { ...cur };
          fake.leases.set(lease.lockId, { ...lease });
          return undefined;
        },
        async releaseLease(_table, lockId, owner) {
          rec('dynamodb', 'DeleteItem');
          if (fake.leases.get(lockId)?.owner !== owner) return false;
          fake.leases.delete(lockId);
          return true;
        },
        async getLease(_table, lockId) {
          rec('dynamodb', 'GetItem');
          const l = fake.leases.get(lockId);
          return l && { ...l };
        },
        async query(input) {
          rec('dynamodb', 'Query');
          dataAccess(input.table, [input.keyValue], input.attributes ?? []);
          needTable(input.table);
          return 0;
        },
        async getItem(table, key, attributes) {
          rec('dynamodb', 'GetItem');
          dataAccess(table, [Object.values(key)[0] as KeyValue], attributes ?? []);
          needTable(table);
          return false;
        },
        async batchGetItem(table, keys, attributes) {
          rec('dynamodb', 'BatchGetItem');
          dataAccess(
            table,
            keys.map((k) => Object.values(k)[0] as KeyValue),
            attributes ?? [],
          );
          needTable(table);
          return 0;
        },
      },
      s3: {
        async headBucket(bucket) {
          rec('s3', 'HeadBucket');
          return cfg.buckets.some((b) => b.name === bucket);
        },
        async createBucket() {
          rec('s3', 'CreateBucket');
        },
        async putObject(bucket, key, body) {
          rec('s3', 'PutObject');
          objectAccess(bucket, key);
          fake.objects.set(`${bucket}/${key}`, body);
          return { etag: '"fake"' };
        },
        async getObject(bucket, key) {
          rec('s3', 'GetObject');
          objectAccess(bucket, key);
          const body = fake.objects.get(`${bucket}/${key}`);
          return body === undefined ? undefined : Buffer.from(body);
        },
        async deleteObject(bucket, key) {
          rec('s3', 'DeleteObject');
          objectAccess(bucket, key);
          fake.objects.delete(`${bucket}/${key}`);
        },
        async listObjects(input) {
          rec('s3', 'ListObjectsV2');
          objectAccess(input.bucket, input.prefix ?? '', 'list');
          const prefix = `${input.bucket}/${input.prefix ?? ''}`;
          const keys = [...fake.objects.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(input.bucket.length + 1));
          return { keys, commonPrefixes: [], nextToken: undefined };
        },
      },
      // The stack-wide scans over the same state (test/ops/fake-ops.ts sets the dates for gc's age rules).
      scans: {
        async listRolesUnderPath(prefix) {
          rec('iam', 'ListRoles');
          return [...fake.roles.values()].filter((r) => r.path.startsWith(prefix)).map((r) => roleInfo(r, false));
        },
        async listGroupsWithDates() {
          rec('cognito-idp', 'ListGroups');
          return [...fake.groups.values()].map((g) => ({ ...g, createDate: fake.createdAt }));
        },
        async listUsersByPrefix(_pool, prefix) {
          rec('cognito-idp', 'ListUsers');
          return [...fake.users.entries()]
            .filter(([n]) => n.startsWith(prefix))
            .map(([username, u]) => ({ username, sub: u.sub, status: u.status, attributes: { ...u.attributes }, createDate: fake.createdAt }));
        },
        async getAccountSummary() {
          rec('iam', 'GetAccountSummary');
          return { Roles: fake.roles.size, RolesQuota: 1000 };
        },
      },
      target: { region: cfg.region, endpoint: undefined },
      withCredentials(credentials) {
        return fake.apis(credentials.accessKeyId);
      },
      close() {},
    };

    /** A model of isoctl's bucket statements: a session reaches only keys (and list prefixes) under its tenant's prefix. */
    function objectAccess(bucket: string, key: string, kind: 'object' | 'list' = 'object'): void {
      if (!session || fake.leak) return;
      const b = cfg.buckets.find((x) => x.name === bucket);
      const prefix = b ? b.prefix.split('{tenant}').join(session.tenant) : undefined;
      if (prefix === undefined || !key.startsWith(prefix))
        throw err(
          'AccessDenied',
          `User: arn:aws:sts::${acct}:assumed-role/${session.roleName}/x is not authorized to perform: s3:${kind === 'list' ? 'ListBucket' : 'GetObject'}`,
        );
    }

    function dataAccess(table: string, keys: KeyValue[], attributes: string[]): void {
      if (!session) return;
      const deny = () => {
        throw err(
          'AccessDeniedException',
          `User: arn:aws:sts::${acct}:assumed-role/${session.roleName}/x is not authorized to perform: dynamodb:Query on resource: ${table}`,
        );
      };
      if (fake.lag.dataDenied > 0) {
        fake.lag.dataDenied--;
        deny();
      }
      if (fake.leak) return;
      const own = cfg.granularity === 'user' ? session.sub : session.tenant;
      const tc = cfg.tables.find((t) => t.name === table || table === `${t.name}-${session.tenant}`);
      if (!tc) deny();
      if (tc?.model === 'silo') {
        if (table !== `${tc.name}-${session.tenant}`) deny();
        return;
      }
      if (keys.some((k) => ('S' in k ? k.S : '') !== own)) deny();
      if (tc?.attributes && attributes.some((a) => !tc.attributes!.includes(a))) deny();
    }

    return apis;
  }
}
