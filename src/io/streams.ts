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

/**
 * Spinners only on a terminal stderr, never in CI, and never where colour is off (NO_COLOR,
 * --no-color, TERM=dumb): a spinner redraws with cursor codes, which those settings ask to avoid.
 */
export function spinnerEnabled(streams: IOStreams, quiet: boolean, noColorFlag = false): boolean {
  if (quiet || noColorFlag) return false;
  if (streams.env.CI !== undefined && streams.env.CI !== '' && streams.env.CI !== 'false') return false;
  if (streams.env.NO_COLOR !== undefined && streams.env.NO_COLOR !== '') return false;
  if (streams.env.TERM === 'dumb') return false;
  return isTTY(streams.stderr);
}
