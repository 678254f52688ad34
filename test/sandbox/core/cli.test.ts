// `isoctl sandbox serve` and `isoctl sandbox bootstrap` as a user runs them (the built CLI as a
// subprocess), and `--sandbox <dir>` attaching to a running server.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { baseEnv, binPath, repoRoot, runCli } from '../../helpers/cli.js';
import { TRUST, readRequestLog, tempStateDir } from './helpers.js';

interface Served {
  child: ChildProcessWithoutNullStreams;
  doc: {
    endpoint: string;
    region: string;
    stateDir: string;
    pid: number;
    credentials: { accessKeyId: string; secretAccessKey: string };
    env: Record<string, string>;
    lag: Record<string, number>;
  };
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Starts `isoctl --json sandbox serve ...` and resolves with its JSON document once it listens. */
function serve(args: string[], env: Record<string, string | undefined> = {}): Promise<Served> {
  return new Promise((resolveServe, reject) => {
    const child = spawn(process.execPath, [binPath, '--json', 'sandbox', 'serve', '--port', '0', ...args], { cwd: repoRoot, env: baseEnv(env) });
    children.push(child);
    let out = '';
    let err = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}\n${err}`)), 30_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      try {
        const doc = JSON.parse(out) as Served['doc'];
        clearTimeout(timer);
        resolveServe({ child, doc, stderr: () => err, exited });
      } catch {
        /* not complete yet */
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${out}\n${err}`));
    });
  });
}

