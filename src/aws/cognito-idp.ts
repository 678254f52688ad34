// Cognito User Pools, narrowed to isoctl's needs: tenant groups (token mapping), probe users
// and their sign-in. Passwords handed to this module are never logged or returned.
import { createHmac } from 'node:crypto';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { AwsClients } from './clients.js';
import { call, orUndefined } from './call.js';

export interface GroupInfo {
  name: string;
  roleArn: string | undefined;
  description: string | undefined;
  precedence: number | undefined;
  /** Epoch ms of CreationDate, when the API returned it. */
  createdAt?: number | undefined;
}

export interface UserInfo {
  username: string;
  /** The `sub` attribute. */
  sub: string | undefined;
  status: string | undefined;
  attributes: Record<string, string>;
  /** Epoch ms of UserCreateDate, when the API returned it. */
  createdAt?: number | undefined;
}

export interface UserPoolInfo {
  id: string;
  name: string | undefined;
  /** Attribute names of the schema, custom ones with their `custom:` prefix. */
  attributeNames: string[];
  /** A pre token generation Lambda trigger is configured: it can add, change or remove ID-token claims. */
  preTokenGeneration?: boolean | undefined;
}

export interface UserPoolClientInfo {
  clientId: string;
  hasSecret: boolean;
  explicitAuthFlows: string[];
  /**
   * Attributes the client may read into ID tokens / write for its users; 'default' = AWS's default
   * set (standard attributes only, no custom:). Absent: not read.
   */
  readAttributes?: string[] | 'default';
  writeAttributes?: string[] | 'default';
  /**
   * How long the client's ID tokens live, in seconds: IdTokenValidity in TokenValidityUnits.IdToken,
   * whose documented default unit is hours (TokenValidityUnitsType). Absent: not returned.
   */
  idTokenSeconds?: number | undefined;
}

export interface CognitoIdpApi {
  describeUserPool(userPoolId: string): Promise<UserPoolInfo | undefined>;
  describeUserPoolClient(userPoolId: string, clientId: string): Promise<UserPoolClientInfo | undefined>;
  /** Every app client of the pool, described (ListUserPoolClients, all pages, then DescribeUserPoolClient each). */
  listUserPoolClients(userPoolId: string): Promise<UserPoolClientInfo[]>;
  createGroup(userPoolId: string, group: { name: string; roleArn: string; description: string; precedence?: number }): Promise<GroupInfo>;
  getGroup(userPoolId: string, name: string): Promise<GroupInfo | undefined>;
  updateGroup(userPoolId: string, group: { name: string; roleArn: string; description: string; precedence?: number }): Promise<void>;
  /** false when it was already gone. */
  deleteGroup(userPoolId: string, name: string): Promise<boolean>;
  /** Every group of the pool (all pages). */
  listGroups(userPoolId: string, opts?: { pageSize?: number }): Promise<GroupInfo[]>;
  /** Creates a user with no usable password and no invitation message. */
  adminCreateUser(userPoolId: string, username: string, attributes: Record<string, string>): Promise<UserInfo>;
  adminGetUser(userPoolId: string, username: string): Promise<UserInfo | undefined>;
  adminUpdateUserAttributes(userPoolId: string, username: string, attributes: Record<string, string>): Promise<void>;
  adminSetUserPassword(userPoolId: string, username: string, password: string): Promise<void>;
  adminAddUserToGroup(userPoolId: string, username: string, group: string): Promise<void>;
  adminListGroupsForUser(userPoolId: string, username: string): Promise<string[]>;
  adminRemoveUserFromGroup(userPoolId: string, username: string, group: string): Promise<void>;
  /** false when it was already gone. */
  adminDeleteUser(userPoolId: string, username: string): Promise<boolean>;
  /** Every user of the pool with its attributes (all pages; ListUsers cannot filter on custom attributes). */
  listUsers(userPoolId: string): Promise<UserInfo[]>;
  /** Every member of a group (all pages); undefined when the group does not exist. */
  listUsersInGroup(userPoolId: string, group: string): Promise<UserInfo[] | undefined>;
  /** AdminUserGlobalSignOut: revokes the user's refresh and access tokens (ID tokens live on). false when the user is gone. */
  adminUserGlobalSignOut(userPoolId: string, username: string): Promise<boolean>;
  /** Disables the user (no sign-in, no refresh; AWS also revokes its access tokens). false when the user is gone. */
  adminDisableUser(userPoolId: string, username: string): Promise<boolean>;
  /** ADMIN_USER_PASSWORD_AUTH; returns the id token. Adds SECRET_HASH when the client has a secret. */
  /** The user's tokens (refresh and access tokens too, for callers that test sign-out). */
  adminSignIn(
    userPoolId: string,
    clientId: string,
    username: string,
    password: string,
  ): Promise<{ idToken: string; accessToken?: string; refreshToken?: string }>;
}

