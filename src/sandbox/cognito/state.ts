// The persisted state of the two Cognito services, one section each. Both services read the
// user-pool section (the identity service verifies tokens with the pools' keys), so the section
// initialisers live here and nowhere else.
import type { SandboxContext } from '../contract.js';
import { latestVersion, readVersion, writeVersion, type Versioned } from '../versioned.js';
import type { StoredKey } from './keys.js';
import type { PasswordPolicy } from './passwords.js';

export const IDP_SECTION = 'cognito-idp';
export const IDENTITY_SECTION = 'cognito-identity';

export interface SchemaAttribute {
  Name: string;
  AttributeDataType: 'String' | 'Number' | 'DateTime' | 'Boolean';
  DeveloperOnlyAttribute: boolean;
  Mutable: boolean;
  Required: boolean;
  StringAttributeConstraints?: { MinLength?: string; MaxLength?: string };
  NumberAttributeConstraints?: { MinValue?: string; MaxValue?: string };
}

export interface GroupRecord {
  GroupName: string;
  Description?: string;
  RoleArn?: string;
  Precedence?: number;
  CreationDate: number; // ms
  LastModifiedDate: number; // ms
}

export type UserStatus = 'FORCE_CHANGE_PASSWORD' | 'CONFIRMED' | 'RESET_REQUIRED';

export interface UserRecord {
  username: string;
  sub: string;
  /** Attribute name -> value, `sub` included. */
  attributes: Record<string, string>;
  passwordHash?: string;
  temporaryPasswordExpiresAt?: number;
  status: UserStatus;
  enabled: boolean;
  createdAt: number;
  lastModifiedAt: number;
  /** Group names (memberships are immediate; group definitions carry the lag). */
  groups: string[];
  /** AdminUserGlobalSignOut's time (epoch s): access tokens issued up to then are revoked. */
  signedOutAt?: number;
}

export interface ClientRecord {
  ClientId: string;
  ClientName: string;
  UserPoolId: string;
  ClientSecret?: string;
  CreationDate: number;
  LastModifiedDate: number;
  ExplicitAuthFlows: string[];
  RefreshTokenValidity: number;
  AccessTokenValidity: number;
  IdTokenValidity: number;
  TokenValidityUnits: { AccessToken: string; IdToken: string; RefreshToken: string };
  /** The units as the caller gave them (AWS echoes `{}` for an empty TokenValidityUnits); undefined: none given. */
  unitsGiven?: Record<string, string>;
  PreventUserExistenceErrors: 'LEGACY' | 'ENABLED';
  EnableTokenRevocation: boolean;
  AuthSessionValidity: number;
  ReadAttributes?: string[];
  WriteAttributes?: string[];
  /** Settings the sandbox keeps and returns but does not act on (OAuth, analytics ...). */
  echo: Record<string, unknown>;
}

export interface RefreshTokenRecord {
  username: string;
  clientId: string;
  authTime: number; // s
  expiresAt: number; // ms
  /** Revoked by AdminUserGlobalSignOut: kept so a refresh says "has been revoked", as AWS does. */
  revoked?: boolean;
}

export interface UserPoolRecord {
  Id: string;
  Name: string;
  Arn: string;
  CreationDate: number;
  LastModifiedDate: number;
  passwordPolicy: PasswordPolicy;
  schema: SchemaAttribute[];
  usernameAttributes: string[];
  aliasAttributes: string[];
  usernameCaseSensitive: boolean;
  deletionProtection: 'ACTIVE' | 'INACTIVE';
  tags: Record<string, string>;
  /** Settings the sandbox keeps and returns but does not act on (messages, email, SMS, lambdas ...). */
  echo: Record<string, unknown>;
  /** keys[0] signs id tokens, keys[1] access tokens (AWS publishes two keys per pool). */
  keys: StoredKey[];
  clients: Record<string, ClientRecord>;
  groups: Record<string, Versioned<GroupRecord>>;
  /** Keyed by the username as compared (lower-cased when the pool is case-insensitive). */
  users: Record<string, UserRecord>;
  /** sha256(refresh token) -> who it belongs to. */
  refreshTokens: Record<string, RefreshTokenRecord>;
}

