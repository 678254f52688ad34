// Typed confirmation for destructive work. Without a terminal it refuses instead of hanging.
import { createInterface } from 'node:readline';
import { isTTY, type IOStreams } from './streams.js';
import { InterruptedError, UsageError } from '../errors.js';

export interface Prompter {
  /** Resolves when the user typed `expected`; throws UsageError when it cannot ask or the answer differs. */
  confirmTyped(question: string, expected: string): Promise<void>;
}

export function terminalPrompter(streams: IOStreams, opts: { yes: boolean; noInput: boolean; signal?: AbortSignal | undefined }): Prompter {
  return {
    async confirmTyped(question, expected) {
      if (opts.yes) return;
      const refuse = (why: string) => new UsageError(`${question} Not confirmed: ${why}; pass --yes to confirm`, 'confirmation_required');
      if (opts.noInput) throw refuse('--no-input is set');
      if (!isTTY(streams.stdin) || !isTTY(streams.stderr)) throw refuse('no terminal to ask on (stdin and stderr must be terminals)');
      if (opts.signal?.aborted) throw new InterruptedError();
      const answer = await askLine(streams, `${question}\nType ${JSON.stringify(expected)} to confirm: `, opts.signal);
      if (answer.trim() !== expected) throw new UsageError('confirmation did not match; nothing was changed', 'confirmation_mismatch');
    },
  };
}

/**
 * One line from the terminal. Ctrl-C (the terminal is in raw mode, so it reaches readline, not
 * the process) or the command's abort signal (SIGTERM): InterruptedError. End of input (Ctrl-D):
 * no answer, a usage error. Either way the next message starts on a line of its own.
 */
function askLine(streams: IOStreams, prompt: string, signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: streams.stdin, output: streams.stderr });
    let settled = false;
    const finish = (settle: () => void, newline: boolean) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (newline) streams.stderr.write('\n');
      rl.close();
      settle();
    };
    // The signal handler in src/cli.ts already printed its notice on a new line.
    const onAbort = () => finish(() => reject(new InterruptedError()), false);
    signal?.addEventListener('abort', onAbort, { once: true });
    rl.on('SIGINT', () => finish(() => reject(new InterruptedError()), true));
    rl.on('close', () => finish(() => reject(new UsageError('no answer (end of input); nothing was changed', 'confirmation_required')), true));
    rl.question(prompt, (answer) => finish(() => resolve(answer), false));
  });
}
