// Shared pieces of the reliability suites: a sandbox per stack (with faults, a seed and the
// request-log hook), a template state dir copied per run so every run starts from the same
// state, the CLI as a subprocess, and a snapshot of everything the account holds, read with the
// admin keys, to compare with what a model of the runs says should be there.
import { cpSync, mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetRoleCommand, GetRolePolicyCommand, ListPoliciesCommand, ListRolePoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { AdminListGroupsForUserCommand, ListGroupsCommand, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { GetIdentityPoolRolesCommand } from '@aws-sdk/client-cognito-identity';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { createAwsClients, type AwsClients } from '../../src/aws/clients.js';
import { lockTableName, type StackConfig } from '../../src/config/schema.js';
import { REGISTRY_PREFIX } from '../../src/tenant/registry.js';
import { DELETED_PREFIX } from '../../src/tenant/deleted-ids.js';
import { loadConfigFile } from '../../src/config/load.js';
import { policiesEqual, type PolicyDocument } from '../../src/policy/index.js';
import { desiredTenant, resolveScopes } from '../../src/tenant/desired.js';
import type { LagConfig } from '../../src/sandbox/contract.js';
import type { FaultConfig } from '../../src/sandbox/settings.js';
import type { RequestLogEntry } from '../../src/sandbox/request-log.js';
import type { RunningSandbox } from '../../src/sandbox/server.js';
import { spawn } from 'node:child_process';
import { mulberry32 } from '../../src/sandbox/prng.js';
import { baseEnv, binPath, repoRoot, runCli, spawnCli as spawnBuiltCli, type CliResult, type RunOptions } from '../helpers/cli.js';

/** A whole number from the environment (suite sizes), or the default. */
export function knob(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${raw} is not a whole number`);
  return n;
}

/** The sandbox's own seeded generator: runs derived from a seed replay. */
export const prng = mulberry32;

export interface Stack {
  sb: RunningSandbox;
  stateDir: string;
  config: StackConfig;
  configPath: string;
  /** Admin clients that retry hard (faults hit the admin too). */
  clients: AwsClients;
  requests(): RequestLogEntry[];
  mark(): number;
  since(mark: number): RequestLogEntry[];
  cli(args: string[], opts?: RunOptions): Promise<CliResult>;
  stop(opts?: { keep?: boolean }): Promise<void>;
}

export interface StackOptions {
  stack?: string;
  mapping?: 'token' | 'rules';
  granularity?: 'tenant' | 'user';
  lag?: Partial<LagConfig>;
  faults?: Partial<FaultConfig>;
  seed?: number;
  onRequestLogged?: (entry: RequestLogEntry) => void;
  /** Start over a copy of this state dir (a template) instead of bootstrapping a fresh one. */
  from?: string;
}

function readLog(path: string): RequestLogEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RequestLogEntry);
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const { startSandbox } = await import('../../src/sandbox/server.js');
  const stateDir = mkdtempSync(join(tmpdir(), 'isoctl-rel-'));
  if (opts.from) {
    cpSync(opts.from, stateDir, { recursive: true });
    // The template's request log belongs to the template.
    rmSync(join(stateDir, 'requests.jsonl'), { force: true });
  }
  const sb = await startSandbox({
    stateDir,
    lag: opts.lag ?? {},
    faults: opts.faults ?? {},
    seed: opts.seed ?? 1,
    waitForAttached: false,
    onRequestLogged: opts.onRequestLogged,
  });
  const configPath = join(stateDir, 'isoctl.json');
  if (!opts.from) {
    const { bootstrapSandbox } = await import('../../src/commands/sandbox/bootstrap-stack.js');
    await bootstrapSandbox({
      endpoint: sb.endpoint,
      region: sb.region,
      credentials: sb.credentials,
      stack: opts.stack ?? 'rel',
      mapping: opts.mapping ?? 'token',
      granularity: opts.granularity ?? 'tenant',
      out: configPath,
    });
  }
  const full = await loadConfigFile(configPath);
  const clients = createAwsClients({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials, maxAttempts: 15 });
  const requests = () => readLog(sb.requestLogPath);
  return {
    sb,
    stateDir,
    config: full,
    configPath,
    clients,
    requests,
    mark: () => requests().length,
    since: (m) => requests().slice(m),
    cli: (args, o) => runCli(['--sandbox', stateDir, ...args], { timeoutMs: 120_000, ...o }),
    async stop(o = {}) {
      clients.destroy();
      await sb.close();
      if (!o.keep) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** A stopped sandbox's state dir to copy: `prepare` runs against it (bootstrap, init, base tenants). */
export async function makeTemplate(opts: StackOptions, prepare: (s: Stack) => Promise<void>): Promise<{ dir: string; config: StackConfig; remove(): void }> {
  const s = await startStack(opts);
  await prepare(s);
  const config = s.config;
  await s.stop({ keep: true });
  return { dir: s.stateDir, config, remove: () => rmSync(s.stateDir, { recursive: true, force: true }) };
}

export const mutatingCalls = (lines: RequestLogEntry[]) => lines.filter((l) => l.mutating);

// ---------------------------------------------------------------------------------------------
// Snapshots: everything the account holds that isoctl could touch, read with the admin keys.

export interface RoleSnap {
  path: string;
  roleId: string;
  boundary: string | undefined;
  tags: Record<string, string>;
  trust: unknown;
  inline: Record<string, unknown>;
}

export interface Snapshot {
  roles: Record<string, RoleSnap>;
  groups: Record<string, { roleArn: string | undefined; description: string | undefined }>;
  users: Record<string, { attributes: Record<string, string>; groups: string[] }>;
  roleMappings: Record<string, unknown>;
  policies: string[];
  leases: unknown[];
}

function decode(doc: string | undefined): unknown {
  if (doc === undefined) return undefined;
  return JSON.parse(decodeURIComponent(doc));
}

export async function snapshot(s: { clients: AwsClients; config: StackConfig }): Promise<Snapshot> {
  const { clients, config } = s;
  const [iam, idp, ci, ddb] = await Promise.all([clients.iam(), clients.cognitoIdp(), clients.cognitoIdentity(), clients.dynamodb()]);
  // Independent reads in parallel: under injected faults each stage costs retries.
  const rolesP = (async () => {
    const roles: Snapshot['roles'] = {};
    let marker: string | undefined;
    const names: string[] = [];
    do {
      const page = await iam.send(new ListRolesCommand({ Marker: marker, MaxItems: 1000 }));
      for (const r of page.Roles ?? []) names.push(r.RoleName!);
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    await Promise.all(
      names.map(async (name) => {
        const [got, listed] = await Promise.all([iam.send(new GetRoleCommand({ RoleName: name })), iam.send(new ListRolePoliciesCommand({ RoleName: name }))]);
        const r = got.Role!;
        const inline: Record<string, unknown> = {};
        const docs = await Promise.all(
          (listed.PolicyNames ?? []).map(
            async (p) => [p, decode((await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: p }))).PolicyDocument)] as const,
          ),
        );
        for (const [p, d] of docs.sort(([a], [b]) => a.localeCompare(b))) inline[p] = d;
        const tags: Record<string, string> = {};
        for (const t of r.Tags ?? []) tags[t.Key!] = t.Value!;
        roles[name] = {
          path: r.Path!,
          roleId: r.RoleId!,
          boundary: r.PermissionsBoundary?.PermissionsBoundaryArn,
          tags,
          trust: decode(r.AssumeRolePolicyDocument),
          inline,
        };
      }),
    );
    return roles;
  })();
  const groupsP = (async () => {
    const groups: Snapshot['groups'] = {};
    let next: string | undefined;
    do {
      const page = await idp.send(new ListGroupsCommand({ UserPoolId: config.userPoolId, NextToken: next, Limit: 60 }));
      for (const g of page.Groups ?? []) groups[g.GroupName!] = { roleArn: g.RoleArn, description: g.Description };
      next = page.NextToken;
    } while (next);
    return groups;
  })();
  const usersP = (async () => {
    const users: Snapshot['users'] = {};
    let token: string | undefined;
    const usernames: Array<{ name: string; attributes: Record<string, string> }> = [];
    do {
      const page = await idp.send(new ListUsersCommand({ UserPoolId: config.userPoolId, PaginationToken: token, Limit: 60 }));
      for (const u of page.Users ?? []) {
        const attributes: Record<string, string> = {};
        for (const a of u.Attributes ?? []) if (a.Name !== 'sub') attributes[a.Name!] = a.Value!;
        usernames.push({ name: u.Username!, attributes });
      }
      token = page.PaginationToken;
    } while (token);
    await Promise.all(
      usernames.map(async (u) => {
        const gs = (await idp.send(new AdminListGroupsForUserCommand({ UserPoolId: config.userPoolId, Username: u.name }))).Groups ?? [];
        users[u.name] = { attributes: u.attributes, groups: gs.map((g) => g.GroupName!).sort() };
      }),
    );
    return users;
  })();
  const poolP = ci.send(new GetIdentityPoolRolesCommand({ IdentityPoolId: config.identityPoolId }));
  const policiesP = iam.send(new ListPoliciesCommand({ Scope: 'Local', MaxItems: 1000 }));
  // The lock table also holds the tenant registry's rows (`tenant#<id>`, and `tenant#` itself)
  // and the records of deleted ids (`deleted#<id>`, kept after a delete): those are no leases.
  const leasesP = ddb.send(new ScanCommand({ TableName: lockTableName(config) })).then(
    (r) => (r.Items ?? []).filter((item) => ![REGISTRY_PREFIX, DELETED_PREFIX].some((p) => (item.lockId?.S ?? '').startsWith(p))),
    (err: Error) => {
      if (err.name !== 'ResourceNotFoundException') throw err;
      return [];
    },
  );
  const [roles, groups, users, pool, policies, leases] = await Promise.all([rolesP, groupsP, usersP, poolP, policiesP, leasesP]);
  return {
    roles,
    groups,
    users,
    roleMappings: (pool.RoleMappings ?? {}) as Record<string, unknown>,
    policies: (policies.Policies ?? []).map((p) => p.Arn!).sort(),
    leases,
  };
}

/**
 * What differs between the account (`actual`) and the model: `base` holds everything that is not
 * one of the model's tenants (other stacks, hand-made roles, users and groups, the stack's own
 * pieces), which must be exactly as it was; `tenants` are the stack's tenants that must exist,
 * complete, and nothing else of the stack may exist. Returns human-readable differences.
 */
export function diffState(config: StackConfig, base: Snapshot, tenants: Iterable<string>, actual: Snapshot, opts: { staleLeaseOk?: boolean } = {}): string[] {
  const problems: string[] = [];
  const want = new Map([...tenants].map((t) => [t, desiredTenant(config, t, resolveScopes(config, undefined))]));
  const ownedRole = new Set([...want.values()].map((d) => d.role.name));
  const ownedUser = new Set([...want.values()].map((d) => d.probe.username));
  const ownedGroup = new Set([...want.values()].filter((d) => d.mapping.kind === 'group').map((d) => d.tenant));
  const json = (v: unknown) => JSON.stringify(v);

  // What belongs to the stack (isoctl may make or remove it): roles under the stack path with the
  // stack's tags, groups carrying the stack's description mark, probe users. Everything else must
  // be exactly as it was (same RoleId: not deleted and made again).
  const stackRole = (r: RoleSnap | undefined) =>
    r !== undefined && r.path === `/isoctl/${config.stack}/` && r.tags['isoctl:stack'] === config.stack && r.tags['isoctl:managed-by'] === 'isoctl';
  /** A role ARN that names a role of the stack: exactly at the stack path, and (if the role exists) tagged as the stack's. */
  const stackRoleArn = (arn: string | undefined) => {
    const m = arn ? new RegExp(`^arn:aws:iam::\\d{12}:role/isoctl/${config.stack}/([^/]+)$`).exec(arn) : null;
    if (!m) return false;
    const r = base.roles[m[1]!] ?? actual.roles[m[1]!];
    return r === undefined || stackRole(r);
  };
  const stackGroup = (g: { description: string | undefined; roleArn: string | undefined } | undefined) =>
    g !== undefined && (g.description ?? '').startsWith(`managed by isoctl: stack=${config.stack} `) && (g.roleArn === undefined || stackRoleArn(g.roleArn));
  const stackUser = (name: string) => name.startsWith('isoctl-probe-');

  for (const name of new Set([...Object.keys(base.roles), ...Object.keys(actual.roles)])) {
    const was = base.roles[name];
    const now = actual.roles[name];
    if (ownedRole.has(name)) continue;
    if (stackRole(was) || stackRole(now)) {
      if (now) problems.push(`role ${name} of the stack exists, but the model has no such tenant (leaked or not deleted)`);
      continue;
    }
    if (!now) problems.push(`role ${name} (not the stack's) was deleted`);
    else if (!was) problems.push(`role ${name} (not the stack's) appeared`);
    else if (json(now) !== json(was)) problems.push(`role ${name} (not the stack's) changed: ${json(was)} -> ${json(now)}`);
  }
  for (const d of want.values()) {
    const r = actual.roles[d.role.name];
    if (!r) {
      problems.push(`tenant ${d.tenant}: role ${d.role.name} missing`);
      continue;
    }
    const before = base.roles[d.role.name];
    if (before && before.roleId !== r.roleId) problems.push(`tenant ${d.tenant}: role was deleted and made again (RoleId ${before.roleId} -> ${r.roleId})`);
    if (r.path !== d.role.path) problems.push(`tenant ${d.tenant}: role path ${r.path}`);
    if (r.boundary !== d.role.boundaryArn) problems.push(`tenant ${d.tenant}: boundary ${r.boundary}`);
    for (const [k, v] of Object.entries(d.role.tags)) if (r.tags[k] !== v) problems.push(`tenant ${d.tenant}: tag ${k}=${r.tags[k]}`);
    if (!policiesEqual(d.role.trustPolicy, r.trust as PolicyDocument)) problems.push(`tenant ${d.tenant}: trust policy differs`);
    const inl = Object.keys(r.inline);
    if (inl.length !== 1 || inl[0] !== d.dataPolicy.name) problems.push(`tenant ${d.tenant}: inline policies ${json(inl)}`);
    else if (!policiesEqual(d.dataPolicy.document, r.inline[d.dataPolicy.name] as PolicyDocument)) problems.push(`tenant ${d.tenant}: inline policy differs`);
  }

  for (const name of new Set([...Object.keys(base.groups), ...Object.keys(actual.groups)])) {
    if (ownedGroup.has(name)) continue;
    const was = base.groups[name];
    const now = actual.groups[name];
    if (stackGroup(was) || stackGroup(now)) {
      if (now) problems.push(`group ${name} of the stack exists, but the model has no such tenant`);
      continue;
    }
    if (json(now) !== json(was)) problems.push(`group ${name} (not the stack's) changed: ${json(was)} -> ${json(now)}`);
  }
  for (const d of want.values()) {
    if (d.mapping.kind !== 'group') continue;
    const g = actual.groups[d.mapping.groupName];
    if (!g) problems.push(`tenant ${d.tenant}: group missing`);
    else if (g.roleArn !== d.mapping.roleArn || g.description !== d.mapping.description) problems.push(`tenant ${d.tenant}: group ${json(g)}`);
  }

  for (const name of new Set([...Object.keys(base.users), ...Object.keys(actual.users)])) {
    if (ownedUser.has(name)) continue;
    const was = base.users[name];
    const now = actual.users[name];
    if (stackUser(name)) {
      if (now) problems.push(`probe user ${name} exists, but the model has no such tenant`);
      continue;
    }
    if (json(now) !== json(was)) problems.push(`user ${name} (not the stack's) changed: ${json(was)} -> ${json(now)}`);
  }
  for (const d of want.values()) {
    const u = actual.users[d.probe.username];
    if (!u) {
      problems.push(`tenant ${d.tenant}: probe user missing`);
      continue;
    }
    for (const [k, v] of Object.entries(d.probe.attributes))
      if (u.attributes[k] !== v) problems.push(`tenant ${d.tenant}: probe attribute ${k}=${u.attributes[k]}`);
    if (d.probe.group && !u.groups.includes(d.probe.group)) problems.push(`tenant ${d.tenant}: probe user not in group ${d.probe.group}`);
  }

  // Identity pool: every entry but the stack's as it was; the stack's rules exactly the model's tenants.
  const key = `cognito-idp.${config.region}.amazonaws.com/${config.userPoolId}:${config.userPoolClientId}`;
  for (const [k, v] of Object.entries(base.roleMappings)) {
    if (k === key && config.mapping === 'rules') continue;
    if (json(actual.roleMappings[k]) !== json(v)) problems.push(`role mapping ${k} changed: ${json(v)} -> ${json(actual.roleMappings[k])}`);
  }
  if (config.mapping === 'rules') {
    const entry = actual.roleMappings[key] as
      | {
          Type?: string;
          AmbiguousRoleResolution?: string;
          RulesConfiguration?: { Rules: Array<{ Claim: string; MatchType: string; Value: string; RoleARN: string }> };
        }
      | undefined;
    const rules = entry?.RulesConfiguration?.Rules ?? [];
    const baseRules = ((base.roleMappings[key] as typeof entry)?.RulesConfiguration?.Rules ?? []).filter(
      (r) => !want.has(r.Value) || r.Claim !== config.tenantClaim,
    );
    const modelRules = [...want.values()].map((d) => `${config.tenantClaim}=${d.tenant}->${d.role.arn}`);
    const foreign = baseRules.filter((r) => !(r.Claim === config.tenantClaim && stackRoleArn(r.RoleARN))).map((r) => `${r.Claim}=${r.Value}->${r.RoleARN}`);
    const got = rules.map((r) => `${r.Claim}=${r.Value}->${r.RoleARN}`).sort();
    const expected = [...modelRules, ...foreign].sort();
    if (json(got) !== json(expected)) problems.push(`rules ${json(got)} != expected ${json(expected)}`);
    if (entry?.AmbiguousRoleResolution !== 'Deny') problems.push(`rules entry AmbiguousRoleResolution ${entry?.AmbiguousRoleResolution}`);
    if (rules.some((r) => r.MatchType !== 'Equals')) problems.push('a rule is not Equals');
  }
  if (json(actual.policies) !== json(base.policies)) problems.push(`managed policies ${json(base.policies)} -> ${json(actual.policies)}`);
  // A lease survives its holder's SIGKILL until it expires (by itself, within LEASE_MS); otherwise every lease is released.
  if (actual.leases.length > 0 && !opts.staleLeaseOk) problems.push(`lock table holds ${actual.leases.length} lease(s) after the run`);
  return problems;
}

/** Writes a config file next to nothing else (bad-input cases). */
export function writeTemp(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

export function tempDir(prefix = 'isoctl-rel-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Like runCli, but hands back the child at once (the crash suite kills it by pid). */
export function spawnCli(
  args: string[],
  opts: { env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): { pid: number; done: Promise<CliResult> } {
  return spawnBuiltCli(args, { ...opts, timeoutMs: opts.timeoutMs ?? 120_000 });
}

/** How a crash cell calls the CLI on its copy of the template: the arguments and environment. */
export interface CrashInvocation {
  args: string[];
  env?: Record<string, string>;
}

/**
 * Runs `args` on a fresh copy of `template`, SIGKILLing the CLI right after its k-th mutating call
 * (the sandbox executed and logged it; the answer is never read). `invoke` says how the CLI is
 * called on that copy, just before it starts (default: `--sandbox <stateDir>`, the admin keys);
 * the operator suites pass the operator's endpoint, config and keys. The caller stops the stack.
 */
export async function crashAt(
  template: string,
  args: string[],
  k: number,
  invoke: (s: Stack, args: string[]) => CrashInvocation = (s, a) => ({ args: ['--sandbox', s.stateDir, ...a] }),
): Promise<{ s: Stack; killedAfter: string }> {
  const target = { pid: 0, seen: 0, killedAfter: '' };
  const s = await startStack({
    from: template,
    onRequestLogged: (e) => {
      if (!e.mutating || target.pid === 0) return;
      target.seen++;
      if (target.seen === k) {
        target.killedAfter = `${e.service} ${e.operation}`;
        process.kill(target.pid, 'SIGKILL');
        target.pid = 0;
      }
    },
  });
  try {
    const mark = s.mark();
    const how = invoke(s, args);
    const child = spawnCli(how.args, how.env ? { env: how.env } : {});
    target.pid = child.pid;
    const r = await child.done;
    if (r.signal !== 'SIGKILL') throw new Error(`k=${k}: the CLI should have been killed; exit ${r.code}\n${r.stderr}`);
    // Nothing reached the sandbox after the kill.
    const made = mutatingCalls(s.since(mark)).length;
    if (made !== k) throw new Error(`k=${k}: ${made} mutating calls reached the sandbox, expected ${k} (none after the kill)`);
    return { s, killedAfter: target.killedAfter };
  } catch (err) {
    await s.stop();
    throw err;
  }
}

/**
 * Makes roles look old: moves their CreateDate (and the moment they became visible) back by
 * `ms` in a STOPPED sandbox's state.json. AWS roles left over from long ago look like this; the
 * sandbox cannot make them any other way.
 */
export function backdateRoles(stateDir: string, names: string[], ms: number): void {
  const file = join(stateDir, 'state.json');
  const state = JSON.parse(readFileSync(file, 'utf8')) as {
    sections: { iam: { roles: Record<string, { core: { history: Array<{ at: number; value: { name: string; createdAt: number } }> } }> } };
  };
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  let found = 0;
  for (const [key, role] of Object.entries(state.sections.iam.roles)) {
    const h = role.core.history;
    const first = h[0];
    if (!first || (!wanted.has(first.value.name.toLowerCase()) && !wanted.has(key.toLowerCase()))) continue;
    found++;
    for (const v of h) {
      v.at -= ms;
      v.value.createdAt -= ms;
    }
  }
  if (found !== names.length) throw new Error(`backdateRoles: found ${found} of ${names.length} roles in ${file}`);
  writeFileSync(file, JSON.stringify(state));
}

export interface ServedSandbox {
  stateDir: string;
  endpoint: string;
  configPath: string;
  config: StackConfig;
  clients: AwsClients;
  /** What an operator exports after `sandbox serve` (plus ISOCTL_CONFIG). */
  env: Record<string, string>;
  requests(): RequestLogEntry[];
  cli(args: string[], opts?: RunOptions): Promise<CliResult>;
  stop(opts?: { keep?: boolean }): Promise<void>;
}

/** `isoctl sandbox serve --bootstrap` as a separate process, the way an operator runs it. */
export async function serveSandbox(opts: { stack: string; mapping: 'token' | 'rules'; stateDir?: string; extra?: string[] }): Promise<ServedSandbox> {
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'isoctl-serve-'));
  const child = spawn(
    process.execPath,
    [
      binPath,
      '--stack',
      opts.stack,
      'sandbox',
      'serve',
      '--port',
      '0',
      '--state-dir',
      stateDir,
      '--bootstrap',
      '--mapping',
      opts.mapping,
      '--json',
      ...(opts.extra ?? []),
    ],
    {
      cwd: repoRoot,
      env: baseEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const doc = await new Promise<{
    endpoint: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    env: Record<string, string>;
    requestLog: string;
  }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sandbox serve did not start:\n${err}`)), 30_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      try {
        const parsed = JSON.parse(out);
        clearTimeout(timer);
        resolve(parsed);
      } catch {
        /* not complete yet */
      }
    });
    void exited.then((code) => reject(new Error(`sandbox serve exited ${code}:\n${err}`)));
  });
  const configPath = join(stateDir, 'isoctl.json');
  const config = await loadConfigFile(configPath);
  const clients = createAwsClients({ region: config.region, endpoint: doc.endpoint, credentials: doc.credentials, maxAttempts: 15 });
  const env = { ...doc.env, ISOCTL_CONFIG: configPath };
  return {
    stateDir,
    endpoint: doc.endpoint,
    configPath,
    config,
    clients,
    env,
    requests: () => readLog(doc.requestLog),
    cli: (args, o = {}) => runCli(args, { timeoutMs: 180_000, ...o, env: { ...env, ...o.env } }),
    async stop(o = {}) {
      clients.destroy();
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`sandbox serve exited ${code} on SIGTERM:\n${err}`);
      if (!o.keep) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
