// A deleted tenant's id given to a new tenant (docs/security.md row 12d), through the built CLI on
// the sandbox, in the three mapping modes. Whoever still carries the old tenant gets into the new
// one: in rules mode every user whose claim is still the id, in token mode every ID token issued
// before the delete (it names the group's role, and the re-created role has the same ARN), in ABAC
// the tombstone keeps the re-created tenant dead. `tenant create` refuses (exit 4, nothing
// changed) until it is safe; `--reuse-id` takes the id back as the same tenant; gc drops the
// record `tenant delete` leaves once it refuses nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { lockTableName } from '../../src/config/schema.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type RequestLogLine, type TestSandbox } from '../helpers/sandbox.js';
import { freshCredentials, readPartition, signIn } from '../helpers/tenant-user.js';

const mutating = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating).map((l) => `${l.service} ${l.operation}`);

interface Stack {
  sb: TestSandbox;
  apis: AwsApis;
  cli(args: string[]): Promise<CliResult>;
  /** The deletion record as a delete `hours` ago would have left it. */
  backdate(tenant: string, hours: number): Promise<void>;
}

async function stack(name: string, mapping: 'token' | 'rules' | 'abac'): Promise<Stack> {
  const sb = await startTestSandbox({ stack: name, mapping });
  const apis = awsApis(sb.clients);
  const cli = (args: string[]) => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });
  const backdate = async (tenant: string, hours: number) => {
    const table = lockTableName(sb.config);
    const cur = await apis.registry.get(table, `deleted#${tenant}`);
    expect(cur, `deleted#${tenant}`).toBeDefined();
    const at = new Date(Date.now() - hours * 3_600_000).toISOString();
    const ok = await apis.registry.put(table, `deleted#${tenant}`, { ...cur!, version: cur!.version + 1, extra: { deletedAt: at } }, { version: cur!.version });
    expect(ok).toBe(true);
  };
  const init = await cli(['init']);
  expect(init.code, init.stderr).toBe(0);
  return { sb, apis, cli, backdate };
}

const errorOf = (r: CliResult) => r.json<{ error: { code: string; message: string; reasons: Array<{ kind: string }>; freeAt?: string } }>().error;

describe('rules mode: the old users still carry the claim', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await stack('rur', 'rules');
  }, 60_000);
  afterAll(async () => {
    await s?.sb.stop();
  });

  it('a deleted id is refused (naming the user, nothing changed, also with --dry-run) until --reuse-id; gc drops the record after', async () => {
    const { cli, sb, apis } = s;
    expect((await cli(['tenant', 'create', 'acme', '--wait', 'cognito'])).code).toBe(0);
    const alice = await signIn(sb, 'acme', 'alice');
    expect(await readPartition(sb, alice.credentials, 'acme')).toBe('allowed');
    const del = await cli(['tenant', 'delete', 'acme', '--yes', '--json']);
    expect(del.code, del.stderr).toBe(0);
    // The record is in the lock table; the registry (tenant list) does not show it.
    expect(await apis.registry.get(lockTableName(sb.config), 'deleted#acme')).toMatchObject({ tenant: 'acme', mode: 'rules' });
    expect((await apis.registry.scan(lockTableName(sb.config), 'tenant#')).rows.map((r) => r.row.tenant)).not.toContain('acme');

    const mark = sb.mark();
    const refused = await cli(['tenant', 'create', 'acme', '--json']);
    expect(refused.code, refused.stderr).toBe(4);
    const err = errorOf(refused);
    expect(err.code).toBe('tenant_id_recently_deleted');
    expect(err.reasons.map((r) => r.kind)).toEqual(['recently-deleted', 'claim-holders']);
    expect(err.message).toContain('alice');
    expect(err.message).toContain('isoctl user remove');
    expect(Date.parse(err.freeAt!)).toBeGreaterThan(Date.now() + 12 * 3_600_000);
    const dry = await cli(['tenant', 'create', 'acme', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(4);
    expect(errorOf(dry).code).toBe('tenant_id_recently_deleted');
    expect(mutating(sb.since(mark))).toEqual([]);
    // The apply engine (several ids, apply -f) checks each new id the same way: acme refused, globex made.
    const multi = await cli(['tenant', 'create', 'acme', 'globex', '--wait', 'none', '--json']);
    expect(multi.code, multi.stderr).toBe(1);
    const outcome = (t: string) => multi.json().tenants.find((x: { tenant: string }) => x.tenant === t);
    expect(outcome('acme')).toMatchObject({ action: 'refused', status: 'failed', code: 'tenant_id_recently_deleted' });
    expect(outcome('globex')).toMatchObject({ action: 'create', status: 'created' });

    // Long after the delete, alice alone still refuses it: she would be mapped into the new acme.
    await s.backdate('acme', 48);
    const still = await cli(['tenant', 'create', 'acme', '--json']);
    expect(still.code, still.stderr).toBe(4);
    expect(errorOf(still).reasons.map((r) => r.kind)).toEqual(['claim-holders']);

    expect((await cli(['tenant', 'create', 'acme', 'globex', '--reuse-id'])).code).toBe(2);
    const back = await cli(['tenant', 'create', 'acme', '--reuse-id', '--wait', 'cognito', '--json']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.json()).toMatchObject({ tenant: 'acme', status: 'created', idReuse: { verdict: 'reuse' } });
    // The same tenant is back: a re-run is a repair, no flag needed.
    expect((await cli(['tenant', 'create', 'acme', '--wait', 'none'])).code).toBe(0);

    // gc: the tenant is registered again, so its record refuses nothing and goes.
    const gc = await cli(['gc', '--apply', '--yes', '--json']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.json().items.filter((i: { kind: string }) => i.kind === 'deleted-id')).toMatchObject([{ target: 'deleted#acme', state: 'removed' }]);
    expect(await apis.registry.get(lockTableName(sb.config), 'deleted#acme')).toBeUndefined();
  }, 60_000);
});

