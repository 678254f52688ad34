// Terminals of awkward widths: one that reports 0 columns (`stty cols 0`: CI runners,
// `docker exec -t`, `expect`) once made isoctl's spinner clear lines forever — megabytes of
// ESC[1A ESC[0K, gigabytes of memory, SIGTERM ignored. Now: no spinner without a usable width,
// progress as plain lines, signals honoured; and a narrow 20-column terminal keeps a one-line
// spinner that never piles up wrapped copies of itself.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestSandbox } from '../helpers/sandbox.js';
import { startStack } from './stack.js';
import { ANSI, assertTmux, killTmuxServer, programText, SPINNER_FRAME, Terminal } from './terminal.js';

let sb: TestSandbox;
let term: Terminal | undefined;

beforeAll(async () => {
  assertTmux();
  sb = await startStack('width');
});

afterEach(() => {
  term?.close();
  term = undefined;
});

afterAll(async () => {
  killTmuxServer();
  await sb?.stop();
});

// eslint-disable-next-line no-control-regex
const CURSOR_CODES = /\u001b\[\?25[lh]|\u001b\[\d*G|\u001b\[\d*K|\u001b\[\d*[ABCDJ]/;
const PROMPT_MS = 2_500;

describe('a terminal that reports 0 columns', () => {
  it('tenant create --wait data: no spinner, progress as plain lines, a bounded output, exit 0', async () => {
    term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'tenant', 'create', 'zero', '--wait', 'data'], stty: ['cols', '0', 'rows', '0'] });
    const end = await term.exit(30_000);
    expect(end, term.screen()).toMatchObject({ code: 0, signal: null });
    const raw = term.raw();
    expect(raw.length).toBeLessThan(20_000); // the hang wrote 34 MB in 20 s
    expect(raw).not.toMatch(SPINNER_FRAME);
    expect(raw).not.toMatch(CURSOR_CODES);
    expect(raw).toMatch(/waiting for DynamoDB/);
    expect(raw.replace(ANSI, '')).toMatch(/tenant zero created/);
  });

  it('SIGTERM while it waits: exit 130 promptly with the usual message', async () => {
    term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'tenant', 'create', 'zeroterm', '--wait', 'data'], stty: ['cols', '0', 'rows', '0'] });
    await term.waitFor(/waiting for DynamoDB/);
    const pid = await term.pid();
    const sent = Date.now();
    process.kill(pid, 'SIGTERM');
    const end = await term.exit(15_000);
    expect({ code: end.code, signal: end.signal }, term.screen()).toEqual({ code: 130, signal: null });
    expect(end.at - sent).toBeLessThan(PROMPT_MS);
    expect(term.raw()).toMatch(/SIGTERM received, stopping/);
    expect(term.raw().length).toBeLessThan(20_000);
  });
});

describe('a narrow 20-column terminal', () => {
  it('tenant create --wait data: a one-line spinner cut to the width, no wrapped leftovers, exit 0', async () => {
    term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'tenant', 'create', 'narrow', '--wait', 'data'], cols: 20, rows: 30 });
    while (!term.ended()) {
      const spin = term
        .screen()
        .split('\n')
        .filter((l) => SPINNER_FRAME.test(l));
      // At most one spinner line on screen at any moment, and it fits the width.
      expect(spin.length).toBeLessThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 40));
    }
    const end = await term.exit();
    expect(end, term.screen()).toMatchObject({ code: 0, signal: null });
    // The spinner ran: its frames are in what the program wrote (however fast the run was, and
    // whether or not a poll above caught one on screen).
    expect(term.raw()).toMatch(SPINNER_FRAME);
    const text = programText(term.screen());
    expect(text.split('\n').filter((l) => SPINNER_FRAME.test(l))).toEqual([]);
    // The spinner's text never wraps: no copy of a "waiting for" line is left on the screen.
    expect(text).not.toMatch(/waiting for/);
    // On a terminal "converged" is said once, by the result (capture-pane -J joins its wrapped
    // line); the spinner goes away without a closing line (test/tty/spinner.test.ts, issue 15).
    expect(text.match(/converged/g), text).toHaveLength(1);
    expect(text).toMatch(/^converged \(data\) in \d+\.\ds:$/m);
    expect(text).toMatch(/^tenant narrow created/m);
  });

  it('SIGTERM during the spinner: exit 130 promptly, cursor shown again', async () => {
    term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'tenant', 'create', 'narrowterm', '--wait', 'data'], cols: 20, rows: 30 });
    await term.waitFor(/waiting for/);
    const pid = await term.pid();
    const sent = Date.now();
    process.kill(pid, 'SIGTERM');
    const end = await term.exit(15_000);
    expect({ code: end.code, signal: end.signal }, term.screen()).toEqual({ code: 130, signal: null });
    expect(end.at - sent).toBeLessThan(PROMPT_MS);
    const raw = term.raw();
    expect(raw.lastIndexOf('\u001b[?25h')).toBeGreaterThan(raw.lastIndexOf('\u001b[?25l'));
    expect(programText(term.screen())).toMatch(/error: interrupted/);
  });
});
