// `isoctl config validate`: check isoctl.json offline and print it with defaults filled in.
import type { Command } from 'commander';
import type { Deps } from '../../deps.js';
import type { StackConfig } from '../../config/schema.js';
import type { CommandRunner } from '../runner.js';

export interface ValidateConfigResult {
  valid: true;
  path: string;
  config: StackConfig;
}

export async function runValidateConfig(deps: Deps): Promise<ValidateConfigResult> {
  const config = await deps.config();
  return { valid: true, path: deps.globals.config, config };
}

export function registerConfigCommands(program: Command, runner: CommandRunner): void {
  const group = program.command('config').description('work with isoctl.json');
  group
    .command('validate')
    .description('validate the config file offline and print it with defaults applied')
    .action(async (_opts: unknown, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const result = await runValidateConfig(deps);
        deps.io.result(
          result,
          (c) =>
            `${c.green('✓')} ${result.path} is valid (stack ${result.config.stack}, ${result.config.mapping} mapping, ${result.config.tables.length} table(s))\n${JSON.stringify(result.config, null, 2)}`,
        );
      }),
    );
}
