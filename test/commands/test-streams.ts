// In-memory stdin/stdout/stderr for in-process command tests (gh's iostreams.Test()): what a user
// would see on each stream, without spawning the CLI.
import { PassThrough, Readable } from 'node:stream';
import type { IOStreams } from '../../src/io/streams.js';
import { Output } from '../../src/io/output.js';

export interface TestStreams {
  streams: IOStreams;
  stdout(): string;
  stderr(): string;
  /** stdout parsed as the one JSON document `--json` promises. */
  json<T = any>(): T;
}

export function testStreams(opts: { stdin?: string; stdinTTY?: boolean; env?: NodeJS.ProcessEnv } = {}): TestStreams {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) => {
    const s = new PassThrough();
    s.on('data', (c: Buffer | string) => into.push(c.toString()));
    return s;
  };
  const stdin = Readable.from(opts.stdin === undefined ? [] : [opts.stdin]) as Readable & { isTTY?: boolean };
  if (opts.stdinTTY) stdin.isTTY = true;
  const streams: IOStreams = { stdin, stdout: sink(out), stderr: sink(err), env: opts.env ?? {} };
  return {
    streams,
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    json: () => JSON.parse(out.join('')),
  };
}

/** An Output over test streams (not a TTY: no colour, no spinner). */
export function testOutput(t: TestStreams, opts: { json?: boolean; quiet?: boolean; verbose?: boolean } = {}): Output {
  return new Output(t.streams, { json: opts.json ?? false, quiet: opts.quiet ?? false, verbose: opts.verbose ?? false, noColor: true });
}
