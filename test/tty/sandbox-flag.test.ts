// `--sandbox [dir]` before the command, as the README and --help write it: `isoctl --sandbox
// tenant list` must use the default dir (.isoctl/sandbox), not take "tenant" for the dir.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

let cwd: string;

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'isoctl-tty-cwd-'));
});

afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});

describe('a bare --sandbox before the command', () => {
  it('bootstrap, init and tenant list run against ./.isoctl/sandbox', async () => {
    for (const args of [['sandbox', 'bootstrap'], ['init'], ['tenant', 'list']]) {
      const r = await runCli(['--sandbox', ...args, '--json'], { cwd, timeoutMs: 60_000 });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      r.json();
    }
    expect(existsSync(join(cwd, '.isoctl', 'sandbox', 'isoctl.json'))).toBe(true);
    expect(existsSync(join(cwd, 'sandbox'))).toBe(false);
    expect(existsSync(join(cwd, 'tenant'))).toBe(false);
  });

  it('a dir that is named like a command still works written as ./dir or --sandbox=dir', async () => {
    const r = await runCli(['--sandbox=tenant', 'sandbox', 'bootstrap', '--json'], { cwd, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(cwd, 'tenant', 'isoctl.json'))).toBe(true);
    // tenant list reads the stack's registry, which init makes.
    const init = await runCli(['--sandbox', './tenant', 'init', '--json'], { cwd, timeoutMs: 60_000 });
    expect(init.code, init.stderr).toBe(0);
    const list = await runCli(['--sandbox', './tenant', 'tenant', 'list', '--json'], { cwd, timeoutMs: 60_000 });
    expect(list.code, list.stderr).toBe(0);
  });
});
