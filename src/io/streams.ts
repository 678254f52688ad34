// Per-stream terminal detection and the colour decision (clig.dev, gh's iostreams).
import type { Readable, Writable } from 'node:stream';

export interface IOStreams {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export function processStreams(): IOStreams {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

export function isTTY(stream: { isTTY?: boolean }): boolean {
  return stream.isTTY === true;
}

/** Colour only for a terminal, and never with NO_COLOR, TERM=dumb or --no-color. */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, noColorFlag: boolean): boolean {
  if (noColorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return isTTY(stream);
}

/** Spinners only on a terminal stderr, and never in CI. */
export function spinnerEnabled(streams: IOStreams, quiet: boolean): boolean {
  if (quiet) return false;
  if (streams.env.CI !== undefined && streams.env.CI !== '' && streams.env.CI !== 'false') return false;
  if (streams.env.TERM === 'dumb') return false;
  return isTTY(streams.stderr);
}
