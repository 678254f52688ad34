// Typed confirmation for destructive work. Without a terminal it refuses instead of hanging.
import { createInterface } from 'node:readline/promises';
import { isTTY, type IOStreams } from './streams.js';
import { UsageError } from '../errors.js';

export interface Prompter {
  /** Resolves when the user typed `expected`; throws UsageError when it cannot ask or the answer differs. */
  confirmTyped(question: string, expected: string): Promise<void>;
}

export function terminalPrompter(streams: IOStreams, opts: { yes: boolean; noInput: boolean }): Prompter {
  return {
    async confirmTyped(question, expected) {
      if (opts.yes) return;
      if (opts.noInput || !isTTY(streams.stdin) || !isTTY(streams.stderr)) {
        throw new UsageError(`${question} needs confirmation: pass --yes (no terminal to ask on)`, 'confirmation_required');
      }
      const rl = createInterface({ input: streams.stdin, output: streams.stderr });
      try {
        const answer = await rl.question(`${question}\nType ${JSON.stringify(expected)} to confirm: `);
        if (answer.trim() !== expected) throw new UsageError('confirmation did not match; nothing was changed', 'confirmation_mismatch');
      } finally {
        rl.close();
      }
    },
  };
}
