// Rough edges a new operator hit (issue 15), each through the built CLI against the sandbox:
// what they typed, the exit code and the words they should have seen.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sb: TestSandbox;
const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'rough', mapping: 'token', granularity: 'tenant', lag: { iam: 50, cognito: 50, dynamodb: 50 } });
  expect((await cli(['init'])).code).toBe(0);
  await new Promise((r) => setTimeout(r, 300));
  const c = await cli(['tenant', 'create', 'acme', '--wait', 'iam']);
  expect(c.code, c.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

describe('doctor', () => {
  it('prints no MaxListenersExceededWarning (one abort listener per call, not per shared signal)', async () => {
    const r = await cli(['doctor']);
    expect(r.stderr).not.toMatch(/MaxListenersExceededWarning|Warning:/);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('tenant verify --against', () => {
  it('the tenant itself: exit 2, "--against must name another tenant", no probe run', async () => {
    const r = await cli(['tenant', 'verify', 'acme', '--against', 'acme', '--json']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.json().error.message).toMatch(/--against must name another tenant/);
  });

  it('a tenant that does not exist: exit 3 naming it', async () => {
    const r = await cli(['tenant', 'verify', 'acme', '--against', 'nosuch']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/--against: tenant "nosuch" has no role/);
  });
});

describe('names a slip away from a real one', () => {
  it('tenant show acmee: exit 3, did you mean "acme"', async () => {
    const r = await cli(['tenant', 'show', 'acmee']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/did you mean "acme"\?/);
  });

  it('tenant show ACME: exit 2, did you mean "acme"', async () => {
    const r = await cli(['tenant', 'show', 'ACME']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/did you mean "acme"\?/);
  });

  it('tenant show zzzz: exit 3 and no suggestion', async () => {
    const r = await cli(['tenant', 'show', 'zzzz']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).not.toMatch(/did you mean/);
  });
});

describe('--scope', () => {
  it('policy render --scope read acme: the flag takes one value, the id stays the id', async () => {
    const r = await cli(['policy', 'render', '--scope', 'read', 'acme', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ tenant: 'acme', scopes: ['read'] });
  });

  it("--scope '' is an error (exit 2), not every scope", async () => {
    for (const args of [
      ['policy', 'render', 'acme', '--scope', ''],
      ['tenant', 'create', 'empty', '--scope', '', '--dry-run'],
    ]) {
      const r = await cli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/--scope needs at least one scope name/);
    }
  });
});

describe('--timeout', () => {
  it('has an upper bound of 1h, and says why', async () => {
    const r = await cli(['tenant', 'create', 'late', '--timeout', '2h', '--dry-run']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--timeout must be at most 1h.*propagates in seconds to minutes/);
  });
});

describe('help and version', () => {
  it('isoctl help nosuch: an error naming the word, exit 2, not the full help', async () => {
    const r = await runCli(['help', 'nosuch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "nosuch"/);
    expect(r.stderr + r.stdout).not.toMatch(/Usage:/);
  });

  it('isoctl help tenant create: the help of tenant create', async () => {
    const r = await runCli(['help', 'tenant', 'create']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: isoctl tenant create \[options\] <ids\.\.\.>/);
  });

  it('--json --version and --json --help print one JSON document', async () => {
    const v = await runCli(['--json', '--version']);
    expect(v.code).toBe(0);
    expect(v.json()).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const h = await runCli(['tenant', 'create', '--help', '--json']);
    expect(h.code).toBe(0);
    const doc = h.json();
    expect(doc.command).toBe('isoctl tenant create');
    expect(doc.options.map((o: { flags: string }) => o.flags)).toContain('--scope <names>');
    expect(doc.arguments).toEqual([expect.objectContaining({ name: 'ids', required: true, variadic: true })]);
  });
});

describe('hints that name the obvious fix', () => {
  it('a missing config under --sandbox names `isoctl --sandbox <dir> sandbox bootstrap`, with the dir as typed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isoctl-rough-'));
    try {
      const r = await runCli(['--sandbox', `${dir}/sb`, 'tenant', 'list'], { timeoutMs: 30_000 });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`run \`isoctl --sandbox ${dir}/sb sandbox bootstrap\``);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a stack never initialised: exit 3, and "run `isoctl --sandbox <dir> init` first" keeps the --sandbox typed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isoctl-rough-'));
    try {
      const boot = await runCli(['--sandbox', dir, 'sandbox', 'bootstrap'], { timeoutMs: 60_000 });
      expect(boot.code, boot.stderr).toBe(0);
      const r = await runCli(['--sandbox', dir, 'tenant', 'create', 'acme', '--json'], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(3);
      expect(r.json().error).toMatchObject({ code: 'not_initialized' });
      expect(r.stderr).toContain(`run \`isoctl --sandbox ${dir} init\` first`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('config key typos get "did you mean", at the top level and inside tables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isoctl-rough-'));
    try {
      const file = join(dir, 'isoctl.json');
      const good = JSON.parse(readFileSync(join(sb.stateDir, 'isoctl.json'), 'utf8'));
      const { granularity, ...rest } = good;
      const tables = good.tables.map(({ partitionKey, ...t }: { partitionKey: string }) => ({ ...t, partitonKey: partitionKey }));
      writeFileSync(file, JSON.stringify({ ...rest, granularty: granularity ?? 'tenant', tables }, null, 2));
      const r = await runCli(['--config', file, 'config', 'validate']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/unknown field "granularty" \(did you mean "granularity"\?\)/);
      expect(r.stderr).toMatch(/tables\[0\]: unknown field "partitonKey" \(did you mean "partitionKey"\?\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('invalid JSON says line and column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isoctl-rough-'));
    try {
      const file = join(dir, 'isoctl.json');
      writeFileSync(file, '{\n  "stack": "x",\n  "region": }\n');
      const r = await runCli(['--config', file, 'config', 'validate', '--json']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/is not valid JSON at line 3, column 13: unexpected "}"/);
      expect(r.json().error).toMatchObject({ code: 'config_invalid_json', line: 3, column: 13 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tenant list --status', () => {
  it('shows only the states asked for; counts still cover the stack; a misspelt state is exit 2 with a suggestion', async () => {
    const ok = await cli(['tenant', 'list', '--status', 'ok', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json().tenants.map((t: { tenant: string }) => t.tenant)).toContain('acme');
    const drift = await cli(['tenant', 'list', '--status', 'drift,orphan', '--json']);
    expect(drift.code, drift.stderr).toBe(0);
    expect(drift.json().tenants).toEqual([]);
    expect(drift.json().counts.ok).toBeGreaterThanOrEqual(1);
    const bad = await cli(['tenant', 'list', '--status', 'orphn']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown state "orphn" \(did you mean "orphan"\?\)/);
  });
});

describe("narrowing a tenant's scopes", () => {
  it('the plan says the scopes change, not "edited by hand?"', async () => {
    const r = await cli(['tenant', 'create', 'acme', '--scope', 'read', '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const step = r.json().steps.find((s: { action: string }) => s.action === 'put-data-policy');
    expect(step?.reason).toMatch(/^scopes change from read, write to read$/);
  });
});

describe('Ctrl-C while attaching to a sandbox server that does not answer', () => {
  it('exits 130 at once instead of waiting out the attach timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isoctl-rough-'));
    const server = spawnCli(['sandbox', 'serve', '--state-dir', dir, '--port', '0'], { timeoutMs: 60_000 });
    try {
      // Wait for the server to be up, then freeze it: its pid is alive, its port never answers.
      for (let i = 0; i < 100 && !existsSync(join(dir, 'server.json')); i++) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(join(dir, 'server.json'))).toBe(true);
      process.kill(server.pid, 'SIGSTOP');
      const cli = spawnCli(['--sandbox', dir, 'whoami'], { timeoutMs: 30_000 });
      await new Promise((r) => setTimeout(r, 2_500));
      const sent = Date.now();
      process.kill(cli.pid, 'SIGINT');
      const r = await cli.done;
      expect(r.code, r.stderr).toBe(130);
      expect(Date.now() - sent).toBeLessThan(2_500);
      expect(r.stderr).not.toMatch(/still stopping after 5 s/);
    } finally {
      process.kill(server.pid, 'SIGCONT');
      process.kill(server.pid, 'SIGTERM');
      await server.done;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
