// Causes about who was refused, before any policy is read: not a role session, another account,
// a role that does not exist, a role that is not the stack's (the role module's ownership filter).
import type { StackConfig } from '../../config/schema.js';
import { stackPath } from '../../config/schema.js';
import { MANAGED_BY_VALUE, TAG_MANAGED_BY, TAG_STACK } from '../../policy/index.js';
import { role as roleResource } from '../../tenant/resources/index.js';
import { cause, type Cause } from './causes.js';
import type { RoleSnapshot } from './model.js';
import type { ParsedDenial } from './parse.js';

/** A cause that ends the analysis before the role is looked at. */
export function principalCause(d: ParsedDenial, config: StackConfig | undefined): Cause | undefined {
  if (d.principalType !== 'assumed-role' && d.principalType !== 'role')
    return cause(
      'not-a-role-session',
      'certain',
      `${d.principalArn} is not a role session`,
      'isoctl tenants reach data through role sessions (arn:aws:sts::<account>:assumed-role/isoctl-<stack>-<tenant>/...); this principal is not one, so its own policies decide.',
      {
        action: 'Check which credentials the application used: a tenant request must use the credentials Cognito issued for the tenant role.',
      },
    );
  if (config && d.accountId && d.accountId !== config.accountId)
    return cause(
      'wrong-account',
      'certain',
      `the message is from account ${d.accountId}, the config describes account ${config.accountId}`,
      'explain reads the role and stack of the config; they cannot be the ones that refused this request.',
      {
        action: `Run explain with the config (--config) and credentials of account ${d.accountId}.`,
      },
    );
  return undefined;
}

export function roleMissingCause(d: ParsedDenial, tenant: string | undefined): Cause {
  const createTenant = tenant ? `isoctl tenant create ${tenant}` : undefined;
  return cause(
    'role-missing',
    'certain',
    `the role ${d.roleName} does not exist`,
    `IAM has no role named ${d.roleName}: the tenant was deleted (the application still holds credentials issued before), or the message is from another account or stack.`,
    tenant
      ? {
          command: createTenant,
          action: `Recreate the tenant if it should exist (${createTenant} --wait data); otherwise the caller must sign in again and stop using the old credentials.`,
        }
      : { action: 'Check the account and stack the message comes from.' },
  );
}

/** Whether the role is the stack's (the role module decides), and the cause when it is not. */
export function ownershipOf(config: StackConfig | undefined, role: RoleSnapshot): { managed: boolean; cause: Cause | undefined } {
  if (!config) return { managed: false, cause: undefined };
  const ownership = roleResource.owned(config, role);
  if (ownership.owned) return { managed: true, cause: undefined };
  return {
    managed: false,
    cause: cause(
      'not-isoctl-role',
      'certain',
      `${role.name} is not a role of stack ${config.stack}`,
      `isoctl's roles live under ${stackPath(config.stack)} with the tags ${TAG_MANAGED_BY}=${MANAGED_BY_VALUE} and ${TAG_STACK}=${config.stack}; this one (path ${role.path}) does not (${ownership.reason}), so isoctl never changes it. Its policies were still evaluated below.`,
      {
        action: 'Fix that role yourself, or use a tenant role of the stack.',
      },
    ),
  };
}
