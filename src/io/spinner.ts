// ora is loaded only when a spinner will actually show, so scripts and CI never pay for it.
import type { Writable } from 'node:stream';

export interface Spinner {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

interface SpinnerOptions {
  enabled: boolean;
  stream: Writable;
  color: boolean;
  /** Where progress goes when no spinner shows (one line per state change). */
  fallback: (line: string) => void;
}

export function startSpinner(text: string, opts: SpinnerOptions): Spinner {
  if (!opts.enabled) return lineSpinner(text, opts.fallback);
  let current = text;
  let ora: import('ora').Ora | undefined;
  let finished: (() => void) | undefined;
  const ready = import('ora').then(({ default: makeOra }) => {
    if (finished) return finished();
    // discardStdin: false — ora's stdin discarder puts the terminal in raw mode and never resumes
    // stdin, so Ctrl-C became a byte nobody read: the command ran on and the ^C reached the shell
    // afterwards. In cooked mode the terminal turns Ctrl-C into SIGINT for src/cli.ts to handle.
    ora = makeOra({ text: current, stream: opts.stream as NodeJS.WritableStream, color: opts.color ? 'cyan' : false, discardStdin: false }).start();
  });
  void ready;
  const end = (fn: (o: import('ora').Ora) => void, fallbackText?: string) => {
    if (ora) fn(ora);
    else finished = () => opts.fallback(fallbackText ?? current);
  };
  return {
    update(t) {
      current = t;
      if (ora) ora.text = t;
    },
    succeed(t) {
      end((o) => o.succeed(t ?? current), t);
    },
    fail(t) {
      end((o) => o.fail(t ?? current), t);
    },
    stop() {
      end((o) => o.stop());
    },
  };
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
