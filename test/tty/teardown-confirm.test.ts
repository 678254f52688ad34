// `isoctl teardown` on a terminal: the plan (each piece, "admin" where only the admin step's
// credentials may remove it) and then the stack name to type. A wrong answer changes nothing
// (the sandbox's request log); the right one removes the pieces.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLogLine, TestSandbox } from '../helpers/sandbox.js';
import { startStack } from './stack.js';
import { assertTmux, killTmuxServer, programText, Terminal } from './terminal.js';

let sb: TestSandbox;
let term: Terminal | undefined;

beforeAll(async () => {
  assertTmux();
  sb = await startStack('tdq', { iam: 0, cognito: 0, dynamodb: 0 });
});
afterEach(() => {
  term?.close();
  term = undefined;
});
afterAll(async () => {
  killTmuxServer();
  await sb?.stop();
});

const mutating = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating && l.status === 200).map((l) => l.operation);

describe('teardown on a terminal asks to type the stack name', () => {
  it('shows the plan first; a wrong answer: exit 2, nothing changed; the right one: exit 0, removed', async () => {
    const mark = sb.mark();
    term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'teardown'] });
    await term.waitFor(/Type "tdq" to confirm:\s*$/);
    const asked = programText(term.screen());
    expect(asked).toMatch(/pool-mapping\s+\S+ \S+\s+planned\s+yes\s+the Token mapping entry init wrote/);
    expect(asked).toMatch(/lock-table\s+isoctl-tdq-lock\s+planned\s+yes/);
    expect(asked).toMatch(/boundary\s+arn:aws:iam::\d+:policy\/isoctl\/tdq\/\S+\s+planned\s+yes/);
    expect(asked).toMatch(/Remove 3 piece\(s\) of stack tdq \(pool-mapping, lock-table, boundary\)\?\nType "tdq" to confirm:\s*$/);
    term.type('prod');
    expect(await term.exit(15_000), term.screen()).toMatchObject({ code: 2, signal: null });
    expect(programText(term.screen())).toMatch(/error: confirmation did not match; nothing was changed$/);
    expect(mutating(sb.since(mark))).toEqual([]);
    term.close();

    term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'teardown'] });
    await term.waitFor(/Type "tdq" to confirm:\s*$/);
    term.type('tdq');
    expect(await term.exit(60_000), term.screen()).toMatchObject({ code: 0, signal: null });
    expect(programText(term.screen())).toMatch(/teardown of stack tdq:[\s\S]*boundary\s+\S+\s+removed/);
    expect(mutating(sb.since(mark))).toEqual(expect.arrayContaining(['SetIdentityPoolRoles', 'DeleteTable', 'DeletePolicy']));
  });
});
