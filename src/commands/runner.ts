// What a command's commander wiring receives: a way to run its body with built Deps.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';

export interface CommandRunner {
  /** Builds Deps from the global options of `cmd` and runs `body`; errors go to src/cli.ts's mapping. */
  run(cmd: Command, body: (deps: Deps) => Promise<void>): Promise<void>;
}
