// The spinner of `tenant create --wait data` in a real terminal: it names the service it waits
// for and ends cleanly. Wherever a spinner does not belong (CI, --quiet, NO_COLOR, --no-color,
// TERM=dumb, stderr not a terminal) there is none, and no cursor or colour codes either.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestSandbox } from '../helpers/sandbox.js';
import { startStack } from './stack.js';
import { assertTmux, ESC, killTmuxServer, programText, sleep, SPINNER_FRAME, Terminal } from './terminal.js';

let sb: TestSandbox;
let term: Terminal | undefined;

beforeAll(async () => {
  assertTmux();
  sb = await startStack('spin');
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
const CURSOR_CODES = /\u001b\[\?25[lh]|\u001b\[\d*G|\u001b\[\d*K|\u001b\[\?2026[hl]|\u001b\[\d*[ABCDJ]/;

describe('tenant create on a terminal', () => {
  it('--wait data: the spinner names each service it waits for, then leaves a clean screen', async () => {
    term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'tenant', 'create', 'acme', '--wait', 'data'] });
    const seen = new Set<string>();
    let frames = 0;
    while (!term.ended()) {
      const screen = term.screen();
      const line = screen.split('\n').find((l) => SPINNER_FRAME.test(l));
      if (line) {
        frames++;
        const m = /waiting for (IAM|Cognito|DynamoDB)/.exec(line);
        if (m) seen.add(m[1]!);
      }
      await sleep(40);
    }
    const end = await term.exit();
    expect(end, term.screen()).toMatchObject({ code: 0, signal: null });
    expect(frames).toBeGreaterThan(0);
    // IAM lags 1 s and DynamoDB 3 s: both waits are long enough to be seen.
    expect([...seen]).toEqual(expect.arrayContaining(['IAM', 'DynamoDB']));

    const text = programText(term.screen());
    const lines = text.split('\n');
    expect(lines.filter((l) => SPINNER_FRAME.test(l))).toEqual([]); // no leftover spinner line
    expect(text).not.toContain(ESC);
    expect(text).not.toMatch(/\[\?25|\[\d*[GK]/); // no escape code printed as text
    // "converged" once: in the result, not also as the spinner's closing line.
    expect(text.match(/converged/g)).toHaveLength(1);
    expect(text).toMatch(/^converged \(data\) in \d+\.\ds:$/m);
    expect(text).toMatch(/^tenant acme created \(role arn:aws:iam::\d{12}:role\/isoctl\/spin\/isoctl-spin-acme\)$/m);
    expect(lines.at(-1)).toMatch(/✓ dynamodb:probe\s+ok/);
    const raw = term.raw();
    expect(raw.lastIndexOf('\u001b[?25h')).toBeGreaterThan(raw.lastIndexOf('\u001b[?25l')); // cursor shown again
    expect(raw.slice(raw.lastIndexOf('\n') + 1).replaceAll('\u001b[?25h', '')).toBe(''); // nothing drawn after the last line
  });
});

describe('no spinner and no terminal codes where they do not belong', () => {
  const cases: Array<{ label: string; tenant: string; args?: string[]; env?: Record<string, string>; colourOnStdout: boolean; progress: boolean }> = [
    { label: 'CI=1', tenant: 'ci', env: { CI: '1' }, colourOnStdout: true, progress: true },
    { label: '--quiet', tenant: 'quiet', args: ['--quiet'], colourOnStdout: true, progress: false },
    { label: 'NO_COLOR=1', tenant: 'nocolor', env: { NO_COLOR: '1' }, colourOnStdout: false, progress: true },
    { label: '--no-color', tenant: 'noflag', args: ['--no-color'], colourOnStdout: false, progress: true },
    { label: 'TERM=dumb', tenant: 'dumb', env: { TERM: 'dumb' }, colourOnStdout: false, progress: true },
  ];

  for (const c of cases) {
    it(`${c.label}: no spinner, no cursor codes${c.colourOnStdout ? '' : ', no colour'}${c.progress ? '; progress as plain lines' : '; no progress'}`, async () => {
      term = Terminal.start({ args: ['--sandbox', sb.stateDir, ...(c.args ?? []), 'tenant', 'create', c.tenant, '--wait', 'iam'], env: c.env });
      const end = await term.exit();
      expect(end, term.screen()).toMatchObject({ code: 0, signal: null });
      const raw = term.raw();
      expect(raw).not.toMatch(SPINNER_FRAME);
      expect(raw).not.toMatch(CURSOR_CODES);
      if (!c.colourOnStdout) expect(raw).not.toContain(ESC);
      const text = programText(term.screen());
      expect(text).toMatch(new RegExp(`^tenant ${c.tenant} created`, 'm'));
      if (c.progress) expect(text).toMatch(/^waiting for IAM to show the role with its trust policy and boundary$/m);
      else expect(text).not.toMatch(/waiting for|reading tenant/);
    });
  }

  it('stderr redirected to a file: progress there as plain lines, no codes; the result on the terminal', async () => {
    term = Terminal.start({ args: ['--sandbox', sb.stateDir, 'tenant', 'create', 'redir', '--wait', 'iam'], stderrToFile: true });
    const end = await term.exit();
    expect(end, term.screen()).toMatchObject({ code: 0, signal: null });
    const err = term.stderrFile();
    expect(err).not.toContain(ESC);
    expect(err).not.toMatch(SPINNER_FRAME);
    expect(err).toMatch(/^waiting for IAM to show the role with its trust policy and boundary$/m);
    expect(err).toMatch(/^converged in \d+\.\ds \(iam\)$/m);
    const raw = term.raw();
    expect(raw).not.toMatch(CURSOR_CODES);
    expect(programText(term.screen())).toMatch(/^tenant redir created/m);
  });
});
