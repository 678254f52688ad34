// ABAC apply under throttling that gets past the retry layers (issue 12): the sandbox answers a
// share of all requests with a throttling error (src/sandbox/faults.ts, seeded), and the library's
// clients make one attempt per call (no SDK retries), so a throttled registry write, which nothing
// below the apply engine retries, fails that tenant's attempt. As in role mode (execute.ts
// createOne), the tenant is read again, re-planned and tried again: every tenant ends made, the
// apply's exit kind is ok, and a re-run finds every tenant unchanged. Before the re-plan, each
// tenant whose registry write was throttled ended `failed` (exit 1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis } from '../../src/aws/apis.js';
import { createAwsClients, type AwsClients } from '../../src/aws/clients.js';
import { loadConfigFile } from '../../src/config/load.js';
import { applyTenants, exitKindOf, type ApplyResult } from '../../src/ops/apply/index.js';
import type { RequestLogEntry } from '../../src/sandbox/request-log.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import type { TenantContext } from '../../src/tenant/context.js';
import { REGISTRY_PREFIX } from '../../src/tenant/registry.js';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox } from '../helpers/sandbox.js';
import { readFileSync, rmSync } from 'node:fs';

const ids = Array.from({ length: 12 }, (_, i) => `h${String(i + 1).padStart(2, '0')}`);
let stateDir: string;
let sb: RunningSandbox;
let clients: AwsClients;
/** The test's own reads retry hard (the faults hit them too). */
let admin: AwsClients;
let ctx: TenantContext;

const log = (): RequestLogEntry[] =>
  readFileSync(sb.requestLogPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RequestLogEntry);

beforeAll(async () => {
  // The stack is made without faults, then the sandbox is started again over its state with them.
  const boot = await startTestSandbox({ stack: 'abth', mapping: 'abac', keep: true });
  stateDir = boot.stateDir;
  const init = await runCli(['--sandbox', stateDir, 'init', '--json'], { timeoutMs: 60_000 });
  expect(init.code, init.stderr).toBe(0);
  await boot.stop();
  sb = await startSandbox({ stateDir, faults: { throttle: 0.25 }, seed: 1207, waitForAttached: false });
  clients = createAwsClients({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials, maxAttempts: 1 });
  admin = createAwsClients({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials, maxAttempts: 15 });
  ctx = {
    config: await loadConfigFile(`${stateDir}/isoctl.json`),
    apis: awsApis(clients),
    now: () => Date.now(),
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
      }),
    purpose: 'test',
  };
}, 60_000);

afterAll(async () => {
  clients?.destroy();
  admin?.destroy();
  await sb?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('ABAC apply under throttling beyond the retry layer (sandbox faults)', () => {
  it('a tenant whose registry write was throttled is re-planned and made; exit kind ok; a re-run finds all unchanged', async () => {
    // Registered with one scope of the two (made before, say): the apply changes every row, so each
    // tenant's first write is a registry write. (Registered ids are not new ids: the id-reuse check of
    // src/tenant/deleted-ids.ts, whose reads this test's one-attempt clients would fail, is not run for them.)
    const now = new Date().toISOString();
    for (const id of ids)
      expect(
        await awsApis(admin).registry.put(
          `isoctl-${ctx.config.stack}-lock`,
          `${REGISTRY_PREFIX}${id}`,
          { tenant: id, status: 'active', scopes: ['read'], mode: 'abac', createdAt: now, updatedAt: now, version: 1 },
          { absent: true },
        ),
      ).toBe(true);
    const start = log().length;
    const r = (await applyTenants(ctx, { tenants: ids.map((id) => ({ id, scopes: ['read', 'write'] })) }, { wait: 'none', concurrency: 1 })) as ApplyResult;
    const lines = log().slice(start);
    // The faults hit what nothing below the engine retries: the registry's conditional writes.
    const throttledWrites = lines.filter((l) => l.operation === 'PutItem' && l.fault === 'throttle');
    expect(throttledWrites.length, 'registry writes answered with throttling').toBeGreaterThan(0);
    expect(
      r.tenants.filter((t) => t.status !== 'updated').map((t) => `${t.tenant} ${t.status} ${t.detail ?? ''}`),
      'every tenant made',
    ).toEqual([]);
    expect(exitKindOf(r)).toBe('ok');

    const rows = (await awsApis(admin).registry.scan(`isoctl-${ctx.config.stack}-lock`, REGISTRY_PREFIX)).rows.map((x) => x.row).filter((x) => x.tenant !== '');
    expect(rows.map((x) => `${x.tenant} ${x.status} ${x.scopes.join('+')}`).sort()).toEqual(ids.map((id) => `${id} active read+write`));

    const again = (await applyTenants(ctx, { tenants: ids.map((id) => ({ id, scopes: ['read', 'write'] })) }, { wait: 'none', concurrency: 1 })) as ApplyResult;
    expect(again.counts.unchanged).toBe(ids.length);
  }, 120_000);
});
