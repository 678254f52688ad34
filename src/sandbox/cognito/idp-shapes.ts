// The user-pool service's output shapes (botocore's UserPoolType, UserPoolClientType, GroupType,
// UserType), built from the stored records.
import type { ClientRecord, GroupRecord, UserPoolRecord, UserRecord } from './state.js';
import { attributeList } from './user-pool-schema.js';
import { epochSeconds } from './validate.js';

/** Pool settings kept verbatim and returned by DescribeUserPool. */
export const ECHO_POOL_FIELDS = [
  'LambdaConfig',
  'AutoVerifiedAttributes',
  'SmsVerificationMessage',
  'EmailVerificationMessage',
  'EmailVerificationSubject',
  'VerificationMessageTemplate',
  'SmsAuthenticationMessage',
  'MfaConfiguration',
  'UserAttributeUpdateSettings',
  'DeviceConfiguration',
  'EmailConfiguration',
  'SmsConfiguration',
  'AdminCreateUserConfig',
  'UserPoolAddOns',
  'AccountRecoverySetting',
  'UserPoolTier',
] as const;

export const ECHO_CLIENT_FIELDS = [
  'SupportedIdentityProviders',
  'CallbackURLs',
  'LogoutURLs',
  'DefaultRedirectURI',
  'AllowedOAuthFlows',
  'AllowedOAuthScopes',
  'AllowedOAuthFlowsUserPoolClient',
  'AnalyticsConfiguration',
  'EnablePropagateAdditionalUserContextData',
  'RefreshTokenRotation',
] as const;

export function describePool(pool: UserPoolRecord): Record<string, unknown> {
  const echo = pool.echo;
  const out: Record<string, unknown> = {
    Id: pool.Id,
    Name: pool.Name,
    Policies: {
      PasswordPolicy: pool.passwordPolicy,
      ...(echo.SignInPolicy ? { SignInPolicy: echo.SignInPolicy } : {}),
    },
    DeletionProtection: pool.deletionProtection,
    LambdaConfig: echo.LambdaConfig ?? {},
    LastModifiedDate: epochSeconds(pool.LastModifiedDate),
    CreationDate: epochSeconds(pool.CreationDate),
    SchemaAttributes: pool.schema,
    VerificationMessageTemplate: echo.VerificationMessageTemplate ?? { DefaultEmailOption: 'CONFIRM_WITH_CODE' },
    MfaConfiguration: echo.MfaConfiguration ?? 'OFF',
    EstimatedNumberOfUsers: Object.keys(pool.users).length,
    EmailConfiguration: echo.EmailConfiguration ?? { EmailSendingAccount: 'COGNITO_DEFAULT' },
    UserPoolTags: pool.tags,
    AdminCreateUserConfig: echo.AdminCreateUserConfig ?? { AllowAdminCreateUserOnly: false, UnusedAccountValidityDays: 7 },
    Arn: pool.Arn,
    UserPoolTier: echo.UserPoolTier ?? 'ESSENTIALS',
  };
  if (pool.usernameAttributes.length > 0) out.UsernameAttributes = pool.usernameAttributes;
  if (pool.aliasAttributes.length > 0) out.AliasAttributes = pool.aliasAttributes;
  out.UsernameConfiguration = { CaseSensitive: pool.usernameCaseSensitive };
  for (const f of ECHO_POOL_FIELDS) {
    if (out[f] === undefined && echo[f] !== undefined) out[f] = echo[f];
  }
  return out;
}

export function describeClient(client: ClientRecord): Record<string, unknown> {
  return {
    UserPoolId: client.UserPoolId,
    ClientName: client.ClientName,
    ClientId: client.ClientId,
    ...(client.ClientSecret ? { ClientSecret: client.ClientSecret } : {}),
    LastModifiedDate: epochSeconds(client.LastModifiedDate),
    CreationDate: epochSeconds(client.CreationDate),
    RefreshTokenValidity: client.RefreshTokenValidity,
    AccessTokenValidity: client.AccessTokenValidity,
    IdTokenValidity: client.IdTokenValidity,
    // Only the units the caller set: a client made without them shows none (Terraform's AWS
    // provider 5.x reads any unit as a configured token_validity_units block).
    ...(client.unitsGiven && Object.keys(client.unitsGiven).length > 0 ? { TokenValidityUnits: client.unitsGiven } : {}),
    ...(client.ReadAttributes ? { ReadAttributes: client.ReadAttributes } : {}),
    ...(client.WriteAttributes ? { WriteAttributes: client.WriteAttributes } : {}),
    ExplicitAuthFlows: client.ExplicitAuthFlows,
    ...client.echo,
    PreventUserExistenceErrors: client.PreventUserExistenceErrors,
    EnableTokenRevocation: client.EnableTokenRevocation,
    AuthSessionValidity: client.AuthSessionValidity,
  };
}

export function describeGroup(pool: UserPoolRecord, g: GroupRecord): Record<string, unknown> {
  return {
    GroupName: g.GroupName,
    UserPoolId: pool.Id,
    ...(g.Description !== undefined ? { Description: g.Description } : {}),
    ...(g.RoleArn !== undefined ? { RoleArn: g.RoleArn } : {}),
    ...(g.Precedence !== undefined ? { Precedence: g.Precedence } : {}),
    LastModifiedDate: epochSeconds(g.LastModifiedDate),
    CreationDate: epochSeconds(g.CreationDate),
  };
}

export function describeUser(u: UserRecord, attributesKey: 'Attributes' | 'UserAttributes'): Record<string, unknown> {
  return {
    Username: u.username,
    [attributesKey]: attributeList(u.attributes),
    UserCreateDate: epochSeconds(u.createdAt),
    UserLastModifiedDate: epochSeconds(u.lastModifiedAt),
    Enabled: u.enabled,
    UserStatus: u.status,
  };
}
