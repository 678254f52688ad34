// init's admin step (#11 vectors 4 and row 4c): the boundary, and in token mode the pool's Token
// mapping entry, are written only with administrator credentials. The operator (an IAM user with
// exactly the rendered operator policy, `isoctl sandbox operator`) is refused that step with
// exit 4 and the way out, AWS's AccessDenied wording stays in the sandbox's decision, and nothing
// is written; the same init with the admin keys succeeds, after which init as the operator
// passes (nothing to write).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CognitoIdentityClient, GetIdentityPoolRolesCommand, SetIdentityPoolRolesCommand } from '@aws-sdk/client-cognito-identity';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sb: TestSandbox;
let keys: { accessKeyId: string; secretAccessKey: string };

const asAdmin = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, '--config', sb.configPath, ...args], { timeoutMs: 120_000 });
const asOperator = (args: string[]): Promise<CliResult> =>
  runCli(['--endpoint-url', sb.endpoint, '--config', sb.configPath, ...args], {
    timeoutMs: 120_000,
    env: { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_REGION: sb.region },
  });

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'adm', mapping: 'token' });
  // The operator user exists before any init: it gets only the rendered operator policy.
  const op = await asAdmin(['sandbox', 'operator', '--json']);
  expect(op.code, op.stderr).toBe(0);
  keys = { accessKeyId: op.json().accessKeyId, secretAccessKey: op.json().secretAccessKey };
}, 120_000);
afterAll(async () => {
  await sb?.stop();
});

describe("init's admin step", () => {
  it('the operator is refused the boundary (exit 4, boundary_needs_admin), nothing is written; the admin keys succeed; then the operator init passes', async () => {
    const mark = sb.mark();
    const refused = await asOperator(['init', '--json']);
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.json().error.code).toBe('boundary_needs_admin');
    expect(refused.stderr).toMatch(/administrator credentials/);
    const calls = sb.since(mark);
    // AWS's answer to the operator's CreatePolicy: AccessDenied (403), and no write succeeded.
    expect(calls.find((l) => l.operation === 'CreatePolicy')).toMatchObject({ status: 403, error: 'AccessDenied' });
    expect(calls.filter((l) => l.mutating && l.status === 200).map((l) => l.operation)).toEqual([]);

    const admin = await asAdmin(['init', '--json']);
    expect(admin.code, admin.stderr).toBe(0);
    expect(admin.json().steps.map((s: { action: string }) => s.action)).toEqual(expect.arrayContaining(['create-boundary', 'put-role-mapping']));

    const again = await asOperator(['init', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().status).toBe('unchanged');
  });

  it('token mode: with the Token entry gone, the operator is refused writing it (exit 4, mapping_needs_admin); the admin keys write it', async () => {
    const ci = new CognitoIdentityClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
    const roles = await ci.send(new GetIdentityPoolRolesCommand({ IdentityPoolId: sb.config.identityPoolId }));
    await ci.send(new SetIdentityPoolRolesCommand({ IdentityPoolId: sb.config.identityPoolId, Roles: roles.Roles ?? {}, RoleMappings: {} }));
    ci.destroy();
    const mark = sb.mark();
    const refused = await asOperator(['init', '--json']);
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.json().error.code).toBe('mapping_needs_admin');
    const set = sb.since(mark).filter((l) => l.operation === 'SetIdentityPoolRoles');
    expect(set.length).toBeGreaterThan(0);
    expect(set.every((l) => l.status !== 200)).toBe(true);
    const admin = await asAdmin(['init', '--json']);
    expect(admin.code, admin.stderr).toBe(0);
    expect(admin.json().steps.map((s: { action: string }) => s.action)).toContain('put-role-mapping');
  });
});
