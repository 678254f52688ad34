// `isoctl gc` in ABAC mode (issue 12), through the built CLI on the sandbox: a tenant whose registry row is gone is an orphan (its probe user goes,
// its silo table is listed and kept); a healthy tenant is untouched; a tombstone stays while a
// user carries the tenant's claim and while within the longest token lifetime, and goes after.
// Time is driven by writing a tombstone's date in the past, never by sleeping.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { lockTableName } from '../../src/config/schema.js';
import { denyDocument, readDenyEntries, serializePolicy, TOMBSTONE_POLICY_NAME, type DenyEntry } from '../../src/policy/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type RequestLogLine, type TestSandbox } from '../helpers/sandbox.js';

const mutating = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating).map((l) => `${l.service} ${l.operation}`);
type Item = { state: string; kind: string; target: string; reason: string; detail?: string };
const rows = (doc: { items: Item[] }) => doc.items.map((i) => `${i.state} ${i.kind} ${i.target}`);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const minuteIso = (ms: number) => iso(Math.floor(ms / 60_000) * 60_000);
const DAY = 86_400_000;

describe('gc in ABAC mode on the sandbox', () => {
  let sb: TestSandbox;
  let apis: AwsApis;
  const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });
  const scopeRoles = ['isoctl-gca-read', 'isoctl-gca-write'];
  const tombstonesOn = async (role: string) => readDenyEntries(await apis.iam.getRolePolicy(role, TOMBSTONE_POLICY_NAME));
  const revocationsOn = async (role: string) => readDenyEntries(await apis.iam.getRolePolicy(role, 'isoctl-revocations'));

  beforeAll(async () => {
    sb = await startTestSandbox({ stack: 'gca', mapping: 'abac' });
    apis = awsApis(sb.clients);
    const cfg = JSON.parse(readFileSync(sb.configPath, 'utf8'));
    cfg.tables.push({ name: 'gca-files', partitionKey: 'pk', model: 'silo' });
    writeFileSync(sb.configPath, JSON.stringify(cfg, null, 2));
    expect((await cli(['init'])).code).toBe(0);
    // One bulk create (apply in ABAC mode).
    const c = await cli(['tenant', 'create', 'keep', 'orph', 'gone', '--wait', 'none']);
    expect(c.code, c.stderr).toBe(0);
    // orph: its registry row removed by hand (an operator's mistake, or a crash between steps).
    expect(await apis.registry.remove(lockTableName(sb.config), 'tenant#orph')).toBe(true);
    // gone: deleted the ABAC way (tombstone dated now, probe user gone, row gone).
    const d = await cli(['tenant', 'delete', 'gone', '--yes']);
    expect(d.code, d.stderr).toBe(0);
    // Two tombstones written two days ago: "old" (no user left) and "held" (a user still carries its claim).
    for (const role of scopeRoles) {
      const now = await tombstonesOn(role);
      const past = minuteIso(Date.now() - 2 * DAY);
      const doc = denyDocument([...now, { kind: 'deleted', tenant: 'old', at: past }, { kind: 'deleted', tenant: 'held', at: past }])!;
      await apis.iam.putRolePolicy(role, TOMBSTONE_POLICY_NAME, serializePolicy(doc));
      // ABAC revoke-sessions entries: one 13 h old (past every credential), one recent.
      const revoked: DenyEntry[] = [
        { kind: 'revoked', tenant: 'keep', issuedBefore: iso(Math.floor((Date.now() - 13 * 3_600_000) / 1000) * 1000) },
        { kind: 'revoked', tenant: 'keep', issuedBefore: iso(Math.floor((Date.now() - 3_600_000) / 1000) * 1000) },
      ];
      await apis.iam.putRolePolicy(role, 'isoctl-revocations', serializePolicy(denyDocument(revoked)!));
    }
    await apis.cognitoIdp.adminCreateUser(sb.config.userPoolId, 'held-user', { 'custom:tenant': 'held' });
  }, 120_000);

  afterAll(async () => {
    await sb?.stop();
  });

  it('dry run: the young orphan skipped, its silo table kept, tombstones kept for the right reasons; nothing of keep; zero mutating calls', async () => {
    const mark = sb.mark();
    const r = await cli(['gc', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc.mapping).toBe('abac');
    expect(rows(doc)).toEqual([
      'skipped probe-user isoctl-probe-orph',
      'skipped silo-table gca-files-orph',
      'skipped tombstone isoctl-tombstones:gone',
      'skipped tombstone isoctl-tombstones:held',
      'planned tombstone isoctl-tombstones:old',
      expect.stringMatching(/^planned revocation isoctl-revocations:keep@/),
      // `tenant delete gone` left deleted#gone (docs/security.md row 12d): kept while it refuses the id.
      'skipped deleted-id deleted#gone',
    ]);
    const by = Object.fromEntries(doc.items.map((i: Item) => [i.target, `${i.reason} | ${i.detail ?? ''}`]));
    expect(by['isoctl-probe-orph']).toMatch(/not in the registry .*younger than --min-age 1h/);
    expect(by['gca-files-orph']).toMatch(/never deletes/);
    expect(by['isoctl-tombstones:gone']).toMatch(/within the longest token lifetime \(ID token 24h .* \+ credentials 12h\)/);
    expect(by['isoctl-tombstones:held']).toMatch(/1 user\(s\) still carry custom:tenant=held \(held-user\)/);
    expect(by['isoctl-tombstones:old']).toMatch(/no user carries custom:tenant=old and the longest token lifetime/);
    expect(by['deleted#gone']).toMatch(/within the longest token lifetime .*may go after/);
    // Nothing of the healthy tenant but its old revocation; never a scope role or group.
    expect(JSON.stringify(doc.items.filter((i: Item) => i.kind !== 'revocation'))).not.toMatch(/"keep"|isoctl-gca-read"|isoctl-gca-write"|isoctl-probe-keep/);
    expect(mutating(sb.since(mark))).toEqual([]);
  });

  it('--apply --yes --min-age 0s: the orphan probe user and the expired tombstone go; keep, its table and the other tombstones stay', async () => {
    const r = await cli(['gc', '--apply', '--yes', '--min-age', '0s', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(rows(r.json())).toEqual([
      'removed probe-user isoctl-probe-orph',
      'skipped silo-table gca-files-orph',
      'skipped tombstone isoctl-tombstones:gone',
      'skipped tombstone isoctl-tombstones:held',
      'removed tombstone isoctl-tombstones:old',
      expect.stringMatching(/^removed revocation isoctl-revocations:keep@/),
      'skipped deleted-id deleted#gone',
    ]);
    // The recent revocation stays on every scope role; the 13 h old one is gone.
    for (const role of scopeRoles) expect((await revocationsOn(role)).map((e) => Date.now() - Date.parse(e.issuedBefore!) < 2 * 3_600_000)).toEqual([true]);
    for (const role of scopeRoles) expect((await tombstonesOn(role)).map((t) => t.tenant)).toEqual(['gone', 'held']);
    expect(await apis.cognitoIdp.adminGetUser(sb.config.userPoolId, 'isoctl-probe-orph')).toBeUndefined();
    expect(await apis.cognitoIdp.adminGetUser(sb.config.userPoolId, 'isoctl-probe-keep')).toBeDefined();
    expect(await apis.dynamodb.describeTable('gca-files-orph')).toBeDefined();
    expect(await apis.dynamodb.describeTable('gca-files-keep')).toBeDefined();
    for (const role of scopeRoles) expect(await apis.iam.getRole(role)).toBeDefined();
    const v = await cli(['tenant', 'verify', 'keep', '--json']);
    expect(v.code, v.stderr).toBe(0);
  });

  it('a re-run makes zero mutating calls; once no user carries the claim, the held tombstone goes too', async () => {
    const mark = sb.mark();
    const again = await cli(['gc', '--apply', '--yes', '--min-age', '0s', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().counts).toMatchObject({ planned: 0, removed: 0 });
    expect(mutating(sb.since(mark))).toEqual([]);
    await apis.cognitoIdp.adminDeleteUser(sb.config.userPoolId, 'held-user');
    const r = await cli(['gc', '--apply', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(rows(r.json()).filter((x) => x.includes('tombstone'))).toEqual([
      'skipped tombstone isoctl-tombstones:gone',
      'removed tombstone isoctl-tombstones:held',
    ]);
    for (const role of scopeRoles) expect((await tombstonesOn(role)).map((t) => t.tenant)).toEqual(['gone']);
  });

  it('an undated tombstone (written before dates) is kept and dated by --apply, never dropped', async () => {
    for (const role of scopeRoles) {
      const doc = { Version: '2012-10-17', Statement: [...(denyDocument(await tombstonesOn(role))!.Statement as object[])] };
      doc.Statement.push({
        Sid: 'DeletedTenants',
        Effect: 'Deny',
        Action: ['dynamodb:*', 's3:*'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:PrincipalTag/isoctl-tenant': ['legacy'] } },
      });
      await apis.iam.putRolePolicy(role, TOMBSTONE_POLICY_NAME, JSON.stringify(doc));
    }
    const before = Date.now();
    const r = await cli(['gc', '--apply', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const legacy = r.json().items.find((i: Item) => i.target === 'isoctl-tombstones:legacy');
    expect(legacy).toMatchObject({ state: 'skipped' });
    expect(legacy.detail).toMatch(/undated/);
    for (const role of scopeRoles) {
      const l = (await tombstonesOn(role)).find((t) => t.tenant === 'legacy');
      expect(l?.at).toBeDefined();
      expect(Date.parse(l!.at!)).toBeGreaterThanOrEqual(Math.floor(before / 60_000) * 60_000);
    }
  });
});
