// `isoctl apply` on a real terminal (tmux): the progress bar (done/total, failures, pending, ETA),
// the typed confirmation of --prune (the stack name), and Ctrl-C part-way (exit 130, what was done
// said on screen, a re-run converges).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { RequestLogLine, TestSandbox } from '../helpers/sandbox.js';
import { cliOn, startStack } from './stack.js';
import { assertTmux, killTmuxServer, programText, Terminal } from './terminal.js';

let sb: TestSandbox;
let term: Terminal | undefined;
const ids = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}${String(i + 1).padStart(2, '0')}`);
const file = (name: string, tenants: string[]) => {
  const p = join(sb.stateDir, name);
  writeFileSync(p, JSON.stringify({ tenants: tenants.map((id) => ({ id })) }));
  return p;
};
const mutating = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating);

beforeAll(async () => {
  assertTmux();
  sb = await startStack('tap', { iam: 300, cognito: 300, dynamodb: 0 });
});
afterEach(() => {
  term?.close();
  term = undefined;
});
afterAll(async () => {
  killTmuxServer();
  await sb?.stop();
});

it('shows a progress bar with done/total, failures, pending and the ETA; ends 12/12, exit 0', async () => {
  const f = file('bar.json', ids(12, 'b'));
  term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'apply', '-f', f, '--concurrency', '2'] });
  await term.waitFor(/apply \[[█░]+\] \d+\/12 \| 0 failed \| 0 pending \| ETA/);
  const end = await term.exit(60_000);
  expect(end, term.screen()).toMatchObject({ code: 0, signal: null });
  const text = programText(term.screen());
  expect(text).toMatch(/apply \[█+\] 12\/12 \| 0 failed \| 0 pending/);
  expect(text).toMatch(/stack tap: 12 created/);
});

it('--prune asks to type the stack name; a wrong answer changes nothing, the right one deletes', async () => {
  const f = file('none.json', ids(10, 'b'));
  const mark = sb.mark();
  term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'apply', '-f', f, '--prune'] });
  await term.waitFor(/Type "tap" to confirm: $/);
  expect(programText(term.screen())).toMatch(/Delete 2 tenant\(s\) of stack tap \(in the stack, not in the file\): b11, b12\?/);
  term.type('b11');
  expect(await term.exit(15_000)).toMatchObject({ code: 2 });
  expect(mutating(sb.since(mark))).toEqual([]);
  term.close();
  term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'apply', '-f', f, '--prune'] });
  await term.waitFor(/Type "tap" to confirm: $/);
  term.type('tap');
  const end = await term.exit(30_000);
  expect(end, term.screen()).toMatchObject({ code: 0 });
  expect(programText(term.screen())).toMatch(/stack tap: 10 unchanged, 2 deleted/);
});

it('Ctrl-C part-way: exit 130, what was done on screen; the same apply then converges', async () => {
  const all = ids(16, 'c');
  const f = file('int.json', all);
  term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'apply', '-f', f, '--concurrency', '2'] });
  await term.waitFor(/apply \[[█░]+\] [1-9]\d*\/16/);
  term.keys('C-c');
  const end = await term.exit(15_000);
  expect(end, term.screen()).toMatchObject({ code: 130, signal: null });
  expect(programText(term.screen())).toMatch(
    /interrupted: \d+ tenant\(s\) changed, \d+ unchanged, \d+ not finished \(.*\); run the same command again to finish/,
  );
  const again = await cliOn(sb, ['apply', '-f', f, '--json']);
  expect(again.code, again.stderr).toBe(0);
  const counts = again.json().counts;
  expect(counts.created + counts.updated + counts.unchanged).toBe(16);
  const list = await cliOn(sb, ['tenant', 'list', '--json']);
  expect(
    list
      .json()
      .tenants.filter((t: { tenant: string }) => t.tenant.startsWith('c'))
      .map((t: { status: string }) => t.status),
  ).toEqual(all.map(() => 'ok'));
});