describe('isoctl sandbox serve', () => {
  it('prints endpoint and admin credentials, serves the SDK, and on SIGTERM saves state and exits 0', async () => {
    const dir = tempStateDir();
    const s = await serve(['--state-dir', dir, '--lag', 'iam=0s,cognito=2s,dynamodb=3s', '--seed', '9']);
    expect(s.doc.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.doc.env).toEqual({
      AWS_ENDPOINT_URL: s.doc.endpoint,
      AWS_ACCESS_KEY_ID: s.doc.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s.doc.credentials.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
    });
    expect(s.doc.lag).toEqual({ iam: 0, cognito: 2000, dynamodb: 3000 });
    const info = JSON.parse(readFileSync(join(dir, 'server.json'), 'utf8'));
    expect(info).toMatchObject({ pid: s.child.pid, endpoint: s.doc.endpoint, seed: 9, lag: { cognito: 2000 } });

    const iam = new IAMClient({ region: 'us-east-1', endpoint: s.doc.endpoint, credentials: s.doc.credentials, maxAttempts: 1 });
    await iam.send(new CreateRoleCommand({ RoleName: 'served', AssumeRolePolicyDocument: TRUST }));
    expect((await iam.send(new GetRoleCommand({ RoleName: 'served' }))).Role!.RoleName).toBe('served');
    iam.destroy();

    s.child.kill('SIGTERM');
    const { code } = await s.exited;
    expect(code).toBe(0);
    expect(s.stderr()).toContain('state saved');
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    expect(Object.keys(state.sections.iam.roles)).toContain('served');
    expect(existsSync(join(dir, 'server.json'))).toBe(false);
    expect(existsSync(join(dir, 'server.lock'))).toBe(false);
  });

  it('its export lines are enough for the AWS CLI v1: eval them, then `aws sts get-caller-identity` needs no --region', async () => {
    const dir = tempStateDir();
    const child = spawn(process.execPath, [binPath, 'sandbox', 'serve', '--port', '0', '--state-dir', dir], { cwd: repoRoot, env: baseEnv() });
    children.push(child);
    let out = '';
    const exports = await new Promise<string>((resolveOut, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve printed no exports:\n${out}`)), 30_000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (/^export AWS_SECRET_ACCESS_KEY=.*\n/m.test(out) && /^export AWS_ENDPOINT_URL=/m.test(out)) {
          clearTimeout(timer);
          resolveOut(out);
        }
      });
    });
    // A shell with no AWS_* variables and no AWS config file: only what `serve` printed.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_CONFIG_FILE: join(dir, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
    };
    const script = `eval "$(cat <<'EXPORTS'\n${exports}EXPORTS\n)"\naws --output json sts get-caller-identity`;
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveRun) => {
      const sh = spawn('bash', ['-c', script], { env });
      let stdout = '';
      let stderr = '';
      sh.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      sh.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      sh.on('close', (code) => resolveRun({ code, stdout, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ Account: '000000000000', Arn: 'arn:aws:iam::000000000000:user/isoctl-sandbox-admin' });
    child.kill('SIGTERM');
  });

  it('--sandbox <dir> attaches to the running server instead of starting another', async () => {
    const dir = tempStateDir();
    const s = await serve(['--state-dir', dir]);
    const r = await runCli(['--sandbox', dir, '--json', 'whoami']);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ endpoint: s.doc.endpoint, account: '000000000000', arn: 'arn:aws:iam::000000000000:user/isoctl-sandbox-admin' });
    // The call is in the running server's request log, and that server is still up.
    expect(readRequestLog(join(dir, 'requests.jsonl')).some((e) => e.operation === 'GetCallerIdentity' && e.caller === 'admin')).toBe(true);
    expect(existsSync(join(dir, 'server.json'))).toBe(true);
    // A second server on the same state dir is refused (exit 4).
    const second = await runCli(['--json', 'sandbox', 'serve', '--port', '0', '--state-dir', dir]);
    expect(second.code).toBe(4);
    expect(second.json().error.code).toBe('sandbox_locked');
    s.child.kill('SIGINT');
    expect((await s.exited).code).toBe(0);
  });

  it('bad --lag, --faults, --seed and --port values are usage errors (exit 2) and start nothing', async () => {
    const dir = tempStateDir();
    for (const [flag, value, text] of [
      ['--lag', 'iam=soon', 'not a duration'],
      ['--lag', 'sqs=1s', 'unknown service'],
      ['--faults', 'throttle=1.5', 'not a rate'],
      ['--faults', 'throttle=0.6,5xx=0.6', 'add up to more than 1'],
      ['--seed', '-3', 'not a whole number'],
      ['--port', '99999', 'not a port'],
    ] as const) {
      const r = await runCli(['--json', 'sandbox', 'serve', '--state-dir', dir, flag, value]);
      expect(r.code, `${flag} ${value}`).toBe(2);
      expect(r.json().error.message).toContain(text);
    }
    expect(existsSync(join(dir, 'server.lock'))).toBe(false);
  });
});

describe('isoctl sandbox bootstrap', () => {
  it('creates the pools, client and table, writes a valid isoctl.json, and re-running reuses them', async () => {
    const dir = tempStateDir();
    const first = await runCli(['--json', '--stack', 'bt', 'sandbox', 'bootstrap', '--state-dir', dir, '--mapping', 'rules', '--granularity', 'user']);
    expect(first.code, first.stderr).toBe(0);
    const a = first.json();
    expect(a).toMatchObject({
      configPath: join(dir, 'isoctl.json'),
      configWritten: true,
      userPool: { name: 'isoctl-bt', step: 'created' },
      userPoolClient: { name: 'isoctl-bt-app', step: 'created' },
      identityPool: { name: 'isoctl_bt', step: 'created' },
      table: { name: 'isoctl-bt-data', step: 'created' },
    });
    const config = JSON.parse(readFileSync(join(dir, 'isoctl.json'), 'utf8'));
    expect(config).toMatchObject({
      stack: 'bt',
      region: 'us-east-1',
      accountId: '000000000000',
      userPoolId: a.userPool.id,
      userPoolClientId: a.userPoolClient.id,
      identityPoolId: a.identityPool.id,
      mapping: 'rules',
      granularity: 'user',
      tenantClaim: 'custom:tenant',
      tables: [{ name: 'isoctl-bt-data', partitionKey: 'tenantId', sortKey: 'sk', model: 'pooled' }],
    });
    const validated = await runCli(['--json', '--config', join(dir, 'isoctl.json'), 'config', 'validate']);
    expect(validated.code, validated.stderr).toBe(0);

    const again = await runCli(['--json', '--stack', 'bt', 'sandbox', 'bootstrap', '--state-dir', dir, '--mapping', 'rules', '--granularity', 'user']);
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({
      configWritten: false,
      userPool: { id: a.userPool.id, step: 'exists' },
      userPoolClient: { id: a.userPoolClient.id, step: 'exists' },
      identityPool: { id: a.identityPool.id, step: 'exists' },
      table: { step: 'exists' },
    });
    // The second run made no change: every logged call of it is a read.
    const log = readRequestLog(join(dir, 'requests.jsonl'));
    const secondRun = log.slice(log.findLastIndex((e) => e.operation === 'GetCallerIdentity'));
    expect(secondRun.filter((e) => e.mutating)).toEqual([]);
    // The app client signs in with passwords; the user pool has the tenant attribute.
    const stateDoc = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    expect(JSON.stringify(stateDoc.sections['cognito-idp'])).toContain('ALLOW_ADMIN_USER_PASSWORD_AUTH');
    expect(JSON.stringify(stateDoc.sections['cognito-idp'])).toContain('custom:tenant');
  });
});
