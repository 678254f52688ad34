// The adapters isoctl's tenant code works with, built from one set of lazy SDK clients.
// Everything above src/aws depends on these interfaces only (in-memory fakes implement them in tests).
import type { AwsClients, StaticCredentials } from './clients.js';
import { iamApi, type IamApi } from './iam.js';
import { stsApi, type StsApi } from './sts.js';
import { cognitoIdpApi, type CognitoIdpApi } from './cognito-idp.js';
import { cognitoIdentityApi, type CognitoIdentityApi } from './cognito-identity.js';
import { dynamoApi, type DynamoApi } from './dynamodb.js';
import { s3Api, type S3Api } from './s3.js';
import { registryTableApi, type RegistryTableApi } from './registry-table.js';
import { accountScansApi, type AccountScansApi } from './account-scans.js';

export interface AwsApis {
  iam: IamApi;
  sts: StsApi;
  cognitoIdp: CognitoIdpApi;
  cognitoIdentity: CognitoIdentityApi;
  dynamodb: DynamoApi;
  /** The tenant registry's rows in the stack's lock table (conditional writes). */
  registry: RegistryTableApi;
  s3: S3Api;
  /** Stack-wide scans for gc and doctor (every role under a path, dated groups and users, quotas). */
  scans: AccountScansApi;
  /** Where the calls go: the resolved region and the endpoint override, if any (for whoami). */
  target: { region: string; endpoint: string | undefined };
  /** The same services called with other credentials (a probe's temporary credentials, used once). */
  withCredentials(credentials: StaticCredentials): AwsApis;
  /** Releases the SDK clients (for withCredentials copies; the main ones close with Deps). */
  close(): void;
}

export function awsApis(clients: AwsClients): AwsApis {
  return {
    iam: iamApi(clients),
    sts: stsApi(clients),
    cognitoIdp: cognitoIdpApi(clients),
    cognitoIdentity: cognitoIdentityApi(clients),
    dynamodb: dynamoApi(clients),
    registry: registryTableApi(clients),
    s3: s3Api(clients),
    scans: accountScansApi(clients),
    target: { region: clients.settings.region, endpoint: clients.settings.endpoint },
    withCredentials(credentials) {
      return awsApis(clients.withCredentials(credentials));
    },
    close() {
      clients.destroy();
    },
  };
}

export type { IamApi, StsApi, CognitoIdpApi, CognitoIdentityApi, DynamoApi, S3Api, AccountScansApi, RegistryTableApi as RegistryApi };
export type { DatedGroup, DatedUser } from './account-scans.js';
export type { RoleInfo, PolicyInfo, CreateRoleInput } from './iam.js';
export type { GroupInfo, UserInfo } from './cognito-idp.js';
export type { IdentityPoolRoles, RoleMapping, MappingRule, PrincipalTagMap, TemporaryCredentials } from './cognito-identity.js';
export type { TableInfo, Lease, KeyValue } from './dynamodb.js';
export type { RegistryTableApi, RegistryRow, RegistryStatus, RegistryExpect } from './registry-table.js';
export { AwsCallError, isAwsCallError } from './errors.js';
export { cognitoProviderName, roleMappingKey } from './cognito-identity.js';
