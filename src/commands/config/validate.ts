// `isoctl config validate`: check isoctl.json offline and print it with defaults filled in.
import type { Command } from 'commander';
import type { Deps } from '../../deps.js';
import type { StackConfig } from '../../config/schema.js';
import type { CommandRunner } from '../runner.js';
import { Option } from 'commander';

export interface ValidateConfigResult {
  valid: true;
  path: string;
  config: StackConfig;
}

export async function runValidateConfig(deps: Deps): Promise<ValidateConfigResult> {
  const config = await deps.config();
  return { valid: true, path: deps.globals.config, config };
}

/** `isoctl config schema`: the JSON Schema of isoctl.json, generated from the zod schema. */
export async function runConfigSchema(): Promise<Record<string, unknown>> {
  const { configJsonSchema } = await import('../../config/json-schema.js');
  return configJsonSchema();
}

export function registerConfigCommands(program: Command, runner: CommandRunner): void {
  const group = program.command('config').description('work with isoctl.json');
  group
    .command('schema')
    .description('print the JSON Schema of isoctl.json (for "$schema" in the file: editors complete and check it)')
    .addHelpText(
      'after',
      `
Examples:
  isoctl config schema > isoctl.schema.json     # then "$schema": "./isoctl.schema.json" in isoctl.json
The package ships it too: "$schema": "./node_modules/isoctl/schema/isoctl.schema.json".`,
    )
    .action(async (_opts: unknown, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const schema = await runConfigSchema();
        // The schema is a JSON document either way; --json changes nothing.
        deps.io.result(schema, () => JSON.stringify(schema, null, 2));
      }),
    );
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
  group
    .command('from-terraform')
    .description('write or update the config file from `terraform output -json` (run in dir, or read from stdin with -)')
    .argument('[dir]', 'Terraform working directory, or - to read `terraform output -json` from stdin', '.')
    .option('--ignore-unknown', 'skip outputs that name no isoctl.json field (default: they are an error)', false)
    .option('--dry-run', 'validate and print the result, write nothing', false)
    .addOption(new Option('--terraform <path>', 'the terraform binary').env('TERRAFORM').default('terraform'))
    .addHelpText(
      'after',
      `
An output named as an isoctl.json field (user_pool_id or userPoolId, ...) sets that field; an
output named "isoctl" holding an object sets every field it names. Fields the outputs do not set
are kept from the existing file. The result is validated like any config before it is written;
an unknown or missing output is an error (exit 2) and nothing is written.
Example module: examples/terraform (its README says what Terraform must not manage).`,
    )
    .action(async (dir: string, opts: { ignoreUnknown: boolean; dryRun: boolean; terraform: string }, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const { runFromTerraform } = await import('./from-terraform.js');
        const r = await runFromTerraform(
          { source: dir, out: deps.globals.config, ignoreUnknown: opts.ignoreUnknown, dryRun: opts.dryRun, terraform: opts.terraform },
          deps,
        );
        deps.io.result(r, (c) => {
          const verb = r.status === 'unchanged' ? 'unchanged' : r.written ? r.status : `would be ${r.status} (--dry-run)`;
          const lines = [`${c.green('✓')} ${r.path} ${verb}: stack ${r.config.stack}, ${r.config.mapping} mapping, ${r.config.tables.length} table(s)`];
          if (r.changed.length) lines.push(`  set from Terraform: ${r.changed.map((f) => `${f} (${r.sources[f]})`).join(', ')}`);
          if (r.unchanged.length) lines.push(`  already as Terraform says: ${r.unchanged.join(', ')}`);
          if (r.ignoredOutputs.length) lines.push(`  ignored outputs: ${r.ignoredOutputs.join(', ')}`);
          if (r.status !== 'unchanged') lines.push(`  next: isoctl${deps.globals.configExplicit ? ` --config ${deps.globals.config}` : ''} init`);
          return lines.join('\n');
        });
      }),
    );
}