export function cognitoIdpApi(clients: AwsClients): CognitoIdpApi {
  type Sdk = typeof import('@aws-sdk/client-cognito-identity-provider');
  let sdkP: Promise<[Sdk, CognitoIdentityProviderClient]> | undefined;
  const sdk = () => (sdkP ??= Promise.all([import('@aws-sdk/client-cognito-identity-provider'), clients.cognitoIdp()]));
  const run = async <T>(operation: string, fn: (m: Sdk, c: CognitoIdentityProviderClient) => Promise<T>): Promise<T> => {
    const [m, c] = await sdk();
    return call('cognito-idp', operation, () => fn(m, c));
  };
  type SdkGroup = import('@aws-sdk/client-cognito-identity-provider').GroupType;
  const toGroup = (g: SdkGroup | undefined): GroupInfo => ({
    name: g?.GroupName ?? '',
    roleArn: g?.RoleArn,
    description: g?.Description,
    precedence: g?.Precedence,
    createdAt: g?.CreationDate ? new Date(g.CreationDate).getTime() : undefined,
  });
  const toUser = (
    username: string,
    attrs: Array<{ Name?: string | undefined; Value?: string | undefined }> | undefined,
    status: string | undefined,
  ): UserInfo => {
    const attributes: Record<string, string> = {};
    for (const a of attrs ?? []) if (a.Name) attributes[a.Name] = a.Value ?? '';
    return { username, sub: attributes.sub, status, attributes };
  };
  const attrList = (attributes: Record<string, string>) => Object.entries(attributes).map(([Name, Value]) => ({ Name, Value }));
  const clientSecrets = new Map<string, Promise<string | undefined>>();

  const describeUserPoolClient = (userPoolId: string, clientId: string) =>
    orUndefined(
      run('DescribeUserPoolClient', async (m, c) => {
        const res = await c.send(new m.DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }));
        const cl = res.UserPoolClient;
        return {
          clientId: cl?.ClientId ?? clientId,
          hasSecret: Boolean(cl?.ClientSecret),
          explicitAuthFlows: (cl?.ExplicitAuthFlows ?? []).map(String),
          readAttributes: cl?.ReadAttributes && cl.ReadAttributes.length > 0 ? cl.ReadAttributes : ('default' as const),
          writeAttributes: cl?.WriteAttributes && cl.WriteAttributes.length > 0 ? cl.WriteAttributes : ('default' as const),
          idTokenSeconds: validitySeconds(cl?.IdTokenValidity, cl?.TokenValidityUnits?.IdToken),
          secret: cl?.ClientSecret,
        };
      }),
    );

  return {
    describeUserPool: (userPoolId) =>
      orUndefined(
        run('DescribeUserPool', async (m, c) => {
          const res = await c.send(new m.DescribeUserPoolCommand({ UserPoolId: userPoolId }));
          const p = res.UserPool;
          return {
            id: p?.Id ?? userPoolId,
            name: p?.Name,
            attributeNames: (p?.SchemaAttributes ?? []).map((a) => a.Name ?? '').filter(Boolean),
            preTokenGeneration: Boolean(p?.LambdaConfig?.PreTokenGeneration ?? p?.LambdaConfig?.PreTokenGenerationConfig?.LambdaArn),
          };
        }),
      ),
    describeUserPoolClient: async (userPoolId, clientId) => {
      const r = await describeUserPoolClient(userPoolId, clientId);
      return (
        r && {
          clientId: r.clientId,
          hasSecret: r.hasSecret,
          explicitAuthFlows: r.explicitAuthFlows,
          readAttributes: r.readAttributes,
          writeAttributes: r.writeAttributes,
          idTokenSeconds: r.idTokenSeconds,
        }
      );
    },
    listUserPoolClients: async (userPoolId) => {
      const ids: string[] = [];
      let next: string | undefined;
      do {
        const page = await run('ListUserPoolClients', (m, c) =>
          c.send(new m.ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60, NextToken: next })),
        );
        for (const cl of page.UserPoolClients ?? []) if (cl.ClientId) ids.push(cl.ClientId);
        next = page.NextToken;
      } while (next);
      const described = await Promise.all(ids.map((id) => describeUserPoolClient(userPoolId, id)));
      return described
        .filter((d): d is NonNullable<typeof d> => d !== undefined)
        .map((r) => ({
          clientId: r.clientId,
          hasSecret: r.hasSecret,
          explicitAuthFlows: r.explicitAuthFlows,
          readAttributes: r.readAttributes,
          writeAttributes: r.writeAttributes,
        }));
    },
    createGroup: (userPoolId, g) =>
      run('CreateGroup', async (m, c) => {
        const res = await c.send(
          new m.CreateGroupCommand({ UserPoolId: userPoolId, GroupName: g.name, RoleArn: g.roleArn, Description: g.description, Precedence: g.precedence }),
        );
        return toGroup(res.Group);
      }),
    getGroup: (userPoolId, name) =>
      orUndefined(run('GetGroup', async (m, c) => toGroup((await c.send(new m.GetGroupCommand({ UserPoolId: userPoolId, GroupName: name }))).Group))),
    updateGroup: (userPoolId, g) =>
      run('UpdateGroup', async (m, c) => {
        await c.send(
          new m.UpdateGroupCommand({ UserPoolId: userPoolId, GroupName: g.name, RoleArn: g.roleArn, Description: g.description, Precedence: g.precedence }),
        );
      }),
    deleteGroup: async (userPoolId, name) =>
      (await orUndefined(
        run('DeleteGroup', async (m, c) => {
          await c.send(new m.DeleteGroupCommand({ UserPoolId: userPoolId, GroupName: name }));
          return true;
        }),
      )) ?? false,
    listGroups: (userPoolId, opts) =>
      run('ListGroups', async (m, c) => {
        const out: GroupInfo[] = [];
        let token: string | undefined;
        do {
          const res = await c.send(new m.ListGroupsCommand({ UserPoolId: userPoolId, NextToken: token, Limit: opts?.pageSize ?? 60 }));
          for (const g of res.Groups ?? []) out.push(toGroup(g));
          token = res.NextToken || undefined;
        } while (token);
        return out;
      }),
    adminCreateUser: (userPoolId, username, attributes) =>
      run('AdminCreateUser', async (m, c) => {
        const res = await c.send(
          new m.AdminCreateUserCommand({ UserPoolId: userPoolId, Username: username, MessageAction: 'SUPPRESS', UserAttributes: attrList(attributes) }),
        );
        return toUser(res.User?.Username ?? username, res.User?.Attributes, res.User?.UserStatus);
      }),
    adminGetUser: (userPoolId, username) =>
      orUndefined(
        run('AdminGetUser', async (m, c) => {
          const res = await c.send(new m.AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }));
          return {
            ...toUser(res.Username ?? username, res.UserAttributes, res.UserStatus),
            createdAt: res.UserCreateDate ? new Date(res.UserCreateDate).getTime() : undefined,
          };
        }),
      ),
    adminUpdateUserAttributes: (userPoolId, username, attributes) =>
      run('AdminUpdateUserAttributes', async (m, c) => {
        await c.send(new m.AdminUpdateUserAttributesCommand({ UserPoolId: userPoolId, Username: username, UserAttributes: attrList(attributes) }));
      }),
    adminSetUserPassword: (userPoolId, username, password) =>
      run('AdminSetUserPassword', async (m, c) => {
        await c.send(new m.AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: username, Password: password, Permanent: true }));
      }),
    adminAddUserToGroup: (userPoolId, username, group) =>
      run('AdminAddUserToGroup', async (m, c) => {
        await c.send(new m.AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: group }));
      }),
    adminRemoveUserFromGroup: (userPoolId, username, group) =>
      run('AdminRemoveUserFromGroup', async (m, c) => {
        await c.send(new m.AdminRemoveUserFromGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: group }));
      }),
    adminListGroupsForUser: (userPoolId, username) =>
      run('AdminListGroupsForUser', async (m, c) => {
        const out: string[] = [];
        let token: string | undefined;
        do {
          const res = await c.send(new m.AdminListGroupsForUserCommand({ UserPoolId: userPoolId, Username: username, NextToken: token, Limit: 60 }));
          for (const g of res.Groups ?? []) if (g.GroupName) out.push(g.GroupName);
          token = res.NextToken || undefined;
        } while (token);
        return out;
      }),
    adminDeleteUser: async (userPoolId, username) =>
      (await orUndefined(
        run('AdminDeleteUser', async (m, c) => {
          await c.send(new m.AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: username }));
          return true;
        }),
      )) ?? false,
    listUsers: (userPoolId) =>
      run('ListUsers', async (m, c) => {
        const out: UserInfo[] = [];
        let token: string | undefined;
        do {
          const res = await c.send(new m.ListUsersCommand({ UserPoolId: userPoolId, Limit: 60, PaginationToken: token }));
          for (const u of res.Users ?? []) out.push(toUser(u.Username ?? '', u.Attributes, u.UserStatus));
          token = res.PaginationToken;
        } while (token);
        return out;
      }),
    listUsersInGroup: (userPoolId, group) =>
      orUndefined(
        run('ListUsersInGroup', async (m, c) => {
          const out: UserInfo[] = [];
          let token: string | undefined;
          do {
            const res = await c.send(new m.ListUsersInGroupCommand({ UserPoolId: userPoolId, GroupName: group, Limit: 60, NextToken: token }));
            for (const u of res.Users ?? []) out.push(toUser(u.Username ?? '', u.Attributes, u.UserStatus));
            token = res.NextToken || undefined;
          } while (token);
          return out;
        }),
      ),
    adminUserGlobalSignOut: async (userPoolId, username) =>
      (await orUndefined(
        run('AdminUserGlobalSignOut', async (m, c) => {
          await c.send(new m.AdminUserGlobalSignOutCommand({ UserPoolId: userPoolId, Username: username }));
          return true;
        }),
      )) ?? false,
    adminDisableUser: async (userPoolId, username) =>
      (await orUndefined(
        run('AdminDisableUser', async (m, c) => {
          await c.send(new m.AdminDisableUserCommand({ UserPoolId: userPoolId, Username: username }));
          return true;
        }),
      )) ?? false,
    adminSignIn: async (userPoolId, clientId, username, password) => {
      const key = `${userPoolId}/${clientId}`;
      let secretP = clientSecrets.get(key);
      if (!secretP) {
        secretP = describeUserPoolClient(userPoolId, clientId).then(
          (r) => r?.secret,
          () => undefined,
        );
        clientSecrets.set(key, secretP);
      }
      const secret = await secretP;
      const params: Record<string, string> = { USERNAME: username, PASSWORD: password };
      if (secret)
        params.SECRET_HASH = createHmac('sha256', secret)
          .update(username + clientId)
          .digest('base64');
      return run('AdminInitiateAuth', async (m, c) => {
        const res = await c.send(
          new m.AdminInitiateAuthCommand({ UserPoolId: userPoolId, ClientId: clientId, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: params }),
        );
        const idToken = res.AuthenticationResult?.IdToken;
        if (!idToken)
          throw Object.assign(new Error(`sign-in of ${username} returned no id token (challenge ${res.ChallengeName ?? 'none'})`), {
            name: 'NotAuthorizedException',
          });
        const { AccessToken: accessToken, RefreshToken: refreshToken } = res.AuthenticationResult ?? {};
        return { idToken, ...(accessToken ? { accessToken } : {}), ...(refreshToken ? { refreshToken } : {}) };
      });
    },
  };
}

const UNIT_SECONDS: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86_400 };

/** A token validity in seconds; the unit defaults to hours, as AWS documents for ID and access tokens. */
function validitySeconds(value: number | undefined, unit: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return value * (UNIT_SECONDS[unit ?? 'hours'] ?? 3600);
}
