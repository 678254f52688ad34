// `isoctl gc` end to end: the built CLI against the sandbox (with lag), on garbage made by hand
// through the SDK adapters (not through isoctl): orphaned and half-created roles, a dangling
// group or rule, stale probe users; next to things gc must never list (a role outside the stack
// path with a matching name, an untagged role at the path) and a young half-created tenant.
// Dry run makes zero mutating calls (request log); --apply leaves exactly the expected
// resources; under throttling faults the run still ends in the right state.
import { CreateRoleCommand, DeleteRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { createAwsClients } from '../../src/aws/clients.js';
import { boundaryPolicyArn, buildDataPolicy, buildTrustPolicy, serializePolicy, tenantRoleArn, tenantTags } from '../../src/policy/index.js';
import type { StackConfig } from '../../src/config/schema.js';
import { groupDescription } from '../../src/tenant/names.js';
import { mappingKeyOf } from '../../src/tenant/observe.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type RequestLogLine, type TestSandbox } from '../helpers/sandbox.js';

// Long enough that the young role stays younger than it through the four gc runs before the
// last test on a loaded machine (10 s did not hold at load average 10-30).
const MIN_AGE_S = 40;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mutating = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating).map((l) => `${l.service} ${l.operation}`);

function tags(config: StackConfig, tenant: string): Record<string, string> {
  return Object.fromEntries(tenantTags(config, tenant).map((t) => [t.Key, t.Value]));
}

/** A tenant role made by hand the way isoctl makes it (optionally without its inline policy, elsewhere, or untagged). */
async function handRole(apis: AwsApis, config: StackConfig, tenant: string, o: { policy?: boolean; path?: string; tagged?: boolean } = {}): Promise<void> {
  const name = `isoctl-${config.stack}-${tenant}`;
  await apis.iam.createRole({
    name,
    path: o.path ?? `/isoctl/${config.stack}/`,
    trustPolicy: serializePolicy(buildTrustPolicy(config)),
    permissionsBoundaryArn: boundaryPolicyArn(config),
    tags: o.tagged === false ? {} : tags(config, tenant),
  });
  if (o.policy !== false) await apis.iam.putRolePolicy(name, 'isoctl-data', serializePolicy(buildDataPolicy(config, tenant)));
}

async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= 20) throw err;
      await sleep(100);
    }
  }
}

