// Per-stream terminal detection and the colour decision (clig.dev, gh's iostreams).
import type { Readable, Writable } from 'node:stream';

export interface IOStreams {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
}

export function processStreams(): IOStreams {
  // `isoctl tenant list | head`: a reader that went away is not a crash with a stack trace. The
  // rest of the output is dropped and the command ends as it would have.
  for (const s of [process.stdout, process.stderr]) {
    if (s.listenerCount('error') === 0)
      s.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') throw err;
      });
  }
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
 * The narrowest terminal a spinner line fits (a frame, a space and a few characters of text).
 * Below it, and where the terminal reports no width at all (`stty cols 0`: CI runners,
 * `docker exec -t`, `expect`), progress goes out as plain lines: ora divides by the width to know
 * how many lines to clear, and with 0 columns it cleared forever, blocking every signal.
 */
export const MIN_SPINNER_COLUMNS = 12;

/** The terminal's usable width, or undefined when it reports none (0, missing, not a number). */
export function terminalColumns(stream: { columns?: number }): number | undefined {
  const c = stream.columns;
  return typeof c === 'number' && Number.isFinite(c) && c >= 1 ? Math.floor(c) : undefined;
}

/**
 * Spinners only on a terminal stderr at least MIN_SPINNER_COLUMNS wide, never in CI, and never where colour is off (NO_COLOR,
 * --no-color, TERM=dumb): a spinner redraws with cursor codes, which those settings ask to avoid.
 */
export function spinnerEnabled(streams: IOStreams, quiet: boolean, noColorFlag = false): boolean {
  if (quiet || noColorFlag) return false;
  if (streams.env.CI !== undefined && streams.env.CI !== '' && streams.env.CI !== 'false') return false;
  if (streams.env.NO_COLOR !== undefined && streams.env.NO_COLOR !== '') return false;
  if (streams.env.TERM === 'dumb') return false;
  if (!isTTY(streams.stderr)) return false;
  return (terminalColumns(streams.stderr) ?? 0) >= MIN_SPINNER_COLUMNS;
}
