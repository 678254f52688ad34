// `isoctl sandbox operator`: an IAM user in the sandbox with exactly the stack's operator policy,
// printed as shell exports, so isoctl (or the AWS CLI) can run as the least-privilege operator:
//   eval "$(isoctl --sandbox DIR sandbox operator)"; isoctl --endpoint-url "$AWS_ENDPOINT_URL" tenant create acme
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Deps } from '../../deps.js';
import type { CommandRunner } from '../runner.js';
import type { OperatorResult } from '../../sandbox/operator.js';
import { DEFAULT_STATE_DIR } from './bootstrap.js';

export interface OperatorCommandOptions {
  stateDir?: string | undefined;
  userName: string;
}

export interface OperatorCommandResult extends OperatorResult {
  endpoint: string;
  region: string;
  env: Record<string, string>;
}

export async function runSandboxOperator(opts: OperatorCommandOptions, deps: Deps): Promise<OperatorCommandResult> {
  const config = await deps.config();
  const stateDir = resolve(opts.stateDir ?? deps.globals.sandbox ?? DEFAULT_STATE_DIR);
  const [{ attachSandbox }, { provisionOperator }] = await Promise.all([import('../../sandbox/attach.js'), import('../../sandbox/operator.js')]);
  const sandbox = await attachSandbox({ stateDir, log: (m) => deps.io.debug(m) });
  try {
    const region = config.region;
    const result = await provisionOperator({ endpoint: sandbox.endpoint, region, credentials: sandbox.credentials, config, userName: opts.userName });
    return {
      ...result,
      endpoint: sandbox.endpoint,
      region,
      env: {
        AWS_ACCESS_KEY_ID: result.accessKeyId,
        AWS_SECRET_ACCESS_KEY: result.secretAccessKey,
        AWS_ENDPOINT_URL: sandbox.endpoint,
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
      },
    };
  } finally {
    await sandbox.close();
  }
}

export function renderOperatorExports(r: OperatorCommandResult): string {
  // A user's keys are long-term: a session token left in the environment would be sent with them.
  return ['unset AWS_SESSION_TOKEN AWS_PROFILE', ...Object.entries(r.env).map(([k, v]) => `export ${k}=${v}`)].join('\n');
}

export function registerOperatorCommand(group: Command, runner: CommandRunner): void {
  group
    .command('operator')
    .description("create (or refresh) an IAM user with exactly the stack's operator policy and print its keys as shell exports")
    .option('--state-dir <dir>', `sandbox state directory (default: --sandbox's dir, else ${DEFAULT_STATE_DIR})`)
    .option('--user-name <name>', 'IAM user name', 'operator')
    .addHelpText(
      'after',
      "\nThe stack comes from the config (--config). Run `init` first: the operator policy does not let the operator create the boundary policy's later versions.",
    )
    .action(async (opts: OperatorCommandOptions, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const result = await runSandboxOperator(opts, deps);
        deps.io.result(result, () => renderOperatorExports(result));
      }),
    );
}
