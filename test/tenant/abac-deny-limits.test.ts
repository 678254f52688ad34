// The ceilings of ABAC's deny lists (tombstones, suspensions, revocations) on the scope roles, on
// the fake AWS (which refuses, as IAM does, inline policies over 10,240 characters per role,
// managed policies over 6,144 and an 11th attached policy): ids are packed into one statement per
// kind; when the inline space is full they spill into isoctl's managed policies
// `isoctl-<stack>-deny-list-<n>` under /isoctl/<stack>/, tagged and attached to every scope role;
// when those are full too the change is refused (exit 4, the numbers) with nothing written; an
// emptied managed policy is detached and deleted. The headroom doctor shows matches the packing.
import { describe, expect, it } from 'vitest';
import { RefusedError } from '../../src/errors.js';
import {
  LIMITS,
  buildOperatorPolicy,
  containerSize,
  denyListHeadroom,
  denyStatements,
  evaluate,
  placeDenyEntries,
  policySize,
  type DenyContainer,
  type DenyEntry,
} from '../../src/policy/index.js';
import type { TenantContext } from '../../src/tenant/context.js';
import { changeDenyLists, headroomOf, readDenyLists, roleEntries } from '../../src/tenant/deny-list-store.js';
import { createTenant } from '../../src/tenant/create.js';
import { setSuspended } from '../../src/tenant/lifecycle.js';
import { getTenantRow } from '../../src/tenant/registry.js';
import { initStack } from '../../src/tenant/stack.js';
import { makeConfig } from '../policy/helpers.js';
import { fakeAwsStack } from './fake-stack.js';
import { denyListPolicy } from '../../src/tenant/resources/index.js';

