// `isoctl tenant ...`: the tenant lifecycle.
import type { Command } from 'commander';
import type { CommandRunner } from '../runner.js';
import { registerCreateTenant } from './create.js';
import { registerListTenants } from './list.js';
import { registerShowTenant } from './show.js';
import { registerDeleteTenant } from './delete.js';
import { registerVerifyTenant } from './verify.js';
import { registerSuspendTenant } from './suspend.js';
import { registerRevokeSessions } from './revoke.js';

export function registerTenantCommands(program: Command, runner: CommandRunner): void {
  const tenant = program.command('tenant').description('create, list, show, verify, suspend, resume, revoke sessions of and delete tenants');
  registerCreateTenant(tenant, runner);
  registerListTenants(tenant, runner);
  registerShowTenant(tenant, runner);
  registerDeleteTenant(tenant, runner);
  registerVerifyTenant(tenant, runner);
  registerSuspendTenant(tenant, runner);
  registerRevokeSessions(tenant, runner);
}
