// The library (`import { Isoctl } from 'isoctl'`, `import { startSandbox } from 'isoctl/sandbox'`)
// in-process against the embedded sandbox: each method returns what the CLI prints with --json,
// errors are IsoctlErrors with the CLI's exit codes, and the tenant-user helper hands out
// identity-pool credentials that reach only their own tenant's rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Isoctl, IsoctlError, NotFoundError, PendingError, type ApplyProgress } from '../../src/index.js';
import { startSandbox, type Sandbox, type StackConfigInput } from '../../src/sandbox-api.js';
import { runCli } from '../helpers/cli.js';

let sb: Sandbox;
let config: StackConfigInput;
let isoctl: Isoctl;

beforeAll(async () => {
  sb = await startSandbox();
  config = await sb.bootstrap({ stack: 'lib' });
  isoctl = new Isoctl({ config, endpoint: sb.endpoint, credentials: sb.credentials });
});

afterAll(async () => {
  await isoctl?.close();
  await sb?.close();
});

async function rejection(p: Promise<unknown>): Promise<IsoctlError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IsoctlError);
  return err as IsoctlError;
}

describe('Isoctl against the sandbox', () => {
  it('init, createTenant, listTenants, showTenant, verifyTenant return the --json objects', async () => {
    const init = await isoctl.init();
    expect(init.stack).toBe('lib');
    expect(['created', 'updated', 'unchanged']).toContain(init.status);

    const acme = await isoctl.createTenant('acme', { wait: 'cognito' });
    expect(acme).toMatchObject({ tenant: 'acme', stack: 'lib', status: 'created', dryRun: false });
    expect(acme.wait?.level).toBe('cognito');
    const again = await isoctl.createTenant('acme', { wait: 'none' });
    expect(again.status).toBe('unchanged');
    await isoctl.createTenant('globex', { scopes: ['read'] });

    const list = await isoctl.listTenants();
    expect(list.tenants.map((t) => t.tenant).sort()).toEqual(['acme', 'globex']);

    const show = await isoctl.showTenant('globex');
    expect(show.scopes).toEqual(['read']);

    const verify = await isoctl.verifyTenant('acme', { against: 'globex' });
    expect(verify.isolated).toBe(true);
    expect(verify.checks.find((c) => c.name === 'other-partition')?.outcome).toBe('denied');

    const all = await isoctl.verifyTenants('all', { concurrency: 2 });
    expect(all.counts).toMatchObject({ isolated: 2, 'not-isolated': 0, failed: 0 });
  });

  it('returns the same document the CLI prints with --json (the CLI is a layer over the same run functions)', async () => {
    const path = join(sb.stateDir, 'lib.json');
    writeFileSync(path, JSON.stringify(config));
    const cli = await runCli(['--config', path, '--endpoint-url', sb.endpoint, 'tenant', 'show', 'globex', '--json'], {
      env: { AWS_ACCESS_KEY_ID: sb.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: sb.credentials.secretAccessKey },
    });
    expect(cli.code).toBe(0);
    const fromPath = new Isoctl({ config: path, endpoint: sb.endpoint, credentials: sb.credentials });
    try {
      expect(JSON.parse(JSON.stringify(await fromPath.showTenant('globex')))).toEqual(cli.json());
    } finally {
      await fromPath.close();
    }
  });

  it('errors are IsoctlErrors with code, exitCode, retryable', async () => {
    const bad = await rejection(isoctl.createTenant('Not_An_Id'));
    expect(bad).toMatchObject({ exitCode: 2, retryable: false });
    const missing = await rejection(isoctl.showTenant('initech'));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ code: 'tenant_not_found', exitCode: 3 });
    const scope = await rejection(isoctl.createTenant('initech', { scopes: ['admin'] }));
    expect(scope.exitCode).toBe(2);

    const broken = new Isoctl({ config: { ...config, stack: 'Bad Stack' }, endpoint: sb.endpoint, credentials: sb.credentials });
    const invalid = await rejection(broken.listTenants());
    expect(invalid).toMatchObject({ code: 'config_invalid', exitCode: 2 });
    expect(invalid.message).toContain('stack');

    const noFile = await rejection(new Isoctl({ config: join(sb.stateDir, 'nope.json') }).listTenants());
    expect(noFile).toMatchObject({ code: 'config_not_found', exitCode: 2 });

    const controller = new AbortController();
    controller.abort();
    const aborted = await rejection(new Isoctl({ config, endpoint: sb.endpoint, credentials: sb.credentials, signal: controller.signal }).listTenants());
    expect(aborted).toMatchObject({ code: 'interrupted', exitCode: 130 });
  });

  it('apply reconciles with per-tenant progress; gc plans', async () => {
    const seen: ApplyProgress[] = [];
    const result = await isoctl.apply(
      { tenants: [{ id: 'acme' }, { id: 'globex', scopes: ['read'] }, { id: 'initech' }, { id: 'umbrella' }] },
      { concurrency: 2, wait: 'none', onProgress: (e) => seen.push(e) },
    );
    expect(result.dryRun).toBe(false);
    expect(result.counts).toMatchObject({ created: 2, unchanged: 2, failed: 0, pending: 0 });
    expect(seen.map((e) => e.tenant).sort()).toEqual(['acme', 'globex', 'initech', 'umbrella']);
    expect(seen.at(-1)).toMatchObject({ done: 4, total: 4 });

    const plan = await isoctl.apply({ tenants: [{ id: 'acme' }] }, { dryRun: true, prune: true });
    expect(plan.counts).toMatchObject({ unchanged: 1, delete: 3 });

    const badSpec = await rejection(isoctl.apply({ tenants: [{ id: 'acme' }, { id: 'acme' }] }));
    expect(badSpec.exitCode).toBe(2);

    const gc = await isoctl.gc();
    expect(gc).toMatchObject({ stack: 'lib', dryRun: true });
  });

  it("tenantUserCredentials: a tenant user's identity-pool credentials read only its tenant's rows", async () => {
    const table = (config.tables as Array<{ name: string }>)[0]!.name;
    const admin = new DynamoDBClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
    for (const t of ['acme', 'globex'])
      await admin.send(new PutItemCommand({ TableName: table, Item: { tenantId: { S: t }, sk: { S: 'profile' }, name: { S: t } } }));
    admin.destroy();

    const acme = await sb.tenantUserCredentials(config, 'acme');
    const globex = await sb.tenantUserCredentials(config, 'globex');
    expect(acme.credentials.accessKeyId).not.toBe(globex.credentials.accessKeyId);
    expect(acme.identityId).not.toBe(globex.identityId);

    const asAcme = new DynamoDBClient({ region: sb.region, endpoint: sb.endpoint, credentials: acme.credentials });
    try {
      const own = await asAcme.send(new GetItemCommand({ TableName: table, Key: { tenantId: { S: 'acme' }, sk: { S: 'profile' } } }));
      expect(own.Item?.name?.S).toBe('acme');
      const other = await asAcme.send(new GetItemCommand({ TableName: table, Key: { tenantId: { S: 'globex' }, sk: { S: 'profile' } } })).then(
        () => 'allowed',
        (e: Error) => e.name,
      );
      expect(other).toBe('AccessDeniedException');
    } finally {
      asAcme.destroy();
    }

    const missing = await rejection(sb.tenantUserCredentials(config, 'nobody'));
    expect(missing.exitCode).toBe(3);
  });

  it('createTenant under lag with a short timeout: PendingError with retryAfterSeconds, then converges', async () => {
    const lagged = await startSandbox({ lag: { cognito: 3_000, iam: 1_000, dynamodb: 1_000 } });
    try {
      const cfg = await lagged.bootstrap({ stack: 'lag' });
      const lib = new Isoctl({ config: cfg, endpoint: lagged.endpoint, credentials: lagged.credentials });
      await lib.init();
      const pending = await rejection(lib.createTenant('acme', { wait: 'cognito', timeoutMs: 300 }));
      expect(pending).toBeInstanceOf(PendingError);
      expect(pending).toMatchObject({ code: 'not_converged', exitCode: 75, retryable: true });
      expect(pending.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      const done = await lib.createTenant('acme', { wait: 'cognito', timeoutMs: 30_000 });
      expect(done.wait?.level).toBe('cognito');
      await lib.close();
    } finally {
      await lagged.close();
    }
  });
});