export interface IdpState {
  version: 1;
  pools: Record<string, UserPoolRecord>;
}

export interface CognitoIdentityProviderConfig {
  ProviderName: string;
  ClientId?: string;
  ServerSideTokenCheck?: boolean;
}

export interface MappingRule {
  Claim: string;
  MatchType: 'Equals' | 'Contains' | 'StartsWith' | 'NotEqual';
  Value: string;
  RoleARN: string;
}

export interface RoleMapping {
  Type: 'Token' | 'Rules';
  AmbiguousRoleResolution?: 'AuthenticatedRole' | 'Deny';
  RulesConfiguration?: { Rules: MappingRule[] };
}

export interface PoolRoles {
  Roles: Record<string, string>;
  RoleMappings?: Record<string, RoleMapping>;
}

export interface PrincipalTagMap {
  UseDefaults: boolean;
  PrincipalTags: Record<string, string>;
}

export interface IdentityRecord {
  IdentityId: string;
  /** Canonical provider name -> the user's subject at that provider. Empty for unauthenticated identities. */
  logins: Record<string, string>;
  CreationDate: number;
  LastModifiedDate: number;
}

export interface IdentityPoolRecord {
  IdentityPoolId: string;
  IdentityPoolName: string;
  AllowUnauthenticatedIdentities: boolean;
  AllowClassicFlow?: boolean;
  SupportedLoginProviders?: Record<string, string>;
  DeveloperProviderName?: string;
  OpenIdConnectProviderARNs?: string[];
  CognitoIdentityProviders?: CognitoIdentityProviderConfig[];
  SamlProviderARNs?: string[];
  IdentityPoolTags?: Record<string, string>;
  CreationDate: number;
  /** Roles and role mappings; GetCredentialsForIdentity reads them with the cognito lag. */
  roles?: Versioned<PoolRoles>;
  /** Canonical provider name -> principal-tag attribute map (read with the cognito lag). */
  principalTags: Record<string, Versioned<PrincipalTagMap>>;
  identities: Record<string, IdentityRecord>;
  /** `<canonical provider> <subject>` -> identity id. */
  loginIndex: Record<string, string>;
}

export interface IdentityState {
  version: 1;
  /** Signs the OpenID tokens GetOpenIdToken returns. Created on first use. */
  keys: StoredKey[];
  pools: Record<string, IdentityPoolRecord>;
  /** identity id -> identity pool id */
  identityIndex: Record<string, string>;
}

export function idpState(ctx: SandboxContext): IdpState {
  return ctx.section<IdpState>(IDP_SECTION, () => ({ version: 1, pools: {} }));
}

export function identityState(ctx: SandboxContext): IdentityState {
  return ctx.section<IdentityState>(IDENTITY_SECTION, () => ({ version: 1, keys: [], pools: {}, identityIndex: {} }));
}

function maxLag(ctx: SandboxContext): number {
  return Math.max(ctx.lag.iam, ctx.lag.cognito, ctx.lag.dynamodb);
}

/** Records a change; observers with the cognito lag see it `lag.cognito` ms later. */
export function recordVersion<T>(ctx: SandboxContext, v: Versioned<T> | undefined, value: T | null): Versioned<T> {
  const at = ctx.now();
  if (!v) return { history: [{ at, value }] };
  writeVersion(v, value, at, maxLag(ctx));
  return v;
}

/** What Cognito's own consumers (token issuance, role resolution) see now. */
export function cognitoView<T>(ctx: SandboxContext, v: Versioned<T> | undefined): T | null | undefined {
  return readVersion(v, ctx.now(), ctx.lag.cognito);
}

/** What the admin APIs return: the newest write. */
export function latest<T>(v: Versioned<T> | undefined): T | undefined {
  return latestVersion(v) ?? undefined;
}

/** True when a deleted entry can be forgotten: deleted, and every observer has seen the deletion. */
export function isForgettable<T>(ctx: SandboxContext, v: Versioned<T>): boolean {
  const last = v.history[v.history.length - 1];
  return !!last && last.value === null && last.at + maxLag(ctx) <= ctx.now();
}
