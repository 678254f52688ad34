// The server's plumbing: SigV4 caller identification, persisted state, the state-dir lock
// and attaching to a running server.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateRoleCommand, GetRoleCommand, ListRolesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/server.js';
import { attachSandbox } from '../../../src/sandbox/attach.js';
import { RefusedError } from '../../../src/errors.js';
import { TRUST, dataPolicy, failure, iamClient, stsClient, tempStateDir } from './helpers.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});
async function start(stateDir = tempStateDir(), extra: Partial<Parameters<typeof startSandbox>[0]> = {}): Promise<RunningSandbox> {
  const sb = await startSandbox({ stateDir, ...extra });
  open.push(sb);
  return sb;
}

describe('SigV4 caller identification', () => {
  it('rejects unknown access keys as IAM and STS do (InvalidClientTokenId, 403)', async () => {
    const sb = await start();
    const creds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
    expect(await failure(iamClient(sb, { credentials: creds }).send(new ListRolesCommand({})))).toEqual({
      name: 'InvalidClientTokenId',
      status: 403,
      message: 'The security token included in the request is invalid.',
    });
    expect((await failure(stsClient(sb, { credentials: creds }).send(new GetCallerIdentityCommand({})))).name).toBe('InvalidClientTokenId');
  });

  it('rejects a known key signed with the wrong secret (SignatureDoesNotMatch)', async () => {
    const sb = await start();
    const creds = { accessKeyId: sb.credentials.accessKeyId, secretAccessKey: 'not-the-secret' };
    expect(await failure(iamClient(sb, { credentials: creds }).send(new ListRolesCommand({})))).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });
  });

  it('rejects unsigned IAM calls (MissingAuthenticationToken)', async () => {
    const sb = await start();
    const res = await fetch(sb.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ListRoles&Version=2010-05-08',
    });
    expect(res.status).toBe(403);
    const xml = await res.text();
    expect(xml).toContain('<Code>MissingAuthenticationToken</Code>');
    expect(xml).toMatch(/<ErrorResponse xmlns="https:\/\/iam.amazonaws.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type>/);
    expect(xml).toMatch(/<RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>/);
  });

  it('answers GetCallerIdentity for the admin keys', async () => {
    const sb = await start(undefined, { accountId: '123456789012' });
    const me = await stsClient(sb).send(new GetCallerIdentityCommand({}));
    expect(me.Account).toBe('123456789012');
    expect(me.Arn).toBe('arn:aws:iam::123456789012:user/isoctl-sandbox-admin');
    expect(me.UserId).toMatch(/^AIDA/);
  });

  it('unknown actions are InvalidAction; unknown JSON targets are UnknownOperationException', async () => {
    const sb = await start();
    // Rewrite the action (same length) before the SDK signs the request: the sandbox must answer InvalidAction.
    const iam = iamClient(sb);
    iam.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { body: string };
        req.body = req.body.replace('Action=ListRoles', 'Action=ListRolez');
        return next(args);
      },
      { step: 'build', name: 'renameAction' },
    );
    expect(await failure(iam.send(new ListRolesCommand({})))).toEqual({
      name: 'InvalidAction',
      status: 400,
      message: 'Could not find operation ListRolez for version 2010-05-08',
    });
    const res = await fetch(sb.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'Nope_20120810.ListTables' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(((await res.json()) as { __type: string }).__type).toMatch(/#UnknownOperationException$/);
  });
});

