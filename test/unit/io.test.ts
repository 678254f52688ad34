import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { colorEnabled, spinnerEnabled, type IOStreams } from '../../src/io/streams.js';
import { Output, formatTable } from '../../src/io/output.js';
import { terminalPrompter } from '../../src/io/prompt.js';
import { UsageError } from '../../src/errors.js';

function streams(tty: { out?: boolean; err?: boolean; in?: boolean }, env: NodeJS.ProcessEnv = {}) {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty.out });
  // A terminal reports its width; spinners need at least MIN_SPINNER_COLUMNS (a 0-column terminal gets plain lines).
  const stderr = Object.assign(new PassThrough(), { isTTY: tty.err, columns: 80 });
  const stdin = Object.assign(new PassThrough(), { isTTY: tty.in });
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const s: IOStreams = { stdin, stdout, stderr, env };
  return { s, out: () => out, err: () => err };
}

describe('colour and spinner decisions', () => {
  it('colours only a terminal without NO_COLOR, TERM=dumb or --no-color', () => {
    expect(colorEnabled({ isTTY: true }, {}, false)).toBe(true);
    expect(colorEnabled({ isTTY: false }, {}, false)).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' }, false)).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' }, false)).toBe(false);
    expect(colorEnabled({ isTTY: true }, {}, true)).toBe(false);
  });

  it('shows spinners only on a terminal stderr outside CI and without --quiet', () => {
    expect(spinnerEnabled(streams({ err: true }).s, false)).toBe(true);
    expect(spinnerEnabled(streams({ err: false }).s, false)).toBe(false);
    expect(spinnerEnabled(streams({ err: true }, { CI: 'true' }).s, false)).toBe(false);
    expect(spinnerEnabled(streams({ err: true }).s, true)).toBe(false);
  });
});

describe('Output', () => {
  it('writes results to stdout and messages to stderr', () => {
    const t = streams({});
    const io = new Output(t.s, { json: false, quiet: false, verbose: false, noColor: false });
    io.result({ a: 1 }, () => 'RESULT');
    io.info('note');
    io.warn('careful');
    expect(t.out()).toBe('RESULT\n');
    expect(t.err()).toBe('note\nwarning: careful\n');
  });

  it('--quiet keeps results and errors only', () => {
    const t = streams({});
    const io = new Output(t.s, { json: false, quiet: true, verbose: false, noColor: false });
    io.info('note');
    io.warn('careful');
    io.error('boom');
    io.result(null, () => 'RESULT');
    expect(t.out()).toBe('RESULT\n');
    expect(t.err()).toBe('error: boom\n');
  });

  it('--json writes exactly one document and refuses a second', () => {
    const t = streams({});
    const io = new Output(t.s, { json: true, quiet: false, verbose: false, noColor: false });
    io.result({ a: 1 }, () => 'ignored');
    expect(JSON.parse(t.out())).toEqual({ a: 1 });
    expect(() => io.result({ b: 2 }, () => '')).toThrow(/second JSON document/);
  });

  it('colours a terminal stdout and never a pipe', () => {
    const tty = streams({ out: true });
    new Output(tty.s, { json: false, quiet: false, verbose: false, noColor: false }).result(null, (c) => c.green('ok'));
    expect(tty.out()).toContain('\u001b[32m');
    const pipe = streams({ out: false });
    new Output(pipe.s, { json: false, quiet: false, verbose: false, noColor: false }).result(null, (c) => c.green('ok'));
    expect(pipe.out()).toBe('ok\n');
  });

  it('formats aligned tables', () => {
    expect(
      formatTable(
        ['id', 'status'],
        [
          ['acme', 'ok'],
          ['b', 'orphan'],
        ],
      ),
    ).toBe('ID    STATUS\nacme  ok\nb     orphan');
  });
});

describe('typed confirmation', () => {
  it('refuses to prompt without a terminal unless --yes', async () => {
    const t = streams({ in: false, err: false });
    await expect(terminalPrompter(t.s, { yes: false, noInput: false }).confirmTyped('Delete tenant acme', 'acme')).rejects.toThrow(/pass --yes/);
    await expect(terminalPrompter(t.s, { yes: true, noInput: false }).confirmTyped('Delete tenant acme', 'acme')).resolves.toBeUndefined();
  });

  it('refuses with --no-input even on a terminal', async () => {
    const t = streams({ in: true, err: true });
    await expect(terminalPrompter(t.s, { yes: false, noInput: true }).confirmTyped('x', 'acme')).rejects.toBeInstanceOf(UsageError);
  });

  it('accepts the typed id on a terminal and rejects anything else', async () => {
    const ok = streams({ in: true, err: true });
    const p = terminalPrompter(ok.s, { yes: false, noInput: false }).confirmTyped('Delete tenant acme', 'acme');
    ok.s.stdin.push('acme\n');
    await expect(p).resolves.toBeUndefined();
    const bad = streams({ in: true, err: true });
    const q = terminalPrompter(bad.s, { yes: false, noInput: false }).confirmTyped('Delete tenant acme', 'acme');
    bad.s.stdin.push('acm\n');
    await expect(q).rejects.toThrow(/did not match/);
  });
});
