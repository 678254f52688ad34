// Shared by the lifecycle benchmarks: an in-process sandbox over a temp state dir (bootstrapped),
// the built CLI as a subprocess attached to it, the request log, and fast seeding of many tenants
// or orphans with the admin keys (the SDK directly, not the CLI: seeding is not what is measured).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminAddUserToGroupCommand, AdminCreateUserCommand, CreateGroupCommand } from '@aws-sdk/client-cognito-identity-provider';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { BatchWriteItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { createAwsClients, type AwsClients } from '../../src/aws/clients.js';
import { loadConfigFile } from '../../src/config/load.js';
import { lockTableName, type StackConfig } from '../../src/config/schema.js';
import { FILLED_KEY, registryKey } from '../../src/tenant/registry.js';
import { bootstrapSandbox } from '../../src/commands/sandbox/bootstrap-stack.js';
import type { LagConfig } from '../../src/sandbox/contract.js';
import type { RequestLogEntry } from '../../src/sandbox/request-log.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { idpState, type UserRecord } from '../../src/sandbox/cognito/state.js';
import type { FaultConfig } from '../../src/sandbox/settings.js';
import { desiredTenant, resolveScopes } from '../../src/tenant/desired.js';
import { mapLimit } from '../../src/ops/concurrency.js';

export const root = process.cwd();
export const bin = join(root, 'bin', 'isoctl.js');

export interface BenchSandbox {
  sb: RunningSandbox;
  stateDir: string;
  config: StackConfig;
  clients: AwsClients;
  requests(): RequestLogEntry[];
  mark(): number;
  since(mark: number): RequestLogEntry[];
  /** Stops the server; the state dir stays (restart() reopens it). */
  close(): Promise<void>;
  remove(): void;
}

export interface BenchSandboxOptions {
  stack: string;
  mapping?: 'token' | 'rules' | 'abac';
  lag?: Partial<LagConfig>;
  faults?: Partial<FaultConfig>;
  seed?: number;
  rolesQuota?: number;
  /** Reopen an existing state dir (already bootstrapped). */
  stateDir?: string;
}

export async function benchSandbox(opts: BenchSandboxOptions): Promise<BenchSandbox> {
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'isoctl-bench-'));
  const sb = await startSandbox({
    stateDir,
    lag: opts.lag ?? {},
    faults: opts.faults ?? {},
    seed: opts.seed ?? 1,
    rolesQuota: opts.rolesQuota ?? 5000,
    waitForAttached: false,
  });
  const configPath = join(stateDir, 'isoctl.json');
  if (!opts.stateDir)
    await bootstrapSandbox({
      endpoint: sb.endpoint,
      region: sb.region,
      credentials: sb.credentials,
      stack: opts.stack,
      mapping: opts.mapping ?? 'token',
      granularity: 'tenant',
      out: configPath,
    });
  const config = await loadConfigFile(configPath);
  const clients = createAwsClients({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials, maxAttempts: 12 });
  const requests = (): RequestLogEntry[] =>
    existsSync(sb.requestLogPath)
      ? readFileSync(sb.requestLogPath, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as RequestLogEntry)
      : [];
  return {
    sb,
    stateDir,
    config,
    clients,
    requests,
    mark: () => requests().length,
    since: (m) => requests().slice(m),
    async close() {
      clients.destroy();
      await sb.close();
    },
    remove: () => rmSync(stateDir, { recursive: true, force: true }),
  };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Date.now() when the process had exited (same clock as the request log's timestamps). */
  endedAt: number;
}

/** The built CLI against the sandbox's state dir (it attaches to the running server). */
export function isoctl(stateDir: string, args: string[]): Promise<CliRun> {
  return command(process.execPath, [bin, '--sandbox', stateDir, ...args]);
}

export function command(cmd: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|ISOCTL_)/.test(k)) clean[k] = v;
    const child = spawn(cmd, args, { cwd: root, env: { ...clean, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started, endedAt: Date.now() }));
  });
}

