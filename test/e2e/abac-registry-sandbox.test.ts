// ABAC mode and the tenant registry (issue 12) through the CLI on the sandbox: tenant create
// registers the tenant, tenant list shows the registry's tenants with their lifecycle and probe
// user (and with --deep their silo tables), --deep exits 1 on registry-only and AWS-only tenants,
// and tenant delete removes the row.
import { AdminCreateUserCommand, AdminDeleteUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis } from '../../src/aws/apis.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

type Entry = {
  tenant: string;
  status: string;
  lifecycle: string | null;
  probeUser: string | null;
  drift: string[];
  siloTables?: Array<{ name: string; exists: boolean }>;
};

describe('ABAC tenants in the registry, on the sandbox', () => {
  let sb: TestSandbox;
  const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });
  const byTenant = (r: CliResult) => Object.fromEntries((r.json().tenants as Entry[]).map((t) => [t.tenant, t]));

  beforeAll(async () => {
    sb = await startTestSandbox({ stack: 'abreg', mapping: 'abac', granularity: 'tenant' });
    const init = await cli(['init', '--json']);
    expect(init.code, init.stderr).toBe(0);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('create registers; list shows the tenants with lifecycle, probe user and silo tables; drift both ways exits 1 under --deep; delete removes the row', async () => {
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
    expect(list.json().registry).toMatchObject({ rows: 2, registryOnly: [], awsOnly: [] });
    const human = await cli(['tenant', 'list']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/PROBE USER/);
    expect(human.stdout).toMatch(/alpha\s.*active.*isoctl-probe-alpha/);

    const idp = new CognitoIdentityProviderClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
    // bravo's probe user deleted by hand: registry-only. A probe user carrying charlie's claim without a row: AWS-only.
    await idp.send(new AdminDeleteUserCommand({ UserPoolId: sb.config.userPoolId, Username: 'isoctl-probe-bravo' }));
    // bravo was registered an hour ago (a younger row without a probe user is a create in progress).
    const apis = awsApis(sb.clients);
    const lockTable = `isoctl-${sb.config.stack}-lock`;
    const row = await apis.registry.get(lockTable, 'tenant#bravo');
    const old = new Date(Date.now() - 3_600_000).toISOString();
    expect(await apis.registry.put(lockTable, 'tenant#bravo', { ...row!, updatedAt: old, version: row!.version + 1 }, { version: row!.version })).toBe(true);
    await idp.send(
      new AdminCreateUserCommand({
        UserPoolId: sb.config.userPoolId,
        Username: 'isoctl-probe-charlie',
        MessageAction: 'SUPPRESS',
        UserAttributes: [{ Name: 'custom:tenant', Value: 'charlie' }],
      }),
    );
    const shallow = await cli(['tenant', 'list', '--json']);
    expect(shallow.code, shallow.stderr).toBe(0);
    expect(byTenant(shallow).charlie).toMatchObject({ lifecycle: null, probeUser: 'isoctl-probe-charlie' });
    const deep = await cli(['tenant', 'list', '--deep', '--json']);
    expect(deep.code).toBe(1);
    expect(deep.stderr).toMatch(/bravo \(drift: probe\)/);
    expect(deep.json().registry).toMatchObject({ registryOnly: ['bravo'], awsOnly: ['charlie'] });
    const d = byTenant(deep);
    expect(d.bravo).toMatchObject({ status: 'drift', lifecycle: 'active', probeUser: null, drift: ['probe'] });

    const del = await cli(['tenant', 'delete', 'alpha', '--yes', '--json']);
    expect(del.code, del.stderr).toBe(0);
    expect(del.json().registry).toBe('removed');
    const after = byTenant(await cli(['tenant', 'list', '--json']));
    expect(after.alpha).toBeUndefined();
  }, 120_000);
});
