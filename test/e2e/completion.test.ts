// `isoctl completion bash|zsh|fish`: the script comes from the commander program itself. The
// bash script is sourced in a real bash and asked for completions the way bash asks
// (COMP_WORDS/COMP_CWORD, then the function registered with `complete -F`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import { completionScript } from '../../src/commands/completion.js';
import { runCli } from '../helpers/cli.js';

/** Completes each word list in bash with `script` sourced; one line of candidates per case. */
function bashComplete(script: string, cases: string[][]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'isoctl-compl-'));
  try {
    writeFileSync(join(dir, 'c.bash'), script);
    const driver = [
      `source ${JSON.stringify(join(dir, 'c.bash'))}`,
      // The function bash would call for "isoctl", as `complete -p` reports it.
      'fn=$(complete -p isoctl | sed -E "s/.*-F ([^ ]+).*/\\1/")',
      ...cases.map(
        (words) => `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); "$fn"; echo "\${COMPREPLY[*]}"`,
      ),
    ].join('\n');
    const r = spawnSync('bash', ['--noprofile', '--norc', '-c', driver], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').slice(0, cases.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('isoctl completion bash', () => {
  it('sourced in bash, completes commands, subcommands, options and choices', async () => {
    const r = await runCli(['completion', 'bash']);
    expect(r.code, r.stderr).toBe(0);
    const got = bashComplete(r.stdout, [
      ['isoctl', 'ten'],
      ['isoctl', 'tenant', 'c'],
      ['isoctl', '--sandbox', 'tenant', 'cr'],
      ['isoctl', '--config', 'x.json', 'tenant', 'l'],
      ['isoctl', 'tenant', 'create', 'acme', '--wait', ''],
      ['isoctl', 'tenant', 'create', 'acme', '--sc'],
      ['isoctl', 'policy', ''],
      ['isoctl', 'completion', ''],
    ]);
    expect(got).toEqual(['tenant', 'create', 'create', 'list', 'none iam cognito data', '--scope', 'render check', 'bash zsh fish']);
  });

  it('follows the program: a command added to commander is completed, none is listed by hand', () => {
    const program = buildProgram({ run: async () => undefined });
    program.command('zz-new-command').description('added in the test').option('--zz-flag');
    const got = bashComplete(completionScript(program, 'bash'), [
      ['isoctl', 'zz'],
      ['isoctl', 'zz-new-command', '--zz'],
    ]);
    expect(got).toEqual(['zz-new-command', '--zz-flag']);
  });

  it('every command of the program is offered at its level', () => {
    const program = buildProgram({ run: async () => undefined });
    const top = bashComplete(completionScript(program, 'bash'), [['isoctl', '']])[0]!.split(' ');
    expect(top.sort()).toEqual([...program.commands.map((c) => c.name()), 'help'].sort());
  });
});

describe('isoctl completion zsh and fish', () => {
  it('zsh: the bash function loaded through bashcompinit; fish: complete lines for each command', async () => {
    const zsh = await runCli(['completion', 'zsh']);
    expect(zsh.code, zsh.stderr).toBe(0);
    expect(zsh.stdout).toMatch(/^autoload -U \+X bashcompinit && bashcompinit$/m);
    expect(zsh.stdout).toMatch(/^complete -o default -F _isoctl isoctl$/m);
    const fish = await runCli(['completion', 'fish']);
    expect(fish.code, fish.stderr).toBe(0);
    expect(fish.stdout).toMatch(/^complete -c isoctl -f -n 'test \(__isoctl_path\) = '\\''tenant'\\''' -a 'create'/m);
    expect(fish.stdout).toMatch(/-l wait -r -f -a 'none iam cognito data'/);
  });

  it('an unknown shell is a usage error (exit 2)', async () => {
    const r = await runCli(['completion', 'tcsh']);
    expect(r.code).toBe(2);
  });
});
