// The `isoctl sandbox` command group.
import type { Command } from 'commander';
import type { CommandRunner } from '../runner.js';
import { registerBootstrapCommand } from './bootstrap.js';
import { registerOperatorCommand } from './operator.js';
import { registerServeCommand } from './serve.js';

export function registerSandboxCommands(program: Command, runner: CommandRunner): void {
  const group = program.command('sandbox').description('the embedded local AWS sandbox');
  registerServeCommand(group, runner);
  registerBootstrapCommand(group, runner);
  registerOperatorCommand(group, runner);
}
