// Destructive commands ask first on a terminal: `tenant delete <id>` wants the id typed,
// `gc --apply` the stack name. Anything but the right answer changes nothing (checked in the
// sandbox's request log); without a terminal, or with --no-input, --yes is required.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awsApis } from '../../src/aws/apis.js';
import type { RequestLogLine, TestSandbox } from '../helpers/sandbox.js';
import { cliOn, startStack } from './stack.js';
import { assertTmux, killTmuxServer, programText, sleep, SPINNER_FRAME, Terminal } from './terminal.js';

let sb: TestSandbox;
let term: Terminal | undefined;

beforeAll(async () => {
  assertTmux();
  sb = await startStack('ask');
  for (const tenant of ['keep', 'gone']) {
    const r = await cliOn(sb, ['tenant', 'create', tenant, '--wait', 'cognito']);
    expect(r.code, r.stderr).toBe(0);
  }
});

afterEach(() => {
  term?.close();
  term = undefined;
});

afterAll(async () => {
  killTmuxServer();
  await sb?.stop();
});

const mutating = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating).map((l) => `${l.service} ${l.operation}`);
const PROMPT =
  /Delete tenant keep of stack ask \(4 removal\(s\): delete-group, delete-probe-user, delete-inline-policy, delete-role\)\?\nType "keep" to confirm:\s*$/;

async function expectKeepUnchanged(mark: number): Promise<void> {
  expect(mutating(sb.since(mark))).toEqual([]);
  const show = await cliOn(sb, ['tenant', 'show', 'keep', '--json']);
  expect(show.code, show.stderr).toBe(0);
  expect(show.json().status).toBe('ok');
}

async function askToDeleteKeep(args: string[] = []): Promise<number> {
  const mark = sb.mark();
  term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'tenant', 'delete', 'keep', ...args] });
  await term.waitFor(/Type "keep" to confirm: $/);
  expect(programText(term.screen())).toMatch(PROMPT);
  return mark;
}

describe('tenant delete on a terminal asks to type the id', () => {
  it('a wrong answer: exit 2, nothing changed', async () => {
    const mark = await askToDeleteKeep();
    term!.type('acme');
    const end = await term!.exit(15_000);
    expect(end, term!.screen()).toMatchObject({ code: 2, signal: null });
    expect(programText(term!.screen())).toMatch(/Type "keep" to confirm: acme\nerror: confirmation did not match; nothing was changed$/);
    await expectKeepUnchanged(mark);
  });

  it('Ctrl-C at the question: exit 130 on a line of its own, nothing changed', async () => {
    const mark = await askToDeleteKeep();
    term!.keys('C-c');
    const end = await term!.exit(15_000);
    expect(end, term!.screen()).toMatchObject({ code: 130, signal: null });
    expect(programText(term!.screen())).toMatch(/Type "keep" to confirm: (\^C)?\nerror: interrupted$/);
    await expectKeepUnchanged(mark);
  });

  it('end of input (Ctrl-D) at the question: exit 2 "no answer", nothing changed', async () => {
    const mark = await askToDeleteKeep();
    term!.keys('C-d');
    const end = await term!.exit(15_000);
    expect(end, term!.screen()).toMatchObject({ code: 2, signal: null });
    expect(programText(term!.screen())).toMatch(/Type "keep" to confirm: \nerror: no answer \(end of input\); nothing was changed$/);
    await expectKeepUnchanged(mark);
  });

  it('SIGTERM at the question: exit 130 at once, nothing changed', async () => {
    const mark = await askToDeleteKeep();
    const sent = Date.now();
    process.kill(await term!.pid(), 'SIGTERM');
    const end = await term!.exit(15_000);
    expect(end, term!.screen()).toMatchObject({ code: 130, signal: null });
    expect(end.at - sent).toBeLessThan(2_500);
    expect(programText(term!.screen())).toMatch(/isoctl: SIGTERM received, stopping \(press Ctrl-C again to force\)\nerror: interrupted$/);
    await expectKeepUnchanged(mark);
  });

  it('--no-input refuses even on a terminal, and says why: exit 2, nothing changed', async () => {
    const mark = sb.mark();
    term = Terminal.start({ args: ['--sandbox', sb.stateDir, '--no-input', 'tenant', 'delete', 'keep'] });
    const end = await term.exit(15_000);
    expect(end, term.screen()).toMatchObject({ code: 2, signal: null });
    expect(programText(term.screen())).toMatch(
      /^error: Delete tenant keep of stack ask \(4 removal\(s\): [a-z, -]+\)\? Not confirmed: --no-input is set; pass --yes to confirm$/m,
    );
    expect(programText(term.screen())).not.toMatch(/Type "keep"/);
    await expectKeepUnchanged(mark);
  });

  it('without a terminal: exit 2 asking for --yes (one JSON document with --json), nothing changed', async () => {
    const mark = sb.mark();
    const refused = await cliOn(sb, ['tenant', 'delete', 'keep', '--json']);
    expect(refused.code).toBe(2);
    expect(refused.json().error).toMatchObject({ code: 'confirmation_required', retryable: false });
    expect(refused.json().error.message).toMatch(/Not confirmed: no terminal to ask on \(stdin and stderr must be terminals\); pass --yes to confirm$/);
    await expectKeepUnchanged(mark);
  });

  it('the right answer deletes the tenant', async () => {
    term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'tenant', 'delete', 'gone'] });
    await term.waitFor(/Type "gone" to confirm: $/);
    term.type('gone');
    const end = await term.exit(30_000);
    expect(end, term.screen()).toMatchObject({ code: 0, signal: null });
    expect(programText(term.screen())).toMatch(/^tenant gone deleted: 4 removed, 0 already gone$/m);
    const show = await cliOn(sb, ['tenant', 'show', 'gone']);
    expect(show.code).toBe(3);
  });
});

