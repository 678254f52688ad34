// What a tenant should look like, built from the config by src/policy, before any AWS call.
import type { StackConfig } from '../config/schema.js';
import { assertTenantId } from '../config/tenant-id.js';
import { RefusedError } from '../errors.js';
import {
  INLINE_POLICY_NAME,
  assertTenantWithinLimits,
  boundaryPolicyArn,
  buildDataPolicy,
  buildTrustPolicy,
  proveIsolation,
  resolveScopes as policyResolveScopes,
  serializePolicy,
  tenantRoleArn,
  tenantRoleName,
  tenantRolePath,
  tenantTableName,
  tenantTags,
} from '../policy/index.js';
import type { PolicyDocument } from '../policy/types.js';
import { scopeGroupName, scopeRoleArn } from '../policy/abac.js';
import { groupDescription, probeUsername, SCOPES_SEPARATOR, TAG_SCOPES, tenantGroupName } from './names.js';

export type DesiredMapping =
  { kind: 'group'; groupName: string; roleArn: string; description: string } | { kind: 'rule'; claim: string; value: string; roleArn: string };

export interface DesiredSiloTable {
  name: string;
  partitionKey: string;
  sortKey: string | undefined;
}

export interface DesiredTenant {
  tenant: string;
  stack: string;
  scopes: string[];
  role: {
    name: string;
    arn: string;
    path: string;
    boundaryArn: string;
    tags: Record<string, string>;
    trustPolicy: PolicyDocument;
    trustJson: string;
  };
  dataPolicy: { name: string; document: PolicyDocument; json: string };
  mapping: DesiredMapping;
  probe: { username: string; attributes: Record<string, string>; group: string | undefined };
  siloTables: DesiredSiloTable[];
}

/** Resolves `--scope` values (comma lists or repeats) against the config; undefined -> every scope. Sorted. */
export function resolveScopes(config: StackConfig, requested: string[] | undefined): string[] {
  const wanted = requested
    ?.flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  return policyResolveScopes(config, wanted && wanted.length > 0 ? wanted : undefined);
}

/** The scopes recorded on a role's tag; undefined when absent or naming a scope the config no longer has. */
export function scopesFromTag(config: StackConfig, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(SCOPES_SEPARATOR).filter(Boolean);
  if (names.length === 0 || !names.every((n) => n in config.scopes)) return undefined;
  return policyResolveScopes(config, names);
}

export function tagsRecord(tags: Array<{ Key: string; Value: string }> | Record<string, string>): Record<string, string> {
  if (!Array.isArray(tags)) return { ...tags };
  const out: Record<string, string> = {};
  for (const t of tags) out[t.Key] = t.Value;
  return out;
}

/** The desired state of one tenant. Throws UsageError for a bad id, PolicyError 'over-limit' when a limit is exceeded. */
export function desiredTenant(config: StackConfig, tenantId: string, scopes: string[]): DesiredTenant {
  const tenant = assertTenantId(tenantId, config.stack);
  assertTenantWithinLimits(config, tenant, scopes);
  const trustPolicy = buildTrustPolicy(config);
  const dataDoc = buildDataPolicy(config, tenant, scopes);
  const roleArn = tenantRoleArn(config, tenant);
  const tags = { ...tagsRecord(tenantTags(config, tenant)), [TAG_SCOPES]: scopes.join(SCOPES_SEPARATOR) };
  // ABAC: no tenant role or group; the probe carries the claim and sits in its first scope's group.
  const abacScope = scopes[0] ?? Object.keys(config.scopes).sort()[0] ?? '';
  const mapping: DesiredMapping =
    config.mapping === 'abac'
      ? { kind: 'group', groupName: scopeGroupName(config, abacScope), roleArn: scopeRoleArn(config, abacScope), description: groupDescription(config, tenant) }
      : config.mapping === 'rules'
        ? { kind: 'rule', claim: config.tenantClaim, value: tenant, roleArn }
        : { kind: 'group', groupName: tenantGroupName(tenant), roleArn, description: groupDescription(config, tenant) };
  const probeAttributes: Record<string, string> = {};
  if (config.mapping === 'rules' || config.mapping === 'abac') probeAttributes[config.tenantClaim] = tenant;
  return {
    tenant,
    stack: config.stack,
    scopes,
    role: {
      name: tenantRoleName(config, tenant),
      arn: roleArn,
      path: tenantRolePath(config),
      boundaryArn: boundaryPolicyArn(config),
      tags,
      trustPolicy,
      trustJson: serializePolicy(trustPolicy),
    },
    dataPolicy: { name: INLINE_POLICY_NAME, document: dataDoc, json: serializePolicy(dataDoc) },
    mapping,
    probe: { username: probeUsername(tenant), attributes: probeAttributes, group: mapping.kind === 'group' ? mapping.groupName : undefined },
    siloTables: config.tables
      .filter((t) => t.model === 'silo')
      .map((t) => ({ name: tenantTableName(t, tenant), partitionKey: t.partitionKey, sortKey: t.sortKey })),
  };
}

/**
 * The offline isolation proof for `tenant` next to the tenants already known (`others`, e.g. the
 * stack's existing tenants from the registry), in both directions: `tenant` cannot reach any of
 * theirs, none of them can reach `tenant`'s. A synthetic neighbour is always among them. Refuses
 * (exit 4) when it fails.
 */
export function assertIsolationProof(config: StackConfig, tenant: string, others: string[] = []): void {
  const neighbour = tenant === 'isoctl-proof-neighbour' ? 'isoctl-proof-other' : 'isoctl-proof-neighbour';
  const tenants = [...new Set([tenant, neighbour, ...others])];
  const result = proveIsolation(config, tenants, { subject: tenant });
  if (!result.ok) {
    const shown = result.failures.slice(0, 5).map((f) => `  - ${typeof f === 'string' ? f : JSON.stringify(f)}`);
    throw new RefusedError(
      `the isolation proof failed for tenant ${JSON.stringify(tenant)} (${result.failures.length} failing check${result.failures.length === 1 ? '' : 's'}); nothing was changed:\n${shown.join('\n')}\nRun \`isoctl policy check ${tenant}\` for details.`,
      'isolation_proof_failed',
      { failures: result.failures },
    );
  }
}
