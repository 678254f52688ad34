// ora is loaded only when a spinner will actually show, so scripts and CI never pay for it.
import type { Writable } from 'node:stream';
import { MIN_SPINNER_COLUMNS, terminalColumns } from './streams.js';

export interface Spinner {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

interface SpinnerOptions {
  enabled: boolean;
  stream: Writable & { columns?: number };
  color: boolean;
  /** Where progress goes when no spinner shows (one line per state change). */
  fallback: (line: string) => void;
}

export function startSpinner(text: string, opts: SpinnerOptions): Spinner {
  if (!opts.enabled) return lineSpinner(text, opts.fallback);
  let current = text;
  let ora: import('ora').Ora | undefined;
  let lines: Spinner | undefined;
  let finished: (() => void) | undefined;
  // One line, always: a text wider than the terminal wraps, and every redraw then depends on
  // ora's count of wrapped lines being right for the width at that instant.
  const fit = (t: string) => fitToWidth(t, (terminalColumns(opts.stream) ?? 80) - 2);
  // A terminal shrunk below a usable width (or to 0 columns) mid-run: stop redrawing, go on in lines.
  const onResize = () => {
    if (!ora || (terminalColumns(opts.stream) ?? 0) >= MIN_SPINNER_COLUMNS) {
      if (ora) ora.text = fit(current);
      return;
    }
    ora.stop();
    ora = undefined;
    lines = lineSpinner(current, opts.fallback);
  };
  const ready = import('ora').then(({ default: makeOra }) => {
    if (finished) return finished();
    // discardStdin: false — ora's stdin discarder puts the terminal in raw mode and never resumes
    // stdin, so Ctrl-C became a byte nobody read: the command ran on and the ^C reached the shell
    // afterwards. In cooked mode the terminal turns Ctrl-C into SIGINT for src/cli.ts to handle.
    ora = makeOra({ text: fit(current), stream: opts.stream as NodeJS.WritableStream, color: opts.color ? 'cyan' : false, discardStdin: false }).start();
    opts.stream.on('resize', onResize);
  });
  void ready;
  const end = (fn: (o: import('ora').Ora) => void, fallbackText?: string, lineFn?: (l: Spinner) => void) => {
    opts.stream.off('resize', onResize);
    if (ora) fn(ora);
    else if (lines) lineFn?.(lines);
    else finished = () => opts.fallback(fallbackText ?? current);
  };
  return {
    update(t) {
      current = t;
      if (ora) ora.text = fit(t);
      else lines?.update(t);
    },
    succeed(t) {
      end(
        (o) => o.succeed(fit(t ?? current)),
        t,
        (l) => l.succeed(t),
      );
    },
    fail(t) {
      end(
        (o) => o.fail(fit(t ?? current)),
        t,
        (l) => l.fail(t),
      );
    },
    stop() {
      end((o) => o.stop());
    },
  };
}

/** Cuts a text to `width` characters, ending in an ellipsis when cut. */
export function fitToWidth(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return width <= 1 ? chars.slice(0, Math.max(0, width)).join('') : `${chars.slice(0, width - 1).join('')}…`;
}

function lineSpinner(text: string, write: (line: string) => void): Spinner {
  let last = '';
  const say = (t: string) => {
    if (t !== last) write(t);
    last = t;
  };
  say(text);
  return {
    update: say,
    succeed: (t) => t && say(t),
    fail: (t) => t && say(t),
    stop: () => undefined,
  };
}