describe('gc on the sandbox (token mapping, lag 300 ms)', () => {
  let sb: TestSandbox;
  let apis: AwsApis;
  let config: StackConfig;
  let youngAt = 0;
  const cli = (args: string[], input?: string): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000, input });

  beforeAll(async () => {
    sb = await startTestSandbox({ stack: 'gce', mapping: 'token', lag: { iam: 300, cognito: 300, dynamodb: 300 } });
    apis = awsApis(sb.clients);
    config = sb.config;
    expect((await cli(['init'])).code).toBe(0);
    const keep = await cli(['tenant', 'create', 'keep', '--wait', 'cognito']);
    expect(keep.code, keep.stderr).toBe(0);
    const pool = config.userPoolId;
    // Garbage, by hand:
    await handRole(apis, config, 'orphan1'); // no group maps it
    await handRole(apis, config, 'orphan2');
    await apis.cognitoIdp.adminCreateUser(pool, 'isoctl-probe-orphan1', {});
    await handRole(apis, config, 'half', { policy: false }); // half-created: no inline policy, no group
    await apis.cognitoIdp.createGroup(pool, { name: 'gone', roleArn: tenantRoleArn(config, 'gone'), description: groupDescription(config, 'gone') }); // role never existed
    await apis.cognitoIdp.adminCreateUser(pool, 'isoctl-probe-gone', {});
    await apis.cognitoIdp.adminCreateUser(pool, 'isoctl-probe-ghost', {}); // tenant that no longer exists
    // Never to be listed:
    await handRole(apis, config, 'outside', { path: '/' }); // matching name, outside the stack path
    await handRole(apis, config, 'untagged', { tagged: false }); // at the stack path, without isoctl's tags
    await apis.cognitoIdp.createGroup(pool, { name: 'admins', roleArn: 'arn:aws:iam::000000000000:role/admins', description: 'made by hand' });
    await sleep(MIN_AGE_S * 1000 + 500);
    // Young: a tenant create that just made its role.
    youngAt = Date.now();
    await handRole(apis, config, 'young', { policy: false });
    await sleep(400); // IAM's lag: ListRoles shows it after 300 ms
  }, 120_000);

  afterAll(async () => {
    await sb?.stop();
  });

  const expected = [
    'planned probe-user isoctl-probe-ghost',
    'planned group gone',
    'planned probe-user isoctl-probe-gone',
    'planned role isoctl-gce-half',
    'planned probe-user isoctl-probe-orphan1',
    'planned role isoctl-gce-orphan1',
    'planned role isoctl-gce-orphan2',
    'skipped role isoctl-gce-young',
  ];

  it('dry run: every orphan with its reason, the young one skipped, nothing else listed; zero mutating calls; exit 0', async () => {
    const mark = sb.mark();
    const r = await cli(['gc', '--min-age', `${MIN_AGE_S}s`, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc.dryRun).toBe(true);
    expect(doc.items.map((i: { state: string; kind: string; target: string }) => `${i.state} ${i.kind} ${i.target}`)).toEqual(expected);
    const reason = Object.fromEntries(
      doc.items.map((i: { target: string; reason: string; detail?: string }) => [i.target, `${i.reason}${i.detail ? ` | ${i.detail}` : ''}`]),
    );
    expect(reason['isoctl-gce-half']).toMatch(/^half-created tenant: role without its inline policy isoctl-data/);
    expect(reason['isoctl-gce-orphan1']).toMatch(/^orphaned role: no user pool group maps it/);
    expect(reason.gone).toMatch(/^group maps to arn:aws:iam::000000000000:role\/isoctl\/gce\/isoctl-gce-gone, which no longer exists/);
    expect(reason['isoctl-probe-ghost']).toMatch(/^probe user of tenant ghost, which no longer exists/);
    expect(reason['isoctl-gce-young']).toMatch(/younger than --min-age 40s/);
    expect(JSON.stringify(doc)).not.toMatch(/outside|untagged|admins|"keep"/);
    expect(doc.counts).toMatchObject({ planned: 7, skipped: 1, removed: 0 });
    const calls = sb.since(mark);
    expect(mutating(calls)).toEqual([]);
    // One ListRoles scan, not a call per role; per-role reads only for the 5 suspects (GetRole + ListRolePolicies for the
    // 4 unmapped stack roles, GetRole to confirm the 2 missing ones).
    const count = (op: string) => calls.filter((c) => c.operation === op).length;
    expect(count('ListRoles')).toBe(1);
    expect(count('ListGroups')).toBe(1);
    expect(count('ListUsers')).toBe(1);
    expect(count('ListRolePolicies')).toBe(5); // orphan1, orphan2, half, young, untagged
    expect(count('GetRole')).toBe(5 + 2);
  });

  it('the human plan is a table on stdout; nothing on stdout but the plan', async () => {
    const r = await cli(['gc', '--min-age', `${MIN_AGE_S}s`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^plan for stack gce \(dry run/);
    expect(r.stdout).toMatch(/KIND\s+TENANT\s+TARGET\s+STATE\s+AGE\s+WHY/);
    expect(r.stdout).toMatch(/7 planned, 1 skipped/);
  });

  it('--apply without a terminal and without --yes refuses (exit 2) and changes nothing', async () => {
    const mark = sb.mark();
    const r = await cli(['gc', '--apply', '--min-age', `${MIN_AGE_S}s`, '--json']);
    expect(r.code).toBe(2);
    expect(r.json().error.code).toBe('confirmation_required');
    expect(mutating(sb.since(mark))).toEqual([]);
  });

  it('--apply --yes removes exactly the planned items and leaves everything else; a second run finds nothing due', async () => {
    const mark = sb.mark();
    const r = await cli(['gc', '--apply', '--yes', '--min-age', `${MIN_AGE_S}s`, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc.dryRun).toBe(false);
    expect(doc.counts).toEqual({ planned: 0, removed: 7, waiting: 0, failed: 0, skipped: 1 });
    expect(doc.items.find((i: { target: string }) => i.target === 'isoctl-gce-orphan1').detail).toBe('inline policies isoctl-data and the role deleted');
    expect(mutating(sb.since(mark)).sort()).toEqual(
      [
        'cognito-idp DeleteGroup',
        'cognito-idp AdminDeleteUser',
        'cognito-idp AdminDeleteUser',
        'cognito-idp AdminDeleteUser',
        'iam DeleteRolePolicy',
        'iam DeleteRolePolicy',
        'iam DeleteRole',
        'iam DeleteRole',
        'iam DeleteRole',
      ].sort(),
    );

    const roles = (await apis.iam.listStackRoles('gce')).map((x) => x.name).sort();
    expect(roles).toEqual(['isoctl-gce-keep', 'isoctl-gce-untagged', 'isoctl-gce-young']);
    expect(await apis.iam.getRole('isoctl-gce-outside')).toBeDefined();
    expect((await apis.cognitoIdp.listGroups(config.userPoolId)).map((g) => g.name).sort()).toEqual(['admins', 'keep']);
    for (const u of ['isoctl-probe-orphan1', 'isoctl-probe-gone', 'isoctl-probe-ghost'])
      expect(await apis.cognitoIdp.adminGetUser(config.userPoolId, u)).toBeUndefined();
    expect(await apis.cognitoIdp.adminGetUser(config.userPoolId, 'isoctl-probe-keep')).toBeDefined();
    // The healthy tenant still converges end to end.
    const verify = await cli(['tenant', 'verify', 'keep', '--json']);
    expect(verify.code, verify.stderr).toBe(0);

    const again = await cli(['gc', '--apply', '--yes', '--min-age', `${MIN_AGE_S}s`, '--json']);
    expect(again.code).toBe(0);
    expect(again.json().items.map((i: { state: string; target: string }) => `${i.state} ${i.target}`)).toEqual(['skipped isoctl-gce-young']);
  });

  it('once old enough, the half-created tenant goes too', async () => {
    // Past a --min-age it is older than (instead of sleeping out the 40 s).
    await sleep(Math.max(0, youngAt + 2_500 - Date.now()));
    const r = await cli(['gc', '--apply', '--yes', '--min-age', '2s', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().items.map((i: { state: string; target: string }) => `${i.state} ${i.target}`)).toEqual(['removed isoctl-gce-young']);
    expect(await apis.iam.getRole('isoctl-gce-young')).toBeUndefined();
  });
});

describe('gc under throttling faults (rules mapping; the run ends in the right state)', () => {
  let sb: TestSandbox;
  let faulty: RunningSandbox | undefined;

  afterAll(async () => {
    await faulty?.close();
    if (sb) rmSync(sb.stateDir, { recursive: true, force: true });
  });

  it('throttle=0.3 on every API: all garbage removed, the live tenant and the other rules kept, exit 0', async () => {
    sb = await startTestSandbox({ stack: 'gcr', mapping: 'rules', lag: { iam: 200, cognito: 200, dynamodb: 200 }, keep: true });
    const apis = awsApis(sb.clients);
    const config = sb.config;
    const cli = (args: string[]) => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 90_000 });
    expect((await cli(['init'])).code).toBe(0);
    expect((await cli(['tenant', 'create', 'live', '--wait', 'iam'])).code).toBe(0);
    for (const t of ['o1', 'o2', 'o3', 'o4']) await handRole(apis, config, t);
    await handRole(apis, config, 'h1', { policy: false });
    // A rule for a tenant whose role is gone, and a foreign rule that must stay.
    const key = mappingKeyOf(config);
    const roles = await apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId);
    const entry = roles.RoleMappings[key]!;
    const foreign = { Claim: 'custom:team', MatchType: 'Equals' as const, Value: 'ops', RoleArn: 'arn:aws:iam::000000000000:role/ops' };
    entry.RulesConfiguration!.Rules.push({ Claim: 'custom:tenant', MatchType: 'Equals', Value: 'dead', RoleArn: tenantRoleArn(config, 'dead') }, foreign);
    // Cognito refuses a rule whose role IAM does not show it: both roles exist when the rules are
    // written (after the lag), then the tenant's role goes, leaving its rule dangling.
    const iam = await sb.clients.iam();
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    await iam.send(new CreateRoleCommand({ RoleName: 'ops', Path: '/', AssumeRolePolicyDocument: trust }));
    const dead = tenantRoleArn(config, 'dead');
    await iam.send(
      new CreateRoleCommand({
        RoleName: dead.slice(dead.lastIndexOf('/') + 1),
        Path: dead.slice(dead.indexOf(':role') + 5, dead.lastIndexOf('/') + 1),
        AssumeRolePolicyDocument: trust,
      }),
    );
    await sleep(400);
    await apis.cognitoIdentity.setIdentityPoolRoles(config.identityPoolId, roles);
    await iam.send(new DeleteRoleCommand({ RoleName: dead.slice(dead.lastIndexOf('/') + 1) }));
    await apis.cognitoIdp.adminCreateUser(config.userPoolId, 'isoctl-probe-dead', { 'custom:tenant': 'dead' });
    await sleep(2200);
    await sb.stop(); // keeps the state dir

    faulty = await startSandbox({
      stateDir: sb.stateDir,
      lag: { iam: 200, cognito: 200, dynamodb: 200 },
      faults: { throttle: 0.3 },
      seed: 7,
      waitForAttached: false,
    });
    const logBefore = readFileSync(faulty.requestLogPath, 'utf8').split('\n').filter(Boolean).length;
    const r = await cli(['gc', '--apply', '--yes', '--min-age', '2s', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc.items.map((i: { state: string; kind: string; target: string }) => `${i.state} ${i.kind} ${i.target}`)).toEqual([
      'removed rule custom:tenant=dead',
      'removed probe-user isoctl-probe-dead',
      'removed role isoctl-gcr-h1',
      'removed role isoctl-gcr-o1',
      'removed role isoctl-gcr-o2',
      'removed role isoctl-gcr-o3',
      'removed role isoctl-gcr-o4',
    ]);
    const log = readFileSync(faulty.requestLogPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .slice(logBefore)
      .map((l) => JSON.parse(l) as RequestLogLine & { fault?: string });
    expect(log.filter((l) => l.fault === 'throttle').length).toBeGreaterThan(5);
    await faulty.close();
    faulty = undefined;

    // Check what is left with a fault-free server on the same state.
    const clean = await startSandbox({ stateDir: sb.stateDir, waitForAttached: false });
    try {
      const a = awsApis(createAwsClients({ region: clean.region, endpoint: clean.endpoint, credentials: clean.credentials }));
      expect((await retrying(() => a.iam.listStackRoles('gcr'))).map((x) => x.name)).toEqual(['isoctl-gcr-live']);
      const rules = (await a.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId)).RoleMappings[key]!.RulesConfiguration!.Rules;
      expect(rules.map((x) => `${x.Claim}=${x.Value}`)).toEqual(['custom:tenant=live', 'custom:team=ops']);
      expect(await a.cognitoIdp.adminGetUser(config.userPoolId, 'isoctl-probe-dead')).toBeUndefined();
      expect(await a.cognitoIdp.adminGetUser(config.userPoolId, 'isoctl-probe-live')).toBeDefined();
      a.close();
    } finally {
      await clean.close();
    }
  });
});
