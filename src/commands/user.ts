// `isoctl user add|move|remove`: set an application user's tenant (claim and group) through the
// Cognito admin API. The CLI is a thin layer over src/tenant/users.ts.
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../deps.js';
import type { UserResult } from '../tenant/users.js';
import type { CommandRunner } from './runner.js';
import { commandContext, withSpinner } from './tenant/context.js';

export interface UserCommandOptions {
  action: 'add' | 'move' | 'remove';
  username: string;
  tenant?: string | undefined;
  scope?: string | undefined;
  email?: string | undefined;
}

export async function runUserCommand(opts: UserCommandOptions, deps: Deps): Promise<UserResult> {
  const cc = await commandContext(deps, `user ${opts.action} ${opts.username}`);
  const users = await import('../tenant/users.js');
  const tenant = opts.tenant ?? '';
  const result = await withSpinner(cc, () =>
    opts.action === 'add'
      ? users.addUser(cc.ctx, { tenant, username: opts.username, scope: opts.scope, email: opts.email })
      : opts.action === 'move'
        ? users.moveUser(cc.ctx, { tenant, username: opts.username, scope: opts.scope })
        : users.removeUser(cc.ctx, { username: opts.username }),
  );
  cc.done(false);
  return result;
}

export function renderUserResult(r: UserResult, c: ChalkInstance): string {
  const where = r.tenant === null ? '' : ` in tenant ${c.bold(r.tenant)}${r.group ? ` (group ${r.group})` : ''}`;
  const from = r.previousTenant ? ` (was ${r.previousTenant})` : '';
  const lines = [`user ${c.bold(r.username)} ${r.status}${where}${from}${r.status === 'unchanged' ? c.dim('; nothing changed') : ''}`];
  for (const ch of r.changes) lines.push(c.dim(`  ${ch}`));
  if (r.signedOut !== undefined)
    lines.push(c.dim('  refresh and access tokens revoked; an ID token already issued stays valid until it expires (the ID token validity of the app client)'));
  return lines.join('\n');
}

export function registerUserCommands(program: Command, runner: CommandRunner): void {
  const user = program.command('user').description("set an application user's tenant (tenant claim and group) through the Cognito admin API");
  const done = (deps: Deps, result: UserResult) => deps.io.result(result, (c) => renderUserResult(result, c));
  user
    .command('add')
    .description('create the user (or complete it) in a registered tenant: the tenant claim and the group (ABAC: the scope group)')
    .addHelpText(
      'after',
      `
Examples:
  isoctl user add acme alice                       # ABAC: the tenant's first scope
  isoctl user add acme bob --scope write --email bob@example.com`,
    )
    .argument('<tenant>', 'tenant id (must be in the registry)')
    .argument('<username>', 'the Cognito username')
    .option('--scope <S>', "ABAC: the scope group isoctl-<stack>-<S> (default: the tenant's first scope)")
    .option('--email <address>', 'the email attribute of a new user')
    .action(async (tenant: string, username: string, o: { scope?: string; email?: string }, cmd: Command) =>
      runner.run(cmd, async (deps) => done(deps, await runUserCommand({ action: 'add', tenant, username, scope: o.scope, email: o.email }, deps))),
    );
  user
    .command('move')
    .description('move a user to another registered tenant and sign it out globally (its refresh and access tokens are revoked)')
    .argument('<username>', 'the Cognito username')
    .argument('<tenant>', 'the tenant to move to (must be in the registry)')
    .option('--scope <S>', 'ABAC: also change the scope group')
    .action(async (username: string, tenant: string, o: { scope?: string }, cmd: Command) =>
      runner.run(cmd, async (deps) => done(deps, await runUserCommand({ action: 'move', tenant, username, scope: o.scope }, deps))),
    );
  user
    .command('remove')
    .description("sign a tenant's user out globally and delete it from the user pool")
    .argument('<username>', 'the Cognito username')
    .action(async (username: string, _o: unknown, cmd: Command) =>
      runner.run(cmd, async (deps) => done(deps, await runUserCommand({ action: 'remove', username }, deps))),
    );
}
