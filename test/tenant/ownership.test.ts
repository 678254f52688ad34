// One table of look-alikes (things that resemble isoctl's resources but are not this tenant's of
// this stack), run through every caller that decides ownership: tenant create, tenant delete,
// gc, tenant list and explain. Each case is checked against a control (the genuine resource),
// so a caller that stopped asking the filter, or a filter that stopped refusing, fails here.
// A second part pins that no code outside src/tenant/resources compares isoctl's marks itself.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import type { StackConfig } from '../../src/config/schema.js';
import { RefusedError } from '../../src/errors.js';
import type { TenantContext } from '../../src/tenant/context.js';
import { createTenant } from '../../src/tenant/create.js';
import { deleteTenant } from '../../src/tenant/delete.js';
import { initStack } from '../../src/tenant/stack.js';
import { listTenants } from '../../src/tenant/inventory.js';
import { scanForGc } from '../../src/ops/gc/scan.js';
import { planGc } from '../../src/ops/gc/plan.js';
import { applyGc } from '../../src/ops/gc/apply.js';
import { analyzeDenial } from '../../src/ops/explain/analyze.js';
import { parseAccessDenied } from '../../src/ops/explain/parse.js';
import { factsFromFlags } from '../../src/ops/explain/facts.js';
import { readRoleSnapshot } from '../../src/ops/explain/observe.js';
import { accessDeniedMessage } from '../../src/policy/index.js';
import { mappingKeyOf } from '../../src/tenant/observe.js';
import { FakeAws } from './fake-aws.js';
import { FakeOps } from '../ops/fake-ops.js';

const ACCOUNT = '123456789012';

