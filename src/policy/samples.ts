// Tenant ids that stand for every tenant id of a stack when no list is given (`policy check
// --all`): the documents are functions of the id, so what can go wrong is ids that prefix,
// extend or resemble each other, and the shortest and longest ids the stack allows.
import type { StackConfig } from '../config/schema.js';
import { ROLE_NAME_MAX, TENANT_ID_PATTERN, roleName } from '../config/tenant-id.js';

export function sampleTenantIds(config: Pick<StackConfig, 'stack'>): string[] {
  const longest = Math.min(32, ROLE_NAME_MAX - roleName(config.stack, '').length);
  const long = `${'z'.repeat(Math.max(0, longest - 1))}9`.slice(-longest);
  const ids = ['a', 'a0', 'a-b', 'ab', '0', '00', 'acme', 'acme-corp', 'acme2', 'corp-acme', 'globex', long, long.slice(0, -1)];
  return [...new Set(ids.filter((id) => id.length > 0 && TENANT_ID_PATTERN.test(id) && roleName(config.stack, id).length <= ROLE_NAME_MAX))];
}