const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(25, '0')}`);
const suspend = (list: string[]): DenyEntry[] => list.map((tenant) => ({ kind: 'suspended', tenant }));

async function abacStack() {
  const fake = fakeAwsStack({ stack: 'lim', mapping: 'abac' });
  let t = Date.parse('2026-12-04T12:00:00.400Z');
  const ctx: TenantContext = { config: fake.config, apis: fake.apis(), now: () => t, sleep: async (ms) => void (t += ms), purpose: 'test' };
  await initStack(ctx, { dryRun: false });
  await createTenant(ctx, { tenant: 'acme', wait: 'none', timeoutMs: 5000, dryRun: false });
  return { fake, ctx };
}

describe('deny-list documents and headroom (pure)', () => {
  it('packs tenants compactly: one statement per kind, one per revocation moment', () => {
    const st = denyStatements([
      ...suspend(['b', 'a', 'c']),
      { kind: 'deleted', tenant: 'z' },
      { kind: 'revoked', tenant: 'a', issuedBefore: '2026-12-04T12:00:01Z' },
      { kind: 'revoked', tenant: 'b', issuedBefore: '2026-12-04T12:00:01Z' },
    ]);
    expect(st.map((s) => s.Sid)).toEqual(['DeletedTenants', 'SuspendedTenants', 'RevokedBefore20261204120001']);
    expect(st[1]?.Condition).toEqual({ StringEquals: { 'aws:PrincipalTag/isoctl-tenant': ['a', 'b', 'c'] } });
    expect(st[2]?.Condition).toEqual({
      StringEquals: { 'aws:PrincipalTag/isoctl-tenant': ['a', 'b'] },
      DateLessThan: { 'aws:TokenIssueTime': '2026-12-04T12:00:01Z' },
    });
  });

  it('the headroom is exactly how many more ids placement accepts', () => {
    for (const [capacity, slots, len] of [
      [3000, 0, 8],
      [2500, 1, 32],
      [100, 2, 20],
    ] as const) {
      const inline: DenyContainer = { kind: 'inline', n: 0, capacity, entries: suspend(['x1', 'x2']) };
      const h = denyListHeadroom([inline], slots, len);
      const more = Array.from({ length: h.moreTenants + 1 }, (_, i) => `${'t'.repeat(len - 6)}${String(i).padStart(6, '0')}`);
      const fits = placeDenyEntries([structuredClone(inline)], suspend(more.slice(0, h.moreTenants)), () => false, slots);
      expect('overflow' in fits, `${capacity}/${slots}/${len}`).toBe(false);
      const over = placeDenyEntries([structuredClone(inline)], suspend(more), () => false, slots);
      expect('overflow' in over, `${capacity}/${slots}/${len}`).toBe(true);
      expect(h.used).toBe(containerSize(inline));
      expect(h.limit).toBe(capacity + slots * LIMITS.managedPolicyChars);
    }
  });

  it('the operator policy lets ABAC operators write only their own deny-list policies and attach only those, within a managed policy size', () => {
    const cfg = makeConfig({ mapping: 'abac' });
    const op = buildOperatorPolicy(cfg);
    const ev = (action: string, resource: string, context: Record<string, string | string[]>) =>
      evaluate({ action, resource, context, identityPolicies: [op] }).decision;
    const mine = 'arn:aws:iam::123456789012:policy/isoctl/prod/isoctl-prod-deny-list-1';
    const tags = { 'aws:ResourceTag/isoctl:managed-by': 'isoctl', 'aws:ResourceTag/isoctl:stack': 'prod' };
    const request = {
      'aws:RequestTag/isoctl:managed-by': 'isoctl',
      'aws:RequestTag/isoctl:stack': 'prod',
      'aws:TagKeys': ['isoctl:managed-by', 'isoctl:stack'],
    };
    expect(ev('iam:CreatePolicy', mine, request)).toBe('Allow');
    expect(ev('iam:CreatePolicy', 'arn:aws:iam::123456789012:policy/isoctl/prod/isoctl-prod-other', request)).toBe('ImplicitDeny');
    expect(ev('iam:CreatePolicy', 'arn:aws:iam::123456789012:policy/isoctl/prod/isoctl-prod-deny-list-1/x', request)).toBe('ExplicitDeny');
    expect(ev('iam:CreatePolicyVersion', mine, tags)).toBe('Allow');
    expect(ev('iam:CreatePolicyVersion', 'arn:aws:iam::123456789012:policy/isoctl/prod/isoctl-prod-boundary', tags)).toBe('ExplicitDeny');
    expect(ev('iam:GetPolicy', mine, {})).toBe('Allow');
    const role = 'arn:aws:iam::123456789012:role/isoctl/prod/isoctl-prod-read';
    const onRole = {
      'aws:ResourceTag/isoctl:managed-by': 'isoctl',
      'aws:ResourceTag/isoctl:stack': 'prod',
      'iam:PermissionsBoundary': 'arn:aws:iam::123456789012:policy/isoctl/prod/isoctl-prod-boundary',
    };
    expect(ev('iam:AttachRolePolicy', role, { ...onRole, 'iam:PolicyARN': mine })).toBe('Allow');
    expect(ev('iam:DetachRolePolicy', role, { ...onRole, 'iam:PolicyARN': mine })).toBe('Allow');
    expect(ev('iam:AttachRolePolicy', 'arn:aws:iam::123456789012:role/other/r', { ...onRole, 'iam:PolicyARN': mine })).toBe('ImplicitDeny');
    expect(ev('iam:AttachRolePolicy', role, { ...onRole, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' })).toBe('ImplicitDeny');
    expect(ev('iam:AttachRolePolicy', role, { ...onRole, 'iam:PolicyARN': 'arn:aws:iam::123456789012:policy/isoctl/prod/isoctl-prod-boundary' })).toBe(
      'ImplicitDeny',
    );
    // It is attached as one managed policy: it must fit.
    expect(policySize(op)).toBeLessThanOrEqual(LIMITS.managedPolicyChars);
    // Token mode has no deny lists: none of it.
    expect(evaluate({ action: 'iam:CreatePolicy', resource: mine, context: request, identityPolicies: [buildOperatorPolicy(makeConfig())] }).decision).toBe(
      'ImplicitDeny',
    );
  });
});

describe('deny-list ceilings on the scope roles (fake AWS, ABAC)', () => {
  it('inline first, then an isoctl managed policy attached to every scope role, then exit 4 with nothing written', async () => {
    const { fake, ctx } = await abacStack();
    // Nine managed policies of someone else on one scope role leave one slot for isoctl's.
    const read = fake.roles.get('isoctl-lim-read')!;
    read.attached = new Set();
    for (let i = 0; i < 9; i++) {
      const arn = `arn:aws:iam::123456789012:policy/team/other-${i}`;
      fake.policies.set(arn, { arn, name: `other-${i}`, path: '/team/', tags: {}, versions: [{ id: 'v1', doc: '{}', isDefault: true, created: 0 }], next: 2 });
      read.attached.add(arn);
    }
    const state0 = await readDenyLists(ctx);
    expect(headroomOf(state0, 27).managedSlots).toBe(1);
    // How many of these 27-character ids the inline space alone holds.
    const inlineRoom = denyListHeadroom(state0.containers, 0, 27).moreTenants;
    expect(inlineRoom).toBeGreaterThan(100);

    // More than the inline space holds: the rest spills into isoctl-lim-deny-list-1.
    const first = ids(inlineRoom + 20, 'a');
    const r = await changeDenyLists(ctx, { add: suspend(first), drop: () => false }, 'suspend');
    expect(r.writes).toBeGreaterThan(0);
    const arn = 'arn:aws:iam::123456789012:policy/isoctl/lim/isoctl-lim-deny-list-1';
    expect(fake.policies.get(arn)).toMatchObject({ path: '/isoctl/lim/', tags: { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': 'lim' } });
    for (const role of ['isoctl-lim-read', 'isoctl-lim-write']) {
      expect(fake.roles.get(role)!.attached?.has(arn), role).toBe(true);
      const state = await readDenyLists(ctx);
      expect(
        roleEntries(state, role)
          .map((e) => e.tenant)
          .sort(),
      ).toEqual([...first].sort());
    }
    // The one ownership filter: only this stack's path, name and tags.
    const info = (await ctx.apis.iam.getPolicy(arn))!;
    expect(denyListPolicy.owned(ctx.config, info)).toEqual({ owned: true });
    expect(denyListPolicy.owned(ctx.config, { ...info, path: '/isoctl/lim/x/' }).owned).toBe(false);
    expect(denyListPolicy.owned(ctx.config, { ...info, tags: { 'isoctl:managed-by': 'isoctl', 'isoctl:stack': 'other' } }).owned).toBe(false);
    expect(denyListPolicy.owned(ctx.config, { ...info, name: 'isoctl-lim-boundary' }).owned).toBe(false);
    // Re-run: zero mutating calls.
    fake.calls.length = 0;
    expect((await changeDenyLists(ctx, { add: suspend(first), drop: () => false }, 'suspend')).writes).toBe(0);
    expect(fake.mutatingCalls()).toEqual([]);

    // Fill what is left, then one more tenant does not fit: exit 4, the numbers, nothing written.
    const left = headroomOf(await readDenyLists(ctx), 27).moreTenants;
    await changeDenyLists(ctx, { add: suspend(ids(left, 'b')), drop: () => false }, 'suspend');
    // ... and the last characters with ids as short as acme's.
    const short = headroomOf(await readDenyLists(ctx), 4).moreTenants;
    const shortIds = Array.from({ length: short }, (_, i) => `z${i.toString(36).padStart(3, '0')}`);
    await changeDenyLists(ctx, { add: suspend(shortIds), drop: () => false }, 'suspend');
    expect(headroomOf(await readDenyLists(ctx), 4).moreTenants).toBe(0);
    fake.calls.length = 0;
    const refused = await setSuspended(ctx, { tenant: 'acme', wait: 'none', timeoutMs: 5000 }, true).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RefusedError);
    expect((refused as RefusedError).exitCode).toBe(4);
    expect((refused as RefusedError).code).toBe('deny_list_limit');
    expect((refused as RefusedError).message).toMatch(/would need \d+ characters; they may hold \d+ \(\d+ inline .* plus 1 managed policies of 6144\)/);
    expect(fake.mutatingCalls()).toEqual([]);
    expect((await getTenantRow(ctx, 'acme'))?.status).toBe('active');

    // Dropping every spilled entry detaches and deletes the managed policy.
    const spilled = new Set((await readDenyLists(ctx)).containers.filter((c) => c.kind === 'managed').flatMap((c) => c.entries.map((e) => e.tenant)));
    await changeDenyLists(ctx, { add: [], drop: (e) => spilled.has(e.tenant) }, 'resume');
    expect(fake.policies.has(arn)).toBe(false);
    expect(fake.roles.get('isoctl-lim-write')!.attached?.has(arn) ?? false).toBe(false);
    // Now acme fits again (inline).
    await expect(setSuspended(ctx, { tenant: 'acme', wait: 'none', timeoutMs: 5000 }, true)).resolves.toMatchObject({ suspended: true });
  });
});

describe('which ABAC tenant a lifecycle command acts on (fake AWS)', () => {
  it('a registry not filled yet: the probe user carrying the claim stands for the tenant; unknown and deleted are exit 3', async () => {
    const { fake, ctx } = await abacStack();
    for (const [key, row] of fake.registryRows) if (row.tenant === 'acme') fake.registryRows.delete(key);
    const r = await setSuspended(ctx, { tenant: 'acme', wait: 'none', timeoutMs: 5000 }, true);
    expect(r).toMatchObject({ suspended: true, changes: { iam: true, registry: 'created' } });
    expect((await getTenantRow(ctx, 'acme'))?.status).toBe('suspended');
    await expect(setSuspended(ctx, { tenant: 'nosuch', wait: 'none', timeoutMs: 5000 }, true)).rejects.toMatchObject({
      code: 'tenant_not_found',
      exitCode: 3,
    });
    await changeDenyLists(ctx, { add: [{ kind: 'deleted', tenant: 'gone' }], drop: () => false }, 'delete');
    await expect(setSuspended(ctx, { tenant: 'gone', wait: 'none', timeoutMs: 5000 }, true)).rejects.toMatchObject({
      code: 'tenant_deleted',
      exitCode: 3,
      message: expect.stringContaining('was deleted'),
    });
  });
});
