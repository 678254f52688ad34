// `--help` of every command and group, as an operator reads it: every option and argument
// described, defaults shown (but not the noise of "default: false"), the global options
// (--json, --yes, --sandbox ...) listed under each command, examples where a command has
// choices to make. `--version` answers about as fast as node starts.
import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import { baseEnv, binPath, repoRoot, runCli } from '../helpers/cli.js';

const program = buildProgram({ run: async () => undefined });

function walk(cmd: Command, path: string[] = []): Array<{ path: string[]; cmd: Command }> {
  return cmd.commands.flatMap((c) => [{ path: [...path, c.name()], cmd: c }, ...walk(c, [...path, c.name()])]);
}
const COMMANDS = walk(program);
const LEAVES = COMMANDS.filter((c) => c.cmd.commands.length === 0);

/** Commands with choices to make get examples (the rest are one obvious line). */
const WITH_EXAMPLES = [
  [],
  ['tenant', 'create'],
  ['tenant', 'delete'],
  ['tenant', 'list'],
  ['tenant', 'verify'],
  ['init'],
  ['gc'],
  ['teardown'],
  ['sandbox', 'serve'],
  ['policy', 'check'],
  ['explain'],
];

describe('--help', () => {
  it('every command, option and argument has a description', () => {
    expect(COMMANDS.length).toBeGreaterThanOrEqual(17);
    for (const { path, cmd } of [{ path: [] as string[], cmd: program }, ...COMMANDS]) {
      expect(cmd.description(), path.join(' ')).not.toBe('');
      for (const o of cmd.options) expect(o.description, `${path.join(' ')} ${o.flags}`).not.toBe('');
      for (const a of cmd.registeredArguments) expect(a.description, `${path.join(' ')} <${a.name()}>`).not.toBe('');
    }
  });

  it.each([[[] as string[]], ...COMMANDS.map((c) => [c.path])])('isoctl %j --help: exit 0, usage on stdout, no "default: false"', async (path) => {
    const r = await runCli([...path, '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: isoctl${path.map((p) => ` ${p}`).join('')} `));
    expect(r.stdout).not.toMatch(/default: false/);
    expect(r.stderr).toBe('');
  });

  it.each(LEAVES.map((c) => [c.path]))('isoctl %j --help lists the global options', async (path) => {
    const r = await runCli([...path, '--help']);
    expect(r.stdout).toMatch(/\nGlobal Options:\n/);
    for (const flag of ['--config <file>', '--sandbox [dir]', '--json', '--quiet', '--no-input', '--yes', '--verbose']) expect(r.stdout).toContain(flag);
  });

  it('defaults are shown where an option has one', async () => {
    const create = (await runCli(['tenant', 'create', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(create).toContain('(choices: "none", "iam", "cognito", "data", default: "cognito")');
    expect(create).toContain('(default: "90s")');
    const gc = (await runCli(['gc', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(gc).toContain('(default: "1h")');
  });

  it.each(WITH_EXAMPLES.map((p) => [p]))('isoctl %j --help has examples that are real invocations', async (path) => {
    const r = await runCli([...path, '--help']);
    const m = /\nExamples:\n((?: {2}.*\n?)+)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const lines = m![1]!.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(/^ {2}(\$ )?(isoctl|aws|\w+=\S+ isoctl|.*\| isoctl)\b|^ {4}/);
    // Each example names the command it belongs to.
    if (path.length) expect(m![1]).toContain(`isoctl ${path.join(' ')}`);
  });
});

describe('--version', () => {
  it('prints the package version, about as fast as node starts', () => {
    const time = (args: string[]) => {
      const t = process.hrtime.bigint();
      const r = spawnSync(process.execPath, args, { cwd: repoRoot, env: baseEnv(), encoding: 'utf8' });
      expect(r.status).toBe(0);
      return { ms: Number(process.hrtime.bigint() - t) / 1e6, out: r.stdout };
    };
    const node: number[] = [];
    const isoctl: number[] = [];
    for (let i = 0; i < 7; i++) {
      node.push(time(['-e', '0']).ms);
      const v = time([binPath, '--version']);
      expect(v.out).toMatch(/^\d+\.\d+\.\d+\n$/);
      isoctl.push(v.ms);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // The bench holds the 1.3x target; here only a gross regression (loading the CLI) fails.
    expect(median(isoctl)).toBeLessThan(median(node) * 2 + 30);
  });
});
