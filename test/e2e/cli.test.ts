// The CLI contract as a script sees it: exit codes, streams, JSON documents, colour.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import { repoRoot, runCli } from '../helpers/cli.js';

// eslint-disable-next-line no-control-regex -- ESC is what the test looks for
const ANSI = /\u001b\[/;
let dir: string;
const validConfig = {
  stack: 'prod',
  region: 'eu-central-1',
  accountId: '123456789012',
  userPoolId: 'eu-central-1_AbC123',
  userPoolClientId: 'abc123clientid',
  identityPoolId: 'eu-central-1:1234abcd-0000-1111-2222-333344445555',
  tables: [{ name: 'Orders', partitionKey: 'tenantId' }],
};

function writeConfig(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'isoctl-cli-'));
});

describe('help and version', () => {
  it('--version prints the package version and nothing else', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${pkg.version}\n`);
      expect(r.stderr).toBe('');
    }
  });

  it('--help lists every registered command and the exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    const registered = buildProgram({ run: async () => undefined }).commands.map((c) => c.name());
    expect(registered.length).toBeGreaterThan(0);
    for (const name of registered) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    for (const code of ['0 ', '1 ', '2 ', '3 ', '4 ', '75', '130']) expect(r.stdout).toMatch(new RegExp(`^  ${code}`, 'm'));
    expect(r.stdout).not.toMatch(ANSI);
  });
});

describe('usage errors exit 2', () => {
  it('an unknown flag prints usage help on stderr', async () => {
    const r = await runCli(['--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
    expect(r.stderr).toMatch(/--help/);
  });

  it('an unknown command', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('a group without its subcommand', async () => {
    const r = await runCli(['config']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Usage: isoctl config/);
  });

  it('with --json, stdout holds one error document', async () => {
    const r = await runCli(['--json', 'config', 'validate', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.json()).toEqual({ error: { code: 'usage', message: expect.stringContaining('--bogus'), retryable: false } });
  });
});

describe('config errors exit 2 and name the field', () => {
  it('a missing file named by --config', async () => {
    const missing = join(dir, 'nope.json');
    const r = await runCli(['--config', missing, 'config', 'validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`config file ${missing} not found`);
  });

  it('a missing file named by ISOCTL_CONFIG', async () => {
    const missing = join(dir, 'env-nope.json');
    const r = await runCli(['config', 'validate'], { env: { ISOCTL_CONFIG: missing } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(missing);
  });

  it('invalid JSON', async () => {
    const r = await runCli(['--config', writeConfig('broken.json', '{"stack": "prod",'), 'config', 'validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not valid JSON/);
  });

  it('wrong types and an unknown mapping, each with its path', async () => {
    const path = writeConfig('types.json', { ...validConfig, mapping: 'magic', tables: [{ name: 'Orders', partitionKey: 7 }] });
    const r = await runCli(['--config', path, 'config', 'validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('mapping: expected one of "token", "rules", "abac", found "magic"');
    expect(r.stderr).toContain('tables[0].partitionKey: expected string, found number 7');
  });

  it('--json error document carries code, message, retryable and the issues', async () => {
    const path = writeConfig('json-err.json', { ...validConfig, accountId: 'x' });
    const r = await runCli(['--json', '--config', path, 'config', 'validate']);
    expect(r.code).toBe(2);
    const doc = r.json();
    expect(doc.error.code).toBe('config_invalid');
    expect(doc.error.retryable).toBe(false);
    expect(doc.error.message).toContain('accountId');
    expect(doc.error.issues).toEqual([{ path: 'accountId', message: expect.stringContaining('12-digit') }]);
    expect(r.stderr).toContain('accountId');
  });
});

describe('flags, environment and config precedence', () => {
  it('--stack beats ISOCTL_STACK, which beats the file', async () => {
    const path = writeConfig('prec.json', validConfig);
    const env = await runCli(['--json', '--config', path, 'config', 'validate'], { env: { ISOCTL_STACK: 'staging' } });
    expect(env.json().config.stack).toBe('staging');
    const flag = await runCli(['--json', '--config', path, '--stack', 'qa', 'config', 'validate'], { env: { ISOCTL_STACK: 'staging' } });
    expect(flag.json().config.stack).toBe('qa');
    const file = await runCli(['--json', '--config', path, 'config', 'validate']);
    expect(file.json().config.stack).toBe('prod');
  });

  it('an invalid --stack is a config error with the field path', async () => {
    const path = writeConfig('badstack.json', validConfig);
    const r = await runCli(['--config', path, '--stack', 'Bad_Stack', 'config', 'validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/stack: expected 1-16 of a-z 0-9 -/);
  });
});

describe('output streams', () => {
  it('non-TTY and NO_COLOR output carries no ANSI codes', async () => {
    const path = writeConfig('color.json', validConfig);
    for (const env of [{}, { NO_COLOR: '1' }, { FORCE_COLOR: '1', NO_COLOR: '1' }]) {
      const r = await runCli(['--config', path, 'config', 'validate'], { env });
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(ANSI);
      expect(r.stderr).not.toMatch(ANSI);
    }
  });

  it('--quiet prints only results', async () => {
    const path = writeConfig('quiet.json', validConfig);
    const r = await runCli(['--quiet', '--config', path, 'config', 'validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('is valid');
    expect(r.stderr).toBe('');
  });

  it('--json prints exactly one document on success', async () => {
    const path = writeConfig('json-ok.json', validConfig);
    const r = await runCli(['--json', '--config', path, 'config', 'validate']);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ valid: true, config: { stack: 'prod', mapping: 'token' } });
  });
});
