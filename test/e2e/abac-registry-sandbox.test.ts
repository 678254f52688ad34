// ABAC mode and the tenant registry (issue 12) through the CLI on the sandbox: init starts the
// registry filled; tenant create registers the tenant; plain tenant list reads ONLY the registry
// (DynamoDB Scan, counted from the sandbox's request log) and says so, and shows a `deleting` row
// older than a minute (a delete that stopped half-way) as drift; --deep reads the probe users and
// silo tables and exits 1 on registry-only and AWS-only tenants (which plain list cannot see);
// a stack whose registry was never filled is filled from its probe users by the first plain list;
// tenant delete removes the row.
import { AdminCreateUserCommand, AdminDeleteUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type RequestLogLine, type TestSandbox } from '../helpers/sandbox.js';

type Entry = {
  tenant: string;
  status: string;
  lifecycle: string | null;
  probeUser?: string | null;
  drift: string[];
  fix?: string;
  findings?: Array<{ aspect: string; detail: string }>;
  registered?: { scopes: string[]; createdAt: string; updatedAt: string };
  siloTables?: Array<{ name: string; exists: boolean }>;
};

describe('ABAC tenants in the registry, on the sandbox', () => {
  let sb: TestSandbox;
  let apis: AwsApis;
  let lockTable: string;
  const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });
  const byTenant = (r: CliResult) => Object.fromEntries((r.json().tenants as Entry[]).map((t) => [t.tenant, t]));
  const ops = (lines: RequestLogLine[]) => [...new Set(lines.map((l) => `${l.service} ${l.operation}`))].sort();
  /** Re-dates a row (and optionally its status) as if written `agoMs` ago. */
  async function age(tenant: string, agoMs: number, status?: 'deleting'): Promise<void> {
    const row = await apis.registry.get(lockTable, `tenant#${tenant}`);
    const updatedAt = new Date(Date.now() - agoMs).toISOString();
    const next = { ...row!, ...(status ? { status } : {}), updatedAt, version: row!.version + 1 };
    expect(await apis.registry.put(lockTable, `tenant#${tenant}`, next, { version: row!.version })).toBe(true);
  }
  /** A plain `tenant list --json` and the AWS operations it made. */
  async function plainList(): Promise<{ r: CliResult; ops: string[] }> {
    const mark = sb.mark();
    const r = await cli(['tenant', 'list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return { r, ops: ops(sb.since(mark)) };
  }

  beforeAll(async () => {
    sb = await startTestSandbox({ stack: 'abreg', mapping: 'abac', granularity: 'tenant' });
    apis = awsApis(sb.clients);
    lockTable = `isoctl-${sb.config.stack}-lock`;
    const init = await cli(['init', '--json']);
    expect(init.code, init.stderr).toBe(0);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('create registers; plain list reads only the registry; --deep shows probe users and silo tables; drift both ways exits 1 under --deep; delete removes the row', async () => {
    // init made the lock table, so the registry starts filled: even the first list reads only it.
    const empty = await plainList();
    expect(empty.ops).toEqual(['dynamodb Scan']);
    expect(empty.r.json()).toMatchObject({ checked: ['registry'], tenants: [], registry: { rows: 0, filled: [], comparedWithAws: false } });

    for (const t of ['alpha', 'bravo']) {
      const c = await cli(['tenant', 'create', t, '--wait', 'none', '--json']);
      expect(c.code, c.stderr).toBe(0);
      expect(c.json().registry).toBe('created');
    }
    const again = await cli(['tenant', 'create', 'alpha', '--wait', 'none', '--json']);
    expect(again.json().registry).toBe('unchanged');

    const list = await cli(['tenant', 'list', '--deep', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const l = byTenant(list);
    expect(Object.keys(l)).toEqual(['alpha', 'bravo']);
    expect(l.alpha).toMatchObject({ status: 'ok', lifecycle: 'active', probeUser: 'isoctl-probe-alpha', drift: [] });
    expect(l.alpha!.siloTables?.every((s) => s.exists)).toBe(true);
    expect(list.json().registry).toMatchObject({ rows: 2, registryOnly: [], awsOnly: [], comparedWithAws: true });
    expect(list.json().checked).toEqual(['registry', 'probe', 'silo-table', 'mapping-removed']);

    // Plain list: the registry's Scan and nothing else; no probe user (not read), the row's scopes and times.
    const plain = await plainList();
    expect(plain.ops).toEqual(['dynamodb Scan']);
    const p = byTenant(plain.r);
    expect(plain.r.json()).toMatchObject({ checked: ['registry'], counts: { ok: 2 }, registry: { rows: 2, calls: 1, comparedWithAws: false } });
    expect(p.alpha).toMatchObject({ status: 'ok', lifecycle: 'active', drift: [], registered: { scopes: ['read', 'write'] } });
    expect(p.alpha).not.toHaveProperty('probeUser');
    const human = await cli(['tenant', 'list']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).not.toMatch(/PROBE USER/);
    expect(human.stdout).toMatch(/alpha\s.*ok\s.*active\s.*read,write/);
    expect(human.stdout).toMatch(/checked registry \(registry only; --deep also checks probe users, silo tables and the identity pool\)/);
    const humanDeep = await cli(['tenant', 'list', '--deep']);
    expect(humanDeep.stdout).toMatch(/PROBE USER/);
    expect(humanDeep.stdout).toMatch(/alpha\s.*active.*isoctl-probe-alpha/);

    const idp = new CognitoIdentityProviderClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
    // bravo's probe user deleted by hand: registry-only. A probe user carrying charlie's claim without a row: AWS-only.
    await idp.send(new AdminDeleteUserCommand({ UserPoolId: sb.config.userPoolId, Username: 'isoctl-probe-bravo' }));
    // bravo was registered an hour ago (a younger row without a probe user is a create in progress).
    await age('bravo', 3_600_000);
    await idp.send(
      new AdminCreateUserCommand({
        UserPoolId: sb.config.userPoolId,
        Username: 'isoctl-probe-charlie',
        MessageAction: 'SUPPRESS',
        UserAttributes: [{ Name: 'custom:tenant', Value: 'charlie' }],
      }),
    );
    // Plain list sees neither: it does not read AWS (that is --deep's job).
    const shallow = await plainList();
    expect(shallow.ops).toEqual(['dynamodb Scan']);
    expect(Object.keys(byTenant(shallow.r))).toEqual(['alpha', 'bravo']);
    expect(byTenant(shallow.r).bravo).toMatchObject({ status: 'ok', lifecycle: 'active' });
    const deep = await cli(['tenant', 'list', '--deep', '--json']);
    expect(deep.code).toBe(1);
    expect(deep.stderr).toMatch(/bravo \(drift: probe\)/);
    expect(deep.json().registry).toMatchObject({ registryOnly: ['bravo'], awsOnly: ['charlie'] });
    const d = byTenant(deep);
    expect(d.bravo).toMatchObject({ status: 'drift', lifecycle: 'active', probeUser: null, drift: ['probe'] });
    expect(d.charlie).toMatchObject({ lifecycle: null, probeUser: 'isoctl-probe-charlie' });

    const del = await cli(['tenant', 'delete', 'alpha', '--yes', '--json']);
    expect(del.code, del.stderr).toBe(0);
    expect(del.json().registry).toBe('removed');
    const after = byTenant((await plainList()).r);
    expect(after.alpha).toBeUndefined();
  }, 120_000);

  it('a `deleting` row (a delete that stopped half-way) is drift in plain list once older than a minute, propagating before; tenant delete finishes it', async () => {
    const c = await cli(['tenant', 'create', 'delta', '--wait', 'none', '--json']);
    expect(c.code, c.stderr).toBe(0);
    await age('delta', 5_000, 'deleting');
    const young = await plainList();
    expect(young.ops).toEqual(['dynamodb Scan']);
    expect(byTenant(young.r).delta).toMatchObject({ status: 'propagating', lifecycle: 'deleting', drift: [] });

    await age('delta', 120_000);
    const old = await plainList();
    expect(old.ops).toEqual(['dynamodb Scan']);
    const e = byTenant(old.r).delta!;
    expect(e).toMatchObject({ status: 'drift', lifecycle: 'deleting', drift: ['registry'], fix: 'isoctl tenant delete delta (finish the delete)' });
    expect(e.findings?.[0]?.detail).toMatch(/"deleting" since .*: a tenant delete stopped half-way/);
    expect(old.r.json().counts.drift).toBe(1);
    const human = await cli(['tenant', 'list']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/delta: drift\n\s+- registry: .*stopped half-way\n\s+fix: isoctl tenant delete delta/);
    // --deep says the same (its probe user is still there: only the row tells).
    const deep = await cli(['tenant', 'list', '--deep', '--json']);
    expect(byTenant(deep).delta).toMatchObject({ status: 'drift', drift: ['registry'] });

    const del = await cli(['tenant', 'delete', 'delta', '--yes', '--json']);
    expect(del.code, del.stderr).toBe(0);
    expect(byTenant((await plainList()).r).delta).toBeUndefined();
  }, 120_000);

  it('a registry never filled (a stack from before the registry) is filled from the probe users by the first plain list, once', async () => {
    // Forget the registry: every row and the filled marker.
    for (const { key } of (await apis.registry.scan(lockTable, 'tenant#')).rows) await apis.registry.remove(lockTable, key);
    const first = await plainList();
    expect(first.ops).toContain('cognito-idp ListUsers');
    const doc = first.r.json();
    // bravo's probe user was deleted by hand above; charlie's is AWS's only trace of charlie.
    expect(doc.registry).toMatchObject({ filled: ['charlie'], comparedWithAws: true });
    expect(doc.checked).toEqual(['registry', 'probe']);
    expect(byTenant(first.r).charlie).toMatchObject({ status: 'ok', lifecycle: 'active', probeUser: 'isoctl-probe-charlie' });
    expect((await apis.registry.get(lockTable, 'tenant#charlie'))?.status).toBe('active');
    const next = await plainList();
    expect(next.ops).toEqual(['dynamodb Scan']);
    expect(next.r.json().registry).toMatchObject({ rows: 1, filled: [], comparedWithAws: false });
  }, 120_000);
});