function config(mapping: 'token' | 'rules', silo = false): StackConfig {
  return validateConfig(
    {
      stack: 'test',
      region: 'eu-central-1',
      accountId: ACCOUNT,
      userPoolId: 'eu-central-1_Pool1',
      userPoolClientId: 'client1',
      identityPoolId: 'eu-central-1:00000000-0000-0000-0000-000000000001',
      mapping,
      granularity: 'tenant',
      tables: [silo ? { name: 'Files', partitionKey: 'pk', model: 'silo' } : { name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk' }],
    },
    'test',
  );
}

const clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

async function stackWithAcme(mapping: 'token' | 'rules', silo = false): Promise<{ fake: FakeAws; ctx: TenantContext }> {
  const fake = new FakeAws(config(mapping, silo));
  fake.tables.set('Orders', {
    name: 'Orders',
    arn: `arn:aws:dynamodb:eu-central-1:${ACCOUNT}:table/Orders`,
    status: 'ACTIVE',
    partitionKey: { name: 'tenantId', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
  });
  const ctx: TenantContext = { config: fake.config, apis: fake.apis(), ...clock, purpose: 'test' };
  await initStack(ctx, { dryRun: false });
  await createTenant(ctx, { tenant: 'acme', wait: 'none', timeoutMs: 5000, dryRun: false });
  fake.calls.length = 0;
  return { fake, ctx };
}

type Kind = 'role' | 'group' | 'rule' | 'silo-table' | 'probe-user';
interface LookAlike {
  kind: Kind;
  name: string;
  mapping: 'token' | 'rules';
  silo?: boolean;
  /** Turns acme's genuine resource into the look-alike (undefined: the control, left genuine). */
  make?: (fake: FakeAws) => void;
}

const role = (fake: FakeAws) => fake.roles.get('isoctl-test-acme')!;
const movePath = (fake: FakeAws, path: string) => {
  const r = role(fake);
  r.path = path;
  r.arn = `arn:aws:iam::${ACCOUNT}:role${path}${r.name}`;
};
const otherStackArn = `arn:aws:iam::${ACCOUNT}:role/isoctl/staging/isoctl-test-acme`;

const CASES: LookAlike[] = [
  { kind: 'role', name: 'outside the stack path', mapping: 'token', make: (f) => movePath(f, '/other/') },
  { kind: 'role', name: 'below the stack path', mapping: 'token', make: (f) => movePath(f, '/isoctl/test/sub/') },
  {
    kind: 'role',
    name: "another stack's path and tags",
    mapping: 'token',
    make: (f) => (movePath(f, '/isoctl/staging/'), (role(f).tags['isoctl:stack'] = 'staging')),
  },
  { kind: 'role', name: "another stack's tag at our path", mapping: 'token', make: (f) => (role(f).tags['isoctl:stack'] = 'staging') },
  { kind: 'role', name: 'untagged', mapping: 'token', make: (f) => (role(f).tags = {}) },
  { kind: 'role', name: 'wrong managed-by', mapping: 'token', make: (f) => (role(f).tags['isoctl:managed-by'] = 'terraform') },
  { kind: 'role', name: 'tagged for another tenant', mapping: 'token', make: (f) => (role(f).tags['isoctl:tenant'] = 'globex') },
  { kind: 'group', name: 'without the mark', mapping: 'token', make: (f) => (f.groups.get('acme')!.description = 'admins') },
  {
    kind: 'group',
    name: "another stack's mark",
    mapping: 'token',
    make: (f) => (f.groups.get('acme')!.description = 'managed by isoctl: stack=staging tenant=acme'),
  },
  {
    kind: 'group',
    name: 'marked for another tenant',
    mapping: 'token',
    make: (f) => (f.groups.get('acme')!.description = 'managed by isoctl: stack=test tenant=globex'),
  },
  { kind: 'group', name: "redirected to another stack's role", mapping: 'token', make: (f) => (f.groups.get('acme')!.roleArn = otherStackArn) },
  { kind: 'rule', name: "mapping to another stack's role", mapping: 'rules', make: (f) => setRuleArn(f, otherStackArn) },
  {
    kind: 'rule',
    name: 'mapping to a role below the stack path',
    mapping: 'rules',
    make: (f) => setRuleArn(f, `arn:aws:iam::${ACCOUNT}:role/isoctl/test/sub/isoctl-test-acme`),
  },
  {
    kind: 'rule',
    name: "mapping to another tenant's role",
    mapping: 'rules',
    make: (f) => setRuleArn(f, `arn:aws:iam::${ACCOUNT}:role/isoctl/test/isoctl-test-globex`),
  },
  {
    kind: 'probe-user',
    name: 'carrying another tenant in its claim',
    mapping: 'rules',
    make: (f) => (f.users.get('isoctl-probe-acme')!.attributes['custom:tenant'] = 'globex'),
  },
  { kind: 'silo-table', name: 'tagged for another tenant', mapping: 'token', silo: true, make: (f) => tagTable(f, { 'isoctl:tenant': 'globex' }) },
  { kind: 'silo-table', name: 'without a tenant tag', mapping: 'token', silo: true, make: (f) => tagTable(f, { 'isoctl:tenant': undefined }) },
  { kind: 'silo-table', name: 'untagged', mapping: 'token', silo: true, make: (f) => f.tableTags.set(table(f).arn, {}) },
];

function setRuleArn(fake: FakeAws, arn: string): void {
  const rules = fake.poolRoles.RoleMappings[mappingKeyOf(fake.config)]!.RulesConfiguration!.Rules;
  rules.find((r) => r.Value === 'acme')!.RoleArn = arn;
}
const table = (fake: FakeAws) => fake.tables.get('Files-acme')!;
function tagTable(fake: FakeAws, change: Record<string, string | undefined>): void {
  const tags = { ...fake.tableTags.get(table(fake).arn) };
  for (const [k, v] of Object.entries(change))
    if (v === undefined) delete tags[k];
    else tags[k] = v;
  fake.tableTags.set(table(fake).arn, tags);
}

/** The control of each kind: the same setup, left genuine. */
const CONTROLS: LookAlike[] = [...new Map(CASES.map((c) => [`${c.kind}/${c.mapping}/${c.silo}`, { ...c, name: 'genuine', make: undefined }])).values()];

async function setUp(c: LookAlike) {
  const env = await stackWithAcme(c.mapping, c.silo);
  c.make?.(env.fake);
  env.fake.calls.length = 0;
  return env;
}

describe.each([...CASES, ...CONTROLS].map((c) => [`${c.kind} ${c.name}`, c] as const))('%s', (_label, c) => {
  const lookAlike = c.make !== undefined;

  it('tenant create refuses it (exit 4, not_owned) before any change', async () => {
    const { fake, ctx } = await setUp(c);
    const run = createTenant(ctx, { tenant: 'acme', wait: 'none', timeoutMs: 5000, dryRun: false });
    if (!lookAlike) return void (await expect(run).resolves.toMatchObject({ tenant: 'acme' }));
    await expect(run).rejects.toBeInstanceOf(RefusedError);
    await expect(run).rejects.toMatchObject({ code: 'not_owned' });
    expect(fake.mutatingCalls()).toEqual([]);
  });

  it('tenant delete refuses it (or keeps the silo table) and changes nothing of it', async () => {
    const { fake, ctx } = await setUp(c);
    const run = deleteTenant(ctx, { tenant: 'acme', dryRun: false, ignoreMissing: false });
    if (c.kind === 'silo-table') {
      // Silo tables are never removed, genuine or not: the rest of the tenant goes, the table stays.
      await expect(run).resolves.toMatchObject({ status: 'deleted', kept: ['Files-acme'] });
      expect(fake.tables.has('Files-acme')).toBe(true);
      return;
    }
    if (!lookAlike) return void (await expect(run).resolves.toMatchObject({ status: 'deleted' }));
    await expect(run).rejects.toMatchObject({ code: 'not_owned' });
    expect(fake.mutatingCalls()).toEqual([]);
  });

  it('gc never plans it, and an apply whose plan predates the change leaves it alone', async () => {
    if (c.kind === 'silo-table') return;
    const env = await stackWithAcme(c.mapping, c.silo);
    const { fake } = env;
    // Make acme garbage first: an orphan role (role cases) or a dangling mapping / probe user.
    if (c.kind === 'role') {
      fake.groups.delete('acme');
      fake.users.delete('isoctl-probe-acme');
    } else {
      role(fake).policies.clear();
      fake.roles.delete('isoctl-test-acme');
    }
    const ops = new FakeOps(fake);
    const scan = async () => {
      const { listing, reads } = await scanForGc(fake.apis(), ops, fake.config, clock, 4);
      return planGc(fake.config, listing, reads, { now: Date.now(), minAgeMs: 0 });
    };
    const target = c.kind === 'role' ? 'isoctl-test-acme' : c.kind === 'group' ? 'acme' : c.kind === 'rule' ? 'custom:tenant=acme' : 'isoctl-probe-acme';
    const genuinePlan = await scan();
    expect(genuinePlan.find((i) => i.target === target)?.state).toBe('planned');
    if (!lookAlike) return;
    c.make!(fake);
    expect((await scan()).find((i) => i.target === target)).toBeUndefined();
    // The plan made before the change is applied: the re-check under apply refuses the look-alike.
    await applyGc({ ...clock, apis: fake.apis(), config: fake.config }, genuinePlan, { concurrency: 1, timeoutMs: 2000, minAgeMs: 0 });
    const item = genuinePlan.find((i) => i.target === target)!;
    if (c.kind === 'probe-user') return; // probe users have no re-read in apply: their tenant's role absence is re-checked instead
    expect(item.state).toBe('skipped');
    if (c.kind === 'role') expect(fake.roles.has('isoctl-test-acme')).toBe(true);
    if (c.kind === 'group') expect(fake.groups.has('acme')).toBe(true);
    if (c.kind === 'rule') expect(fake.poolRoles.RoleMappings[mappingKeyOf(fake.config)]!.RulesConfiguration!.Rules.some((r) => r.Value === 'acme')).toBe(true);
  });

  it("tenant list --deep never shows it as acme's healthy piece", async () => {
    if (c.kind === 'silo-table' || c.kind === 'probe-user') return;
    const { ctx } = await setUp(c);
    const acme = (await listTenants(ctx, { deep: true })).tenants.find((t) => t.tenant === 'acme')!;
    if (!lookAlike) return void expect(acme.status).toBe('ok');
    expect(acme.status).not.toBe('ok');
    if (c.kind === 'role') expect(acme.role === null || acme.drift.includes('ownership')).toBe(true);
    else expect(acme.mapping).toBeNull();
  });

  it("explain says the role is not the stack's", async () => {
    if (c.kind !== 'role') return;
    const { fake } = await setUp(c);
    const snapshot = (await readRoleSnapshot(fake.apis(), 'isoctl-test-acme'))!;
    const msg = accessDeniedMessage(
      `arn:aws:sts::${ACCOUNT}:assumed-role/isoctl-test-acme/CognitoIdentityCredentials`,
      'dynamodb:GetItem',
      `arn:aws:dynamodb:eu-central-1:${ACCOUNT}:table/Orders`,
      {
        decision: 'ImplicitDeny',
        decidedBy: [],
        reason: 'no identity-based policy allows the dynamodb:GetItem action',
      },
    );
    const denial = parseAccessDenied(msg);
    const facts = factsFromFlags(
      {},
      { action: denial.action, table: denial.table, region: 'eu-central-1', accountId: ACCOUNT, config: fake.config, tenant: 'acme' },
    );
    const r = analyzeDenial({ denial, config: fake.config, role: snapshot, principalTagMap: { known: false, tags: undefined }, facts, at: Date.now() });
    expect(r.role?.managedByStack).toBe(!lookAlike);
    const ids = [r.cause, ...r.others].map((x) => x.id);
    if (lookAlike) expect(ids).toContain('not-isoctl-role');
    else expect(ids).not.toContain('not-isoctl-role');
  });
});

describe('ownership is decided only in src/tenant/resources', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
    });
  // The marks isoctl recognises its resources by, compared anywhere but in the resource modules.
  const PRIMITIVES = [
    /\[TAG_MANAGED_BY\]\s*[!=]==\s*MANAGED_BY_VALUE/,
    /\[TAG_STACK\]\s*[!=]==/,
    /isManagedGroupDescription\(/,
    /\.path\s*[!=]==\s*stackPath\(/,
    /:role\$\{stackPath\(/,
    /roleOwnershipProblem|roleOwnedByStack/,
  ];

  it("no source file outside src/tenant/resources compares isoctl's tags, marks or path", () => {
    const offenders: string[] = [];
    for (const f of files('src')) {
      if (f.startsWith(join('src', 'tenant', 'resources')) || f.startsWith(join('src', 'sandbox')) || f.startsWith(join('src', 'policy'))) continue;
      if (f === join('src', 'tenant', 'names.ts')) continue; // defines the group mark the group module reads
      const text = readFileSync(f, 'utf8');
      for (const re of PRIMITIVES) if (re.test(text)) offenders.push(`${f}: ${re}`);
    }
    expect(offenders).toEqual([]);
  });

  it("the filters callers reach are the modules' own objects (module identity)", async () => {
    const index = await import('../../src/tenant/resources/index.js');
    const [roleMod, groupMod, ruleMod, probeMod, siloMod] = await Promise.all([
      import('../../src/tenant/resources/role.js'),
      import('../../src/tenant/resources/group.js'),
      import('../../src/tenant/resources/rule.js'),
      import('../../src/tenant/resources/probe-user.js'),
      import('../../src/tenant/resources/silo-table.js'),
    ]);
    expect(index.role.owned).toBe(roleMod.owned);
    expect(index.group.owned).toBe(groupMod.owned);
    expect(index.rule.owned).toBe(ruleMod.owned);
    expect(index.probeUser.owned).toBe(probeMod.owned);
    expect(index.siloTable.owned).toBe(siloMod.owned);
    // What plan.ts and apply.ts hand on is the rule module's, not a copy.
    const plan = await import('../../src/tenant/plan.js');
    const apply = await import('../../src/tenant/apply.js');
    expect(plan.findTenantRule).toBe(ruleMod.findTenantRule);
    expect(apply.rulesEntry).toBe(ruleMod.rulesEntry);
  });

  it('every caller imports the resource modules', () => {
    for (const f of [
      'src/tenant/plan.ts',
      'src/tenant/delete.ts',
      'src/tenant/inventory.ts',
      'src/ops/gc/plan.ts',
      'src/ops/gc/apply.ts',
      'src/ops/explain/causes-principal.ts',
      'src/ops/doctor/checks-iam.ts',
    ])
      expect(readFileSync(f, 'utf8'), f).toMatch(/from '\.{1,2}\/(?:\.\.\/)*(?:tenant\/)?resources\/index\.js'/);
  });
});