describe('gc --apply on a terminal asks to type the stack name', () => {
  it('a wrong answer removes nothing (exit 2); the stack name removes the orphan, with a spinner while it does', async () => {
    // Orphan tenant "keep": its group goes by hand, so its role and probe user are garbage.
    expect(await awsApis(sb.clients).cognitoIdp.deleteGroup(sb.config.userPoolId, 'keep')).toBe(true);
    const mark = sb.mark();
    term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'gc', '--min-age', '0s', '--apply'] });
    await term.waitFor(/Type "ask" to confirm: $/);
    expect(programText(term.screen())).toMatch(/role\s+keep\s+isoctl-ask-keep\s+planned .*orphaned role/);
    term.type('keep');
    const wrong = await term.exit(15_000);
    expect(wrong, term.screen()).toMatchObject({ code: 2, signal: null });
    expect(programText(term.screen())).toMatch(/error: confirmation did not match; nothing was changed$/);
    expect(mutating(sb.since(mark))).toEqual([]);
    term.close();

    term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'gc', '--min-age', '0s', '--apply'] });
    await term.waitFor(/Type "ask" to confirm: $/);
    term.type('ask');
    // While it removes (and waits for IAM to stop showing the role), a spinner says what it does.
    const progress = new Set<string>();
    while (!term.ended()) {
      const line = term
        .screen()
        .split('\n')
        .find((l) => SPINNER_FRAME.test(l));
      const m = line && /(removing|deleting|checking) .*/.exec(line);
      if (m) progress.add(m[0]);
      await sleep(40);
    }
    expect([...progress].join('\n')).toMatch(/deleting role isoctl-ask-keep/);
    const right = await term.exit(30_000);
    expect(right, term.screen()).toMatchObject({ code: 0, signal: null });
    expect(programText(term.screen())).toMatch(/role\s+keep\s+isoctl-ask-keep\s+removed/);
    const show = await cliOn(sb, ['tenant', 'show', 'keep']);
    expect(show.code).toBe(3);
  });
});