export async function must(run: Promise<CliRun>, what: string): Promise<CliRun> {
  const r = await run;
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * Makes tenants with the admin keys exactly as `tenant create` would leave them (role with trust,
 * boundary and tags, inline data policy, group, probe user in the group). `mapped: false` leaves
 * out the group: an orphaned role (and its probe user) for gc.
 */
export async function seedTenants(s: BenchSandbox, tenants: string[], opts: { mapped: boolean; concurrency?: number; cloneUsers?: boolean }): Promise<void> {
  const iam = await s.clients.iam();
  const idp = await s.clients.cognitoIdp();
  const scopes = resolveScopes(s.config, undefined);
  await mapLimit(tenants, opts.concurrency ?? 16, async (t) => {
    const d = desiredTenant(s.config, t, scopes);
    await iam.send(
      new CreateRoleCommand({
        RoleName: d.role.name,
        Path: d.role.path,
        AssumeRolePolicyDocument: d.role.trustJson,
        PermissionsBoundary: d.role.boundaryArn,
        Tags: Object.entries(d.role.tags).map(([Key, Value]) => ({ Key, Value })),
        Description: `isoctl tenant ${t} of stack ${s.config.stack}`,
      }),
    );
    await iam.send(new PutRolePolicyCommand({ RoleName: d.role.name, PolicyName: d.dataPolicy.name, PolicyDocument: d.dataPolicy.json }));
    if (!opts.cloneUsers)
      await idp.send(new AdminCreateUserCommand({ UserPoolId: s.config.userPoolId, Username: d.probe.username, MessageAction: 'SUPPRESS' }));
    if (opts.mapped && d.mapping.kind === 'group') {
      await idp.send(
        new CreateGroupCommand({
          UserPoolId: s.config.userPoolId,
          GroupName: d.mapping.groupName,
          RoleArn: d.mapping.roleArn,
          Description: d.mapping.description,
        }),
      );
      if (!opts.cloneUsers)
        await idp.send(new AdminAddUserToGroupCommand({ UserPoolId: s.config.userPoolId, Username: d.probe.username, GroupName: d.mapping.groupName }));
    }
  });
  if (opts.cloneUsers)
    await cloneProbeUsers(
      s,
      tenants.map((t) => {
        const d = desiredTenant(s.config, t, scopes);
        return { username: d.probe.username, attributes: d.probe.attributes, groups: opts.mapped && d.mapping.kind === 'group' ? [d.mapping.groupName] : [] };
      }),
    );
}

/**
 * Many probe users at once: the first through AdminCreateUser (the sandbox hashes its password
 * with scrypt, tens of ms of CPU each, so 10,000 would take most of an hour here), the rest as
 * copies of that record (own username, sub, attributes, groups) written into the in-process
 * sandbox's Cognito state and saved. What `ListUsers` and the admin reads return is the same as
 * for users made by the API; only their (unused) temporary password hash is shared.
 */
export async function cloneProbeUsers(
  s: BenchSandbox,
  users: Array<{ username: string; attributes: Record<string, string>; groups: string[] }>,
): Promise<void> {
  const [first, ...rest] = users;
  if (!first) return;
  const idp = await s.clients.cognitoIdp();
  await idp.send(
    new AdminCreateUserCommand({
      UserPoolId: s.config.userPoolId,
      Username: first.username,
      MessageAction: 'SUPPRESS',
      UserAttributes: Object.entries(first.attributes).map(([Name, Value]) => ({ Name, Value })),
    }),
  );
  for (const g of first.groups) await idp.send(new AdminAddUserToGroupCommand({ UserPoolId: s.config.userPoolId, Username: first.username, GroupName: g }));
  const pool = idpState(s.sb.context).pools[s.config.userPoolId];
  if (!pool) throw new Error(`the sandbox has no user pool ${s.config.userPoolId}`);
  const key = (u: string) => (pool.usernameCaseSensitive ? u : u.toLowerCase());
  const template = pool.users[key(first.username)];
  if (!template) throw new Error(`seeded user ${first.username} not found in the sandbox state`);
  const base = JSON.parse(JSON.stringify(template)) as UserRecord;
  for (const u of rest) {
    const sub = randomUUID();
    pool.users[key(u.username)] = { ...base, username: u.username, sub, attributes: { sub, ...u.attributes }, groups: [...u.groups] };
  }
  s.sb.context.save();
}

/** Registry rows as `tenant create` writes them (plus the "filled" marker), 25 per BatchWriteItem. */
export async function seedRegistry(s: BenchSandbox, tenants: string[]): Promise<void> {
  const ddb = await s.clients.dynamodb();
  const now = new Date().toISOString();
  const scopes = resolveScopes(s.config, undefined).join('+');
  const item = (key: string, tenant: string): WriteRequest => ({
    PutRequest: {
      Item: {
        lockId: { S: key },
        tenant: { S: tenant },
        status: { S: 'active' },
        scopes: { S: tenant ? scopes : '' },
        mode: { S: s.config.mapping },
        createdAt: { S: now },
        updatedAt: { S: now },
        version: { N: '1' },
      },
    },
  });
  const writes = [item(FILLED_KEY, ''), ...tenants.map((t) => item(registryKey(t), t))];
  const batches: WriteRequest[][] = [];
  for (let i = 0; i < writes.length; i += 25) batches.push(writes.slice(i, i + 25));
  await mapLimit(batches, 8, async (batch) => {
    let left: WriteRequest[] | undefined = batch;
    while (left && left.length > 0) {
      const r = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [lockTableName(s.config)]: left } }));
      left = r.UnprocessedItems?.[lockTableName(s.config)];
    }
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** "GetRole 3, CreateRole 1, ..." of a slice of the request log. */
export function countByOperation(lines: RequestLogEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines) out[l.operation] = (out[l.operation] ?? 0) + 1;
  return out;
}

export const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(4, '0')}`);
