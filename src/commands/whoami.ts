// `isoctl whoami`: the account, identity and endpoint isoctl would act with. A cheap first
// check in a runbook before anything mutates, and a warning when the config names another account.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import type { CommandRunner } from './runner.js';

export interface WhoamiResult {
  account: string;
  arn: string;
  userId: string;
  region: string;
  endpoint: string | null;
  /** The config's accountId, when a config file is present. */
  configAccountId: string | null;
  matchesConfig: boolean | null;
}

export async function runWhoami(deps: Deps): Promise<WhoamiResult> {
  const apis = await deps.apis();
  const id = await apis.sts.getCallerIdentity();
  const config = await deps.config().catch((err: unknown) => {
    if (deps.globals.configExplicit) throw err;
    return undefined;
  });
  return {
    ...id,
    region: apis.target.region,
    endpoint: apis.target.endpoint ?? null,
    configAccountId: config?.accountId ?? null,
    matchesConfig: config ? config.accountId === id.account : null,
  };
}

export function registerWhoamiCommand(program: Command, runner: CommandRunner): void {
  program
    .command('whoami')
    .description('show the AWS account and identity isoctl acts as')
    .action(async (_opts: unknown, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const r = await runWhoami(deps);
        if (r.matchesConfig === false) deps.io.warn(`the config names account ${r.configAccountId}, but these credentials are for ${r.account}`);
        deps.io.result(r, () => `account  ${r.account}\narn      ${r.arn}\nregion   ${r.region}${r.endpoint ? `\nendpoint ${r.endpoint}` : ''}`);
      }),
    );
}
