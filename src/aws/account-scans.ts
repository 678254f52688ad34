// The reads `gc` and `doctor` need beyond the tenant adapters: one ListRoles scan over every
// isoctl stack, groups and probe users with their creation dates, and the account's IAM
// summary (quotas). Pagination and error classification stay here, like the other adapters.
import type { IAMClient } from '@aws-sdk/client-iam';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { AwsClients } from './clients.js';
import { call, decodePolicyDocument, tagRecord } from './call.js';
import type { RoleInfo } from './iam.js';
import type { GroupInfo, UserInfo } from './cognito-idp.js';

export interface DatedGroup extends GroupInfo {
  createDate: string | undefined;
}

export interface DatedUser extends UserInfo {
  createDate: string | undefined;
}

export interface AccountScansApi {
  /** Every role whose path starts with `pathPrefix`: one paginated ListRoles scan (ListRoles returns no tags or boundary). */
  listRolesUnderPath(pathPrefix: string, opts?: { pageSize?: number }): Promise<RoleInfo[]>;
  /** Every group of the pool with its CreationDate (all pages). */
  listGroupsWithDates(userPoolId: string): Promise<DatedGroup[]>;
  /** Users whose username starts with `prefix` (ListUsers with a `username ^= "prefix"` filter, all pages). */
  listUsersByPrefix(userPoolId: string, prefix: string): Promise<DatedUser[]>;
  /** GetAccountSummary's SummaryMap (Roles, RolesQuota, Policies, ...). */
  getAccountSummary(): Promise<Record<string, number>>;
}

export function accountScansApi(clients: AwsClients): AccountScansApi {
  type IamSdk = typeof import('@aws-sdk/client-iam');
  type IdpSdk = typeof import('@aws-sdk/client-cognito-identity-provider');
  let iamP: Promise<[IamSdk, IAMClient]> | undefined;
  let idpP: Promise<[IdpSdk, CognitoIdentityProviderClient]> | undefined;
  const iam = async <T>(operation: string, fn: (m: IamSdk, c: IAMClient) => Promise<T>): Promise<T> => {
    const [m, c] = await (iamP ??= Promise.all([import('@aws-sdk/client-iam'), clients.iam()]));
    return call('iam', operation, () => fn(m, c));
  };
  const idp = async <T>(operation: string, fn: (m: IdpSdk, c: CognitoIdentityProviderClient) => Promise<T>): Promise<T> => {
    const [m, c] = await (idpP ??= Promise.all([import('@aws-sdk/client-cognito-identity-provider'), clients.cognitoIdp()]));
    return call('cognito-idp', operation, () => fn(m, c));
  };
  const iso = (d: Date | string | number | undefined) => (d === undefined ? undefined : new Date(d).toISOString());

  return {
    listRolesUnderPath: (pathPrefix, opts) =>
      iam('ListRoles', async (m, c) => {
        const out: RoleInfo[] = [];
        let marker: string | undefined;
        do {
          const res = await c.send(new m.ListRolesCommand({ PathPrefix: pathPrefix, Marker: marker, MaxItems: opts?.pageSize ?? 1000 }));
          for (const r of res.Roles ?? [])
            out.push({
              name: r.RoleName ?? '',
              arn: r.Arn ?? '',
              path: r.Path ?? '/',
              roleId: r.RoleId ?? '',
              createDate: iso(r.CreateDate),
              description: r.Description,
              trustPolicy: decodePolicyDocument(r.AssumeRolePolicyDocument),
              permissionsBoundaryArn: r.PermissionsBoundary?.PermissionsBoundaryArn,
              tags: r.Tags ? tagRecord(r.Tags) : undefined,
            });
          marker = res.IsTruncated ? res.Marker : undefined;
        } while (marker);
        return out;
      }),
    listGroupsWithDates: (userPoolId) =>
      idp('ListGroups', async (m, c) => {
        const out: DatedGroup[] = [];
        let token: string | undefined;
        do {
          const res = await c.send(new m.ListGroupsCommand({ UserPoolId: userPoolId, NextToken: token, Limit: 60 }));
          for (const g of res.Groups ?? [])
            out.push({ name: g.GroupName ?? '', roleArn: g.RoleArn, description: g.Description, precedence: g.Precedence, createDate: iso(g.CreationDate) });
          token = res.NextToken || undefined;
        } while (token);
        return out;
      }),
    listUsersByPrefix: (userPoolId, prefix) =>
      idp('ListUsers', async (m, c) => {
        const out: DatedUser[] = [];
        let token: string | undefined;
        const filter = `username ^= "${prefix.replace(/["\\]/g, '\\$&')}"`;
        do {
          const res = await c.send(new m.ListUsersCommand({ UserPoolId: userPoolId, Filter: filter, PaginationToken: token, Limit: 60 }));
          for (const u of res.Users ?? []) {
            const attributes: Record<string, string> = {};
            for (const a of u.Attributes ?? []) if (a.Name) attributes[a.Name] = a.Value ?? '';
            // The filter is a prefix match on AWS; checked again here in case an endpoint ignores it.
            if (!(u.Username ?? '').startsWith(prefix)) continue;
            out.push({ username: u.Username ?? '', sub: attributes.sub, status: u.UserStatus, attributes, createDate: iso(u.UserCreateDate) });
          }
          token = res.PaginationToken || undefined;
        } while (token);
        return out;
      }),
    getAccountSummary: () =>
      iam('GetAccountSummary', async (m, c) => {
        const res = await c.send(new m.GetAccountSummaryCommand({}));
        const out: Record<string, number> = {};
        for (const [k, v] of Object.entries(res.SummaryMap ?? {})) if (typeof v === 'number') out[k] = v;
        return out;
      }),
  };
}
