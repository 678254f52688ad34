// `isoctl policy ...`: the documents, offline.
import type { Command } from 'commander';
import type { CommandRunner } from '../runner.js';
import { registerCheckPolicy } from './check.js';
import { registerRenderPolicy } from './render.js';

export function registerPolicyCommands(program: Command, runner: CommandRunner): void {
  const policy = program.command('policy').description('render the documents and check them (lint + isolation proof), offline');
  registerRenderPolicy(policy, runner);
  registerCheckPolicy(policy, runner);
}
