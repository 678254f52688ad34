import { describe, expect, it } from 'vitest';
import { assertTenantId, roleName, TENANT_ID_RULE, tenantIdProblem } from '../../src/config/tenant-id.js';
import { UsageError } from '../../src/errors.js';
import { BAD_TENANT_IDS, GOOD_TENANT_IDS } from '../fixtures/bad-tenant-ids.js';

describe('tenant id validator', () => {
  it.each(BAD_TENANT_IDS)('rejects %s', (_label, id) => {
    expect(tenantIdProblem(id)?.startsWith(TENANT_ID_RULE)).toBe(true);
    expect(() => assertTenantId(id)).toThrow(UsageError);
  });

  it.each(GOOD_TENANT_IDS)('accepts %j', (id) => {
    expect(tenantIdProblem(id)).toBeUndefined();
    expect(assertTenantId(id)).toBe(id);
  });

  it('refuses an id whose role name would pass 64 characters with the stack', () => {
    const stack = 'production-east1'; // 16 chars: isoctl- + 16 + - = 24, leaves 40
    expect(tenantIdProblem('x'.repeat(32), stack)).toBeUndefined();
    expect(roleName(stack, 'x'.repeat(32))).toHaveLength(56);
    expect(tenantIdProblem('x'.repeat(32), 'a'.repeat(30))).toMatch(/would be 70 characters; IAM allows 64/);
  });

  it('suggests the lower-case id only when that one is valid', () => {
    expect(tenantIdProblem('ACME')).toBe(`${TENANT_ID_RULE}; did you mean "acme"?`);
    expect(tenantIdProblem('ACME_1')).toBe(TENANT_ID_RULE);
    expect(tenantIdProblem('acme_1')).toBe(TENANT_ID_RULE);
  });

  it('names the rule and the id in the error', () => {
    try {
      assertTenantId('Acme');
      expect.unreachable();
    } catch (err) {
      expect((err as UsageError).message).toBe(`invalid tenant id "Acme": ${TENANT_ID_RULE}; did you mean "acme"?`);
      expect((err as UsageError).code).toBe('invalid_tenant_id');
    }
  });
});
