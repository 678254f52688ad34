// The one tenant-id rule. Nothing that fails it ever reaches a policy, an ARN or a condition.
import { UsageError } from '../errors.js';

export const TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
export const TENANT_ID_RULE = 'a tenant id is 1-32 characters of a-z, 0-9 and "-", starting and ending with a letter or digit';
export const ROLE_NAME_MAX = 64;

export function roleName(stack: string, tenant: string): string {
  return `isoctl-${stack}-${tenant}`;
}

/** Returns the reason the id is invalid, or undefined when it is valid for this stack. */
export function tenantIdProblem(id: string, stack?: string): string | undefined {
  if (!TENANT_ID_PATTERN.test(id)) {
    // Upper case is the one slip an operator makes most ("ACME"): name the id they meant.
    const lower = id.toLowerCase();
    return lower !== id && TENANT_ID_PATTERN.test(lower) ? `${TENANT_ID_RULE}; did you mean ${JSON.stringify(lower)}?` : TENANT_ID_RULE;
  }
  if (stack !== undefined && roleName(stack, id).length > ROLE_NAME_MAX)
    return `role name "${roleName(stack, id)}" would be ${roleName(stack, id).length} characters; IAM allows ${ROLE_NAME_MAX}`;
  return undefined;
}

export function assertTenantId(id: string, stack?: string): string {
  const problem = tenantIdProblem(id, stack);
  if (problem) throw new UsageError(`invalid tenant id ${JSON.stringify(id)}: ${problem}`, 'invalid_tenant_id');
  return id;
}
