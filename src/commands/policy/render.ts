// `isoctl policy render <tenant>`: the documents isoctl would deploy for a tenant, offline.
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../../deps.js';
import { UsageError } from '../../errors.js';
import { assertTenantId } from '../../config/tenant-id.js';
import type { LimitFinding, PolicyDocument } from '../../policy/index.js';
import type { CommandRunner } from '../runner.js';
import { collectScope, parseScopeFlag } from '../scope-flag.js';

export const POLICY_KINDS = ['trust', 'data', 'boundary', 'operator', 'admin'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

export interface RenderPolicyOptions {
  tenant: string;
  kind?: PolicyKind | undefined;
  scopes?: string[] | undefined;
}

export interface RenderPolicyResult {
  tenant: string;
  stack: string;
  scopes: string[];
  role: { name: string; arn: string; path: string; permissionsBoundary: string; inlinePolicyName: string; tags: Array<{ Key: string; Value: string }> };
  documents: Partial<Record<PolicyKind, PolicyDocument>>;
  /** Characters IAM counts (whitespace excluded) and the quota, per document. */
  sizes: Partial<Record<PolicyKind, { chars: number; max: number }>>;
  limits: LimitFinding[];
}

export function parseKind(value: string | undefined): PolicyKind | undefined {
  if (value === undefined) return undefined;
  if ((POLICY_KINDS as readonly string[]).includes(value)) return value as PolicyKind;
  throw new UsageError(`--kind must be one of ${POLICY_KINDS.join(', ')} (got ${JSON.stringify(value)})`, 'bad_flag');
}

export async function runRenderPolicy(opts: RenderPolicyOptions, deps: Deps): Promise<RenderPolicyResult> {
  const config = await deps.config();
  const tenant = assertTenantId(opts.tenant, config.stack);
  const p = await import('../../policy/index.js');
  const role = p.buildTenantRole(config, tenant, opts.scopes);
  const all: Record<PolicyKind, () => PolicyDocument> = {
    trust: () => role.assumeRolePolicy,
    data: () => role.inlinePolicies[p.INLINE_POLICY_NAME] as PolicyDocument,
    boundary: () => p.buildBoundaryPolicy(config),
    operator: () => p.buildOperatorPolicy(config),
    admin: () => p.buildBoundaryAdminPolicy(config),
  };
  const max: Record<PolicyKind, number> = {
    trust: config.trustPolicyMaxChars,
    data: p.LIMITS.inlinePolicyCharsPerRole,
    boundary: p.LIMITS.managedPolicyChars,
    operator: p.LIMITS.managedPolicyChars,
    admin: p.LIMITS.managedPolicyChars,
  };
  const documents: RenderPolicyResult['documents'] = {};
  const sizes: RenderPolicyResult['sizes'] = {};
  for (const kind of opts.kind ? [opts.kind] : POLICY_KINDS) {
    const doc = all[kind]();
    // The exact wire form (stable key order), parsed back so JSON output shows that order.
    documents[kind] = JSON.parse(p.serializePolicy(doc)) as PolicyDocument;
    sizes[kind] = { chars: p.policySize(doc), max: max[kind] };
  }
  return {
    tenant,
    stack: config.stack,
    scopes: role.scopes,
    role: {
      name: role.roleName,
      arn: role.arn,
      path: role.path,
      permissionsBoundary: role.permissionsBoundary ?? '',
      inlinePolicyName: p.INLINE_POLICY_NAME,
      tags: role.tags,
    },
    documents,
    sizes,
    limits: [...p.checkTenantLimits(config, tenant, role.scopes), ...p.checkStackLimits(config).filter((l) => l.limit === 'operator-policy-size')],
  };
}

const TITLES: Record<PolicyKind, string> = {
  trust: 'trust policy',
  data: 'inline data-access policy',
  boundary: 'permissions boundary',
  operator: 'operator policy',
  admin: "administrator's policy for init's boundary step",
};

export function renderPolicyText(r: RenderPolicyResult, c: ChalkInstance, kind: PolicyKind | undefined): string {
  if (kind) return JSON.stringify(r.documents[kind], null, 2);
  const lines = [`${c.bold(`tenant ${r.tenant}`)} (stack ${r.stack}, scopes ${r.scopes.join(', ')}): role ${r.role.arn}`];
  for (const k of POLICY_KINDS) {
    const doc = r.documents[k];
    if (!doc) continue;
    const size = r.sizes[k];
    const where =
      k === 'data'
        ? ` ${r.role.inlinePolicyName} of ${r.role.name}`
        : k === 'trust'
          ? ` of ${r.role.name}`
          : k === 'boundary'
            ? ` ${r.role.permissionsBoundary}`
            : '';
    lines.push(
      '',
      c.bold(`# ${TITLES[k]}${where} (${size?.chars.toLocaleString('en-US')} of ${size?.max.toLocaleString('en-US')} characters)`),
      JSON.stringify(doc, null, 2),
    );
  }
  return lines.join('\n');
}

export function registerRenderPolicy(policy: Command, runner: CommandRunner): void {
  policy
    .command('render')
    .description('print the documents isoctl would deploy for a tenant, offline, from the config')
    .argument('<tenant>', 'tenant id')
    .option('--kind <kind>', `only one document: ${POLICY_KINDS.join(', ')} (with --json: that document alone)`)
    .option('--scope <names>', 'scopes for the data policy (comma-separated or repeated; default: all)', collectScope)
    .action(async (id: string, o: { kind?: string; scope?: string[] }, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const kind = parseKind(o.kind);
        const result = await runRenderPolicy({ tenant: id, kind, scopes: parseScopeFlag(o.scope) }, deps);
        for (const l of result.limits) deps.io.warn(`${l.limit}: ${l.message}`);
        deps.io.result(kind ? result.documents[kind] : result, (c) => renderPolicyText(result, c, kind));
      }),
    );
}