describe('token mode: the old users still hold ID tokens naming the role', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await stack('rut', 'token');
  }, 60_000);
  afterAll(async () => {
    await s?.sb.stop();
  });

  it('refused within the token window; the attack it prevents: with --reuse-id an old ID token reaches the NEW tenant', async () => {
    const { cli, sb, apis } = s;
    expect((await cli(['tenant', 'create', 'acme', '--wait', 'cognito'])).code).toBe(0);
    const bob = await signIn(sb, 'acme', 'bob');
    expect((await cli(['tenant', 'delete', 'acme', '--yes'])).code).toBe(0);

    const mark = sb.mark();
    const refused = await cli(['tenant', 'create', 'acme', '--json']);
    expect(refused.code, refused.stderr).toBe(4);
    expect(errorOf(refused).reasons.map((r) => r.kind)).toEqual(['recently-deleted']);
    expect(refused.stderr).toMatch(/the id is free at \d{4}-\d\d-\d\dT/);
    expect(mutating(sb.since(mark))).toEqual([]);

    // Bypassed: a new acme (new group, nobody in it) is created with the freed id.
    const taken = await cli(['tenant', 'create', 'acme', '--reuse-id', '--wait', 'cognito', '--json']);
    expect(taken.code, taken.stderr).toBe(0);
    const members = (await apis.cognitoIdp.listUsersInGroup(sb.config.userPoolId, 'acme')) ?? [];
    expect(members.map((u) => u.username)).not.toContain('bob');
    // bob, a user of the OLD acme, buys credentials of the NEW acme's role with his old ID token
    // (cognito:preferred_role names the same ARN) and reads the new tenant's partition.
    const stolen = await freshCredentials(sb, bob);
    expect(await readPartition(sb, stolen, 'acme')).toBe('allowed');
  }, 60_000);

  it('once the token + credential lifetime has passed, the id is free: gc drops the record, create needs no flag', async () => {
    const { cli, sb, apis } = s;
    expect((await cli(['tenant', 'create', 'globex', '--wait', 'none'])).code).toBe(0);
    expect((await cli(['tenant', 'delete', 'globex', '--yes'])).code).toBe(0);
    await s.backdate('globex', 37); // the longest ID token (at most a day) + 12 h of credentials ago
    const gc = await cli(['gc', '--apply', '--yes', '--json']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.json().items.find((i: { target: string }) => i.target === 'deleted#globex')).toMatchObject({ state: 'removed' });
    expect(await apis.registry.get(lockTableName(sb.config), 'deleted#globex')).toBeUndefined();
    const again = await cli(['tenant', 'create', 'globex', '--wait', 'none', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().idReuse).toBeUndefined();
  }, 60_000);
});

describe('ABAC: the tombstone keeps a re-created tenant dead', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await stack('rua', 'abac');
  }, 60_000);
  afterAll(async () => {
    await s?.sb.stop();
  });

  it('re-create refused while tombstoned (nothing changed); --reuse-id lifts the tombstone and the new probe reads its rows', async () => {
    const { cli, sb } = s;
    expect((await cli(['tenant', 'create', 'acme', '--wait', 'none'])).code).toBe(0);
    await signIn(sb, 'acme', 'carol');
    expect((await cli(['tenant', 'delete', 'acme', '--yes'])).code).toBe(0);

    const mark = sb.mark();
    const refused = await cli(['tenant', 'create', 'acme', '--json']);
    expect(refused.code, refused.stderr).toBe(4);
    expect(errorOf(refused).reasons.map((r) => r.kind)).toEqual(['recently-deleted', 'claim-holders', 'tombstone']);
    expect(errorOf(refused).message).toContain('carol');
    const dry = await cli(['tenant', 'create', 'acme', '--reuse-id', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json().idReuse.liftedTombstone).toMatchObject({ planned: true });
    expect(mutating(sb.since(mark))).toEqual([]);

    const back = await cli(['tenant', 'create', 'acme', '--reuse-id', '--wait', 'data', '--json']);
    expect(back.code, back.stderr).toBe(0);
    const doc = back.json();
    expect(doc.idReuse.liftedTombstone).toMatchObject({ planned: false, roles: expect.arrayContaining([expect.stringMatching(/^isoctl-rua-/)]) });
    expect(doc.wait.checks.map((c: { name: string; state: string }) => `${c.name} ${c.state}`)).toEqual(['cognito:credentials ok', 'dynamodb:probe ok']);
    expect(back.stderr).toContain('stay disabled until an operator re-enables them');
  }, 60_000);
});
