// ABAC mode's documents (issue 12): one shared role per scope, `isoctl-<stack>-<scope>`, whose
// policies name no tenant: every tenant value is `${aws:PrincipalTag/isoctl-tenant}`, a session tag
// the identity pool maps from the tenant claim (the second seed's `${aws:PrincipalTag/userid}`
// technique applied to the tenant). Pure.
import { stackPath, type StackConfig } from '../config/schema.js';
import { roleName } from '../config/tenant-id.js';
import { buildScopeDataPolicy, usesSessionTags } from './documents.js';
import {
  COGNITO_IDENTITY_PRINCIPAL,
  INLINE_POLICY_NAME,
  MANAGED_BY_VALUE,
  TAG_MANAGED_BY,
  TAG_STACK,
  TENANT_PIN_TAG,
  USER_ID_TAG,
  arnPartition,
  boundaryPolicyArn,
} from './names.js';
import type { PolicyDocument } from './types.js';

/** Tag on a scope role naming its scope (a scope role carries no tenant tag). */
export const TAG_SCOPE = 'isoctl:scope';

export function scopeRoleName(config: StackConfig, scope: string): string {
  return roleName(config.stack, scope);
}
/** The user-pool group that carries the scope role (same name as the role). */
export function scopeGroupName(config: StackConfig, scope: string): string {
  return scopeRoleName(config, scope);
}
export function scopeRoleArn(config: StackConfig, scope: string): string {
  return `arn:${arnPartition(config.region)}:iam::${config.accountId}:role${stackPath(config.stack)}${scopeRoleName(config, scope)}`;
}

/** The session tag keys the identity pool sets on an ABAC session: exactly these, nothing else. */
export function abacSessionTagKeys(config: StackConfig): string[] {
  return usesSessionTags(config) ? [TENANT_PIN_TAG, USER_ID_TAG].sort() : [TENANT_PIN_TAG];
}

/**
 * Trust of a scope role: authenticated identities of this pool, and `sts:TagSession` only with
 * exactly the mapped keys and only when the tenant tag is present and non-empty, so a session
 * without a tenant is never issued (the identity pool always passes the tenant tag, so every
 * enhanced-flow exchange calls TagSession).
 */
export function buildAbacTrustPolicy(config: StackConfig): PolicyDocument {
  const cognito = {
    StringEquals: { [`${COGNITO_IDENTITY_PRINCIPAL}:aud`]: config.identityPoolId },
    'ForAnyValue:StringLike': { [`${COGNITO_IDENTITY_PRINCIPAL}:amr`]: 'authenticated' },
  };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CognitoAuthenticated',
        Effect: 'Allow',
        Principal: { Federated: COGNITO_IDENTITY_PRINCIPAL },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: cognito,
      },
      {
        Sid: 'CognitoTenantSessionTags',
        Effect: 'Allow',
        Principal: { Federated: COGNITO_IDENTITY_PRINCIPAL },
        Action: 'sts:TagSession',
        Condition: {
          StringEquals: cognito.StringEquals,
          'ForAnyValue:StringLike': cognito['ForAnyValue:StringLike'],
          'ForAllValues:StringEquals': { 'aws:TagKeys': abacSessionTagKeys(config) },
          StringLike: { [`aws:RequestTag/${TENANT_PIN_TAG}`]: '?*' },
          Null: { 'aws:TagKeys': 'false', [`aws:RequestTag/${TENANT_PIN_TAG}`]: 'false' },
        },
      },
    ],
  };
}

export interface ScopeRoleSpec {
  scope: string;
  roleName: string;
  path: string;
  arn: string;
  assumeRolePolicy: PolicyDocument;
  inlinePolicies: Record<string, PolicyDocument>;
  permissionsBoundary: string;
  tags: Record<string, string>;
  /** Group precedence: distinct per scope (sorted order), so cognito:preferred_role is deterministic. */
  precedence: number;
}

export function buildScopeRoles(config: StackConfig): ScopeRoleSpec[] {
  return Object.keys(config.scopes)
    .sort()
    .map((scope, i) => ({
      scope,
      roleName: scopeRoleName(config, scope),
      path: stackPath(config.stack),
      arn: scopeRoleArn(config, scope),
      assumeRolePolicy: buildAbacTrustPolicy(config),
      inlinePolicies: { [INLINE_POLICY_NAME]: buildScopeDataPolicy(config, scope) },
      permissionsBoundary: boundaryPolicyArn(config),
      tags: { [TAG_MANAGED_BY]: MANAGED_BY_VALUE, [TAG_STACK]: config.stack, [TAG_SCOPE]: scope },
      precedence: 10 * (i + 1),
    }));
}

/** Inline policy on every scope role denying the sessions of deleted (tombstoned) tenants. */
export const TOMBSTONE_POLICY_NAME = 'isoctl-tombstones';

/**
 * The tombstone: a deleted tenant's users still hold ID tokens the identity pool exchanges for
 * fresh scope-role credentials tagged with the old tenant. This Deny, keyed on that tag, shuts
 * them out of every data action whatever the allow says; kept until gc may drop it.
 */
export function buildTombstonePolicy(tenants: string[]): PolicyDocument | undefined {
  const ids = [...new Set(tenants)].sort();
  if (ids.length === 0) return undefined;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DeletedTenants',
        Effect: 'Deny',
        Action: ['dynamodb:*', 's3:*'],
        Resource: '*',
        Condition: { StringEquals: { [`aws:PrincipalTag/${TENANT_PIN_TAG}`]: ids } },
      },
    ],
  };
}

/** The tenant ids a tombstone policy names (an unreadable document names none). */
export function tombstonedTenants(doc: unknown): string[] {
  const statements = (doc as { Statement?: unknown } | undefined)?.Statement;
  const out = new Set<string>();
  for (const s of Array.isArray(statements) ? statements : [statements]) {
    const v = (s as { Condition?: { StringEquals?: Record<string, unknown> } } | undefined)?.Condition?.StringEquals?.[`aws:PrincipalTag/${TENANT_PIN_TAG}`];
    for (const id of Array.isArray(v) ? v : v === undefined ? [] : [v]) if (typeof id === 'string') out.add(id);
  }
  return [...out].sort();
}
