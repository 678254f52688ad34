// `import { startSandbox } from 'isoctl/sandbox'`: the embedded local AWS (IAM, STS, Cognito,
// DynamoDB, S3) in this process, for testing an application's tenant isolation locally. The same
// server `isoctl sandbox serve` runs; `bootstrap` is `isoctl sandbox bootstrap`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { StackConfigInput } from './config/schema.js';
import type { LagConfig } from './sandbox/contract.js';
import type { FaultConfig } from './sandbox/settings.js';

import type { TenantUserCredentials } from './sandbox-user.js';

export type { LagConfig, FaultConfig, StackConfigInput, TenantUserCredentials };

export interface SandboxOptions {
  /** State directory (kept after close). Default: a fresh temporary directory, removed on close. */
  stateDir?: string | undefined;
  /** How long each service takes to see a change, in ms (AWS's eventual consistency). */
  lag?: Partial<LagConfig> | undefined;
  /** Shares of requests answered with throttling, 5xx or a reset connection (0-1). */
  faults?: Partial<FaultConfig> | undefined;
  /** Seed of the fault generator (default: random). */
  seed?: number | undefined;
  region?: string | undefined;
  accountId?: string | undefined;
  /** IAM's roles quota (AWS's default 1,000). */
  rolesQuota?: number | undefined;
}

export interface BootstrapOptions {
  /** Stack name (default "demo"). */
  stack?: string | undefined;
  mapping?: 'token' | 'rules' | undefined;
  granularity?: 'tenant' | 'user' | undefined;
  /** Where the config file is written too (default <stateDir>/isoctl.json). */
  out?: string | undefined;
}

export interface Sandbox {
  endpoint: string;
  region: string;
  accountId: string;
  stateDir: string;
  /** The sandbox's administrator keys (what an operator or isoctl uses). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** A user pool, app client, identity pool and pooled table; returns the ready isoctl config (also written to a file). */
  bootstrap(opts?: BootstrapOptions): Promise<StackConfigInput>;
  /**
   * Signs in as a user of `tenant` the way the tenant's users do (user pool sign-in, then the
   * identity pool's GetId and GetCredentialsForIdentity) and returns the temporary credentials.
   * The user is created on first use (mapped like isoctl's probe user); the tenant must exist.
   */
  tenantUserCredentials(config: StackConfigInput, tenant: string, opts?: { username?: string | undefined }): Promise<TenantUserCredentials>;
  /** Stops the server and saves its state (a temporary state directory is removed). */
  close(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const { startSandbox: startServer } = await import('./sandbox/server.js');
  const temporary = opts.stateDir === undefined;
  const stateDir = opts.stateDir !== undefined ? resolve(opts.stateDir) : mkdtempSync(join(tmpdir(), 'isoctl-sandbox-'));
  const server = await startServer({
    stateDir,
    lag: opts.lag,
    faults: opts.faults,
    seed: opts.seed,
    region: opts.region,
    accountId: opts.accountId,
    rolesQuota: opts.rolesQuota,
    waitForAttached: false,
  }).catch((err: unknown) => {
    if (temporary) rmSync(stateDir, { recursive: true, force: true });
    throw err;
  });
  const handle = { endpoint: server.endpoint, region: server.region, credentials: server.credentials };
  let closed = false;
  return {
    endpoint: server.endpoint,
    region: server.region,
    accountId: server.accountId,
    stateDir,
    credentials: { ...server.credentials },
    async bootstrap(b = {}) {
      const { bootstrapSandbox } = await import('./commands/sandbox/bootstrap-stack.js');
      const result = await bootstrapSandbox({
        ...handle,
        stack: b.stack ?? 'demo',
        mapping: b.mapping ?? 'token',
        granularity: b.granularity ?? 'tenant',
        out: resolve(b.out ?? join(stateDir, 'isoctl.json')),
      });
      return JSON.parse(readFileSync(result.configPath, 'utf8')) as StackConfigInput;
    },
    async tenantUserCredentials(config, tenant, o = {}) {
      const { signInAsTenantUser } = await import('./sandbox-user.js');
      return signInAsTenantUser(handle, config, tenant, o.username);
    },
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      if (temporary) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
