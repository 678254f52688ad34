// `tenant create --wait cognito` proves what its name says (#11): the probe user signs in through
// the user pool and the identity pool and gets the tenant role's credentials. With IAM and
// Cognito lag configured, Cognito's own reads (GetGroup, GetIdentityPoolRoles) show the group or
// rule at once, but GetCredentialsForIdentity uses them only after the cognito lag: a create that
// trusted the read-back said "converged" 0.6-0.9 s too early (the latency benchmark's
// overshootMinS was -0.91 s). Overshoot here = the moment the CLI had exited minus the moment the
// last write became visible to the observer a user's sign-in goes through (the request log's
// stamps are the ones the lag model uses). It must be >= 0. A re-run of the converged tenant
// makes zero mutating calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type RequestLogLine, type TestSandbox } from '../helpers/sandbox.js';

const LAG = { iam: 1000, cognito: 2000, dynamodb: 0 };

describe.each(['token', 'rules'] as const)('--wait cognito with lag (%s mapping)', (mapping) => {
  let sb: TestSandbox;
  const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });

  beforeAll(async () => {
    sb = await startTestSandbox({ stack: `wc${mapping[0]}`, mapping, granularity: 'tenant', lag: LAG });
    const init = await cli(['init', '--json']);
    expect(init.code, init.stderr).toBe(0);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('returns only once Cognito hands out the tenant role (overshoot >= 0); a re-run makes zero mutating calls', async () => {
    const mark = sb.mark();
    const created = await cli(['tenant', 'create', 'acme', '--wait', 'cognito', '--json']);
    const exitedAt = Date.now();
    expect(created.code, created.stderr).toBe(0);
    const lines = sb.since(mark);
    const at = (op: string): number => {
      const l = lines.find((x: RequestLogLine) => x.operation === op && x.status === 200);
      if (!l) throw new Error(`no successful ${op} in the log of create`);
      return Date.parse(l.t);
    };
    const role = at('CreateRole');
    const policy = at('PutRolePolicy');
    const mappingWrite = mapping === 'token' ? at('CreateGroup') : at('SetIdentityPoolRoles');
    const visible = Math.max(role + LAG.iam, policy + LAG.iam, role + LAG.cognito, mappingWrite + LAG.cognito);
    const overshootMs = exitedAt - visible;
    console.log(`${mapping}: --wait cognito overshoot ${(overshootMs / 1000).toFixed(2)} s`);
    expect(overshootMs).toBeGreaterThanOrEqual(0);

    const doc = created.json();
    const proof = doc.wait.checks.find((c: { name: string }) => c.name === 'cognito:credentials');
    expect(proof, JSON.stringify(doc.wait.checks)).toMatchObject({ state: 'ok', detail: doc.role.arn });
    // The proof went the user's way and got credentials: GetCredentialsForIdentity answered 200.
    expect(lines.some((l) => l.operation === 'GetCredentialsForIdentity' && l.status === 200)).toBe(true);

    const again = sb.mark();
    const rerun = await cli(['tenant', 'create', 'acme', '--wait', 'cognito', '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json().status).toBe('unchanged');
    expect(
      sb
        .since(again)
        .filter((l) => l.mutating)
        .map((l) => l.operation),
    ).toEqual([]);
  });
});
