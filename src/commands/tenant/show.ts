// `isoctl tenant show <id>`: one tenant's role, documents, mapping, probe user and status.
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../../deps.js';
import type { TenantShowResult } from '../../tenant/inventory.js';
import type { CommandRunner } from '../runner.js';
import { commandContext, suggestingTenants, withSpinner } from './context.js';

export interface ShowTenantOptions {
  tenant: string;
}

export async function runShowTenant(opts: ShowTenantOptions, deps: Deps): Promise<TenantShowResult> {
  const cc = await commandContext(deps, 'tenant show');
  const { showTenant } = await import('../../tenant/inventory.js');
  const result = await withSpinner(cc, () => suggestingTenants(cc, opts.tenant, () => showTenant(cc.ctx, opts.tenant)));
  cc.done(false);
  return result;
}

export function renderShowTenant(r: TenantShowResult, c: ChalkInstance): string {
  const status = r.status === 'ok' ? c.green(r.status) : r.status === 'drift' ? c.yellow(r.status) : c.red(r.status);
  const lines = [
    `tenant ${c.bold(r.tenant)} (stack ${r.stack}): ${status}${r.drift.length ? ` (${r.drift.join(', ')})` : ''}`,
    `  scopes        ${r.scopes.join(', ')}`,
  ];
  if (r.role) {
    lines.push(
      `  role          ${r.role.arn}`,
      `  created       ${r.role.createDate ?? '-'}`,
      `  boundary      ${r.role.permissionsBoundaryArn ?? c.red('none')}`,
    );
    lines.push(`  inline        ${r.role.inlinePolicies.join(', ') || c.red('none')}`);
    lines.push(
      `  tags          ${Object.entries(r.role.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  } else lines.push(`  role          ${c.red('missing')}`);
  if (!r.mapping) lines.push(`  mapping       ${c.red('missing')}`);
  else if (r.mapping.kind === 'group') lines.push(`  mapping       group ${r.mapping.name} -> ${r.mapping.roleArn ?? 'no role'}`);
  else lines.push(`  mapping       rule ${r.mapping.position}/${r.mapping.ruleCount}: ${r.mapping.claim} Equals ${r.mapping.value} -> ${r.mapping.roleArn}`);
  lines.push(
    `  probe user    ${r.probeUser ? `${r.probeUser.username} (${r.probeUser.status ?? '?'}${r.probeUser.groups.length ? `, groups ${r.probeUser.groups.join(',')}` : ''})` : c.yellow('missing')}`,
  );
  for (const t of r.siloTables) lines.push(`  silo table    ${t.name}${t.exists ? '' : c.red(' (missing)')}`);
  lines.push(
    '',
    c.bold('trust policy:'),
    JSON.stringify(r.documents.trustPolicy, null, 2),
    '',
    c.bold('inline data policy:'),
    JSON.stringify(r.documents.dataPolicy, null, 2),
  );
  return lines.join('\n');
}

export function registerShowTenant(tenant: Command, runner: CommandRunner): void {
  tenant
    .command('show')
    .description('show one tenant: role, documents, mapping, probe user, status (exit 3 if absent)')
    .argument('<id>', 'tenant id')
    .action(async (id: string, _o: unknown, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const result = await runShowTenant({ tenant: id }, deps);
        deps.io.result(result, (c) => renderShowTenant(result, c));
      }),
    );
}