describe('plain routes', () => {
  it("serves a user pool's JWKS document (the Cognito service's route) and logs the fetch", async () => {
    const sb = await start();
    const { CognitoIdentityProviderClient, CreateUserPoolCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    const idp = new CognitoIdentityProviderClient({ region: 'us-east-1', endpoint: sb.endpoint, credentials: sb.credentials });
    const poolId = (await idp.send(new CreateUserPoolCommand({ PoolName: 'jwks' }))).UserPool!.Id!;
    idp.destroy();
    const res = await fetch(`${sb.endpoint}/${poolId}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { keys: Array<{ kty: string; alg: string }> };
    expect(doc.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256' });
    expect((await fetch(`${sb.endpoint}/nothing/here`)).status).toBe(404);
    const { readRequestLog } = await import('./helpers.js');
    expect(readRequestLog(sb.requestLogPath).at(-1)).toMatchObject({
      service: 'cognito-idp',
      operation: `GET /${poolId}/.well-known/jwks.json`,
      status: 200,
      caller: 'anonymous',
    });
  });
});

describe('state', () => {
  it('survives a restart: roles, inline policies and the admin keys', async () => {
    const dir = tempStateDir();
    const first = await startSandbox({ stateDir: dir });
    const iam1 = iamClient(first);
    await iam1.send(new CreateRoleCommand({ RoleName: 'keep', Path: '/k/', AssumeRolePolicyDocument: TRUST }));
    await iam1.send(new PutRolePolicyCommand({ RoleName: 'keep', PolicyName: 'data', PolicyDocument: dataPolicy('a') }));
    const roleId = (await iam1.send(new GetRoleCommand({ RoleName: 'keep' }))).Role!.RoleId;
    await first.close();
    expect(existsSync(join(dir, 'server.lock'))).toBe(false);
    expect(existsSync(join(dir, 'server.json'))).toBe(false);
    const saved = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    expect(Object.keys(saved.sections.iam.roles)).toEqual(['keep']);

    const second = await start(dir);
    expect(second.credentials.accessKeyId).toBe(first.credentials.accessKeyId);
    expect(second.credentials.secretAccessKey).toBe(first.credentials.secretAccessKey);
    const iam2 = iamClient(second);
    expect((await iam2.send(new GetRoleCommand({ RoleName: 'keep' }))).Role!.RoleId).toBe(roleId);
    expect((await iam2.send(new ListRolesCommand({ PathPrefix: '/k/' }))).Roles!.length).toBe(1);
  });

  it('a corrupt state file is an error, not silently replaced', async () => {
    const dir = tempStateDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'state.json'), '{"format":1,"sections":');
    await expect(startSandbox({ stateDir: dir })).rejects.toThrow(/not valid JSON/);
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe('{"format":1,"sections":');
    expect(existsSync(join(dir, 'server.lock'))).toBe(false);
  });
});

describe('lock and attach', () => {
  it('a second server on the same state dir is refused while the first runs', async () => {
    const dir = tempStateDir();
    await start(dir);
    const err = await startSandbox({ stateDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).code).toBe('sandbox_locked');
  });

  it('takes over a lock left by a dead process', async () => {
    const dir = tempStateDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'server.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, instanceId: 'dead' }));
    const sb = await start(dir);
    expect(JSON.parse(readFileSync(join(dir, 'server.lock'), 'utf8')).pid).toBe(process.pid);
    expect(sb.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('attachSandbox starts an in-process server when none runs, and attaches to a running one', async () => {
    const dir = tempStateDir();
    const own = await attachSandbox({ stateDir: dir, env: {} });
    open.push(own);
    expect(own.mode).toBe('in-process');
    const info = JSON.parse(readFileSync(join(dir, 'server.json'), 'utf8'));
    expect(info).toMatchObject({ pid: process.pid, endpoint: own.endpoint, credentials: own.credentials });

    const other = await attachSandbox({ stateDir: dir, env: {} });
    expect(other.mode).toBe('attached');
    expect(other.endpoint).toBe(own.endpoint);
    expect(other.credentials).toEqual(own.credentials);
    await iamClient(other).send(new CreateRoleCommand({ RoleName: 'via-attach', AssumeRolePolicyDocument: TRUST }));
    await other.close();
    // Closing an attached handle leaves the server running.
    expect((await iamClient(own).send(new GetRoleCommand({ RoleName: 'via-attach' }))).Role!.RoleName).toBe('via-attach');
  });

  it('an in-process server keeps serving until the processes attached to it have finished', async () => {
    const dir = tempStateDir();
    const own = await attachSandbox({ stateDir: dir, env: {} });
    const { spawn } = await import('node:child_process');
    // Another process (here: a short sleep) registers as attached, as attachSandbox does.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1500)']);
    const registered = await fetch(`${own.endpoint}/__sandbox/attach`, { method: 'POST', body: JSON.stringify({ pid: other.pid }) });
    expect(registered.status).toBe(200);
    const started = Date.now();
    const closing = own.close();
    await new Promise((r) => setTimeout(r, 300));
    // Still answering while it waits.
    expect((await stsClient(own).send(new GetCallerIdentityCommand({}))).Account).toBe('000000000000');
    await closing;
    expect(Date.now() - started).toBeGreaterThan(1000);
    expect(other.exitCode).toBe(0);
    expect(existsSync(join(dir, 'server.lock'))).toBe(false);
  });

  it('in-process mode takes lag, faults and seed from the environment; bad values are usage errors', async () => {
    const dir = tempStateDir();
    const sb = await attachSandbox({
      stateDir: dir,
      env: { ISOCTL_SANDBOX_LAG: 'iam=1s,dynamodb=250ms', ISOCTL_SANDBOX_FAULTS: 'throttle=0.1', ISOCTL_SANDBOX_SEED: '7' },
    });
    open.push(sb);
    expect(sb.lag).toEqual({ iam: 1000, cognito: 0, dynamodb: 250 });
    expect(sb.faults).toEqual({ throttle: 0.1, '5xx': 0, reset: 0 });
    expect(JSON.parse(readFileSync(join(dir, 'server.json'), 'utf8')).seed).toBe(7);
    await expect(attachSandbox({ stateDir: tempStateDir(), env: { ISOCTL_SANDBOX_LAG: 'iam=fast' } })).rejects.toThrow(
      /ISOCTL_SANDBOX_LAG: "fast" is not a duration/,
    );
  });
});
