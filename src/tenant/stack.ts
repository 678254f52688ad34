// `init`: validate the config against AWS, then make the stack's shared pieces, each only when
// missing or different: the permissions boundary, the lock table, the identity pool's role
// mapping entry for the user pool client, and (granularity user) the principal-tag map.
import { lockTableName, stackPath, boundaryPolicyName, type MappingMode } from '../config/schema.js';
import { PendingError, RefusedError, UsageError } from '../errors.js';
import {
  boundaryPolicyArn,
  buildBoundaryPolicy,
  classicFlowProblem,
  observedIndexProblems,
  otherClientClaimProblems,
  roleReachProblems,
  policiesEqual,
  principalTagAttributeMap,
  serializePolicy,
  tenantClaimProblems,
  tenantTags,
  type AccountProblem,
  type PolicyDocument,
} from '../policy/index.js';
import { cognitoProviderName } from '../aws/apis.js';
import { LOCK_KEY } from '../aws/dynamodb.js';
import type { TenantContext } from './context.js';
import { tagsRecord } from './desired.js';
import { mappingKeyOf } from './observe.js';
import { modifyIdentityPoolRoles } from './pool-roles.js';
import { NotYet } from './wait.js';
import { retry } from '../aws/retry.js';
import * as scopeRole from './resources/scope-role.js';
import { isStackRoleArn } from './resources/role.js';
import { applyAbacInitStep, planAbacInit, type AbacInitAction, type AbacInitStep } from './abac-init.js';
import { scopeRoleName } from '../policy/index.js';
import { waitForTableActive } from './table-active.js';
import { markRegistryFilled } from './registry.js';
import { mappingConflict } from './mapping-conflict.js';

export type InitAction = 'create-boundary' | 'update-boundary' | 'create-lock-table' | 'put-role-mapping' | 'put-principal-tag-map' | AbacInitAction;

export interface InitStep {
  action: InitAction;
  target: string;
  reason: string;
  state: 'done' | 'planned';
  detail?: string | undefined;
  document?: PolicyDocument | undefined;
  /** ABAC steps: the scope role spec they write. */
  abac?: AbacInitStep | undefined;
}

export interface InitResult {
  stack: string;
  accountId: string;
  status: 'created' | 'updated' | 'unchanged' | 'planned';
  dryRun: boolean;
  boundaryArn: string;
  lockTable: string;
  mapping: { mode: MappingMode; key: string };
  steps: InitStep[];
  warnings: string[];
}

export async function initStack(ctx: TenantContext, opts: { dryRun: boolean }): Promise<InitResult> {
  const { apis, config } = ctx;
  const warnings: string[] = [];
  const steps: InitStep[] = [];
  const key = mappingKeyOf(config);
  const provider = cognitoProviderName(config.region, config.userPoolId);

  // 1. Validate the config against what the account shows. Nothing is changed before this passes.
  ctx.progress?.('checking the account, user pool, app client, identity pool and tables');
  const [who, pool, client, idPool] = await Promise.all([
    apis.sts.getCallerIdentity(),
    apis.cognitoIdp.describeUserPool(config.userPoolId),
    apis.cognitoIdp.describeUserPoolClient(config.userPoolId, config.userPoolClientId),
    apis.cognitoIdentity.describeIdentityPool(config.identityPoolId),
  ]);
  const problems: string[] = [];
  if (who.account !== config.accountId) problems.push(`accountId is ${config.accountId}, but the credentials are for account ${who.account} (${who.arn})`);
  if (!pool) problems.push(`userPoolId ${config.userPoolId}: no such user pool in ${config.region}`);
  else if (config.mapping === 'rules' && config.tenantClaim.startsWith('custom:') && !pool.attributeNames.includes(config.tenantClaim))
    problems.push(
      `mapping "rules" needs the user attribute ${config.tenantClaim} in user pool ${config.userPoolId}; add it as a custom attribute (it cannot be added to the token otherwise)`,
    );
  if (pool && !client) problems.push(`userPoolClientId ${config.userPoolClientId}: no such app client in user pool ${config.userPoolId}`);
  if (!idPool) problems.push(`identityPoolId ${config.identityPoolId}: no such identity pool in ${config.region}`);
  else if (!idPool.cognitoProviders.some((p) => p.providerName === provider && p.clientId === config.userPoolClientId))
    problems.push(
      `identity pool ${config.identityPoolId} does not list the provider ${provider} with client ${config.userPoolClientId}; add it under "Authentication providers" (GetCredentialsForIdentity would refuse every token)`,
    );
  if (problems.length > 0)
    throw new UsageError(`the config does not match the account; nothing was changed:\n${problems.map((p) => `  - ${p}`).join('\n')}`, 'config_mismatch', {
      problems,
    });
  if (client && !client.explicitAuthFlows.includes('ALLOW_ADMIN_USER_PASSWORD_AUTH'))
    warnings.push(
      `app client ${config.userPoolClientId} does not allow ALLOW_ADMIN_USER_PASSWORD_AUTH: the probe identity (tenant verify, --wait data) cannot sign in`,
    );
  const tables = await Promise.all(
    config.tables.filter((t) => t.model === 'pooled').map(async (t) => ({ t, info: await apis.dynamodb.describeTable(t.name) })),
  );
  for (const { t, info } of tables) {
    if (!info) warnings.push(`pooled table ${t.name} does not exist yet; tenants cannot read or write until it does`);
    else if (info.partitionKey.name !== t.partitionKey)
      problems.push(`table ${t.name} has partition key ${info.partitionKey.name}, the config says ${t.partitionKey}`);
  }
  if (problems.length > 0)
    throw new UsageError(`the config does not match the account; nothing was changed:\n${problems.map((p) => `  - ${p}`).join('\n')}`, 'config_mismatch', {
      problems,
    });
  // #11: what the documents cannot make up for - the basic flow, a claim users can write (through
  // any app client of the pool) or the client cannot read, an index keyed on another attribute, an
  // isoctl role the identity pool hands to identities the mapping does not place. Refused before
  // any change.
  const claimFromToken = config.mapping === 'rules' || config.mapping === 'abac';
  const [clients, poolRoles] = await Promise.all([
    claimFromToken ? apis.cognitoIdp.listUserPoolClients(config.userPoolId) : Promise.resolve([]),
    apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId),
  ]);
  if (claimFromToken && pool?.preTokenGeneration)
    warnings.push(
      `user pool ${config.userPoolId} has a pre token generation trigger: it can change the ${config.tenantClaim} claim of ID tokens, and isoctl cannot see what it does. Make sure it never sets the claim from anything a user can write.`,
    );
  const unsafe: AccountProblem[] = [
    ...(idPool ? [classicFlowProblem(config, idPool.allowClassicFlow)].filter((p): p is AccountProblem => p !== undefined) : []),
    ...(client ? tenantClaimProblems(config, client) : []),
    ...otherClientClaimProblems(config, clients),
    ...roleReachProblems(config, poolRoles, key),
    ...tables.flatMap(({ t, info }) => (info ? observedIndexProblems(config, t.name, info.indexPartitionKeys ?? {}) : [])),
  ];
  if (unsafe.length > 0)
    throw new RefusedError(
      `the account would let one tenant reach another's data; nothing was changed:\n${unsafe.map((p) => `  - ${p.message}\n    fix: ${p.fix}`).join('\n')}`,
      'isolation_unsafe',
      { problems: unsafe },
    );

  const stackTags = tagsRecord(tenantTags(config, '-'));
  delete stackTags['isoctl:tenant'];
  delete stackTags['isoctl-tenant'];
  const boundaryArn = boundaryPolicyArn(config);
  const boundaryDoc = buildBoundaryPolicy(config);
  const lockTable = lockTableName(config);
  const plan = (s: Omit<InitStep, 'state'>) => steps.push({ ...s, state: 'planned' });

  // 2. Decide what is missing (reads only).
  const boundary = await apis.iam.getPolicy(boundaryArn);
  let boundaryCurrent: unknown;
  if (!boundary) plan({ action: 'create-boundary', target: boundaryArn, reason: 'boundary policy does not exist', document: boundaryDoc });
  else {
    if (boundary.tags && boundary.tags['isoctl:managed-by'] !== 'isoctl')
      throw new RefusedError(`policy ${boundaryArn} exists without the tag isoctl:managed-by=isoctl; isoctl will not change it`, 'not_owned');
    boundaryCurrent = await apis.iam.getPolicyVersion(boundaryArn, boundary.defaultVersionId);
    if (!policiesEqual(boundaryDoc, boundaryCurrent as PolicyDocument))
      plan({
        action: 'update-boundary',
        target: boundaryArn,
        reason: `default version ${boundary.defaultVersionId} differs from the config`,
        document: boundaryDoc,
      });
  }
  const lock = await apis.dynamodb.describeTable(lockTable);
  if (!lock) plan({ action: 'create-lock-table', target: lockTable, reason: 'lock table does not exist' });
  // Made moments ago (by another init running at the same time): its items are not there to read
  // or write until it is ACTIVE, and the mapping step below takes the lock.
  else if (lock.status === 'CREATING' && !opts.dryRun) await waitForTableActive(ctx, apis.dynamodb, lockTable, 'lock table');
  const entry = poolRoles.RoleMappings[key];
  // Token and ABAC mode resolve the role from the token's groups: a Token entry, nothing else.
  const mappingOk =
    config.mapping !== 'rules'
      ? entry?.Type === 'Token' && entry.AmbiguousRoleResolution === 'Deny'
      : entry !== undefined && entry.AmbiguousRoleResolution === 'Deny' && (entry.Type === 'Rules' || entry.Type === 'Token');
  // isoctl's own rules (a rules-mode stack being switched) or another writer's (src/tenant/mapping-conflict.ts).
  if (config.mapping !== 'rules' && entry?.Type === 'Rules' && (entry.RulesConfiguration?.Rules.length ?? 0) > 0) throw mappingConflict(config, key, entry);
  if (!mappingOk)
    plan({
      action: 'put-role-mapping',
      target: `${config.identityPoolId} ${key}`,
      reason: entry
        ? `entry is ${entry.Type} with AmbiguousRoleResolution ${entry.AmbiguousRoleResolution ?? 'unset'}`
        : 'no role mapping for the user pool client',
    });
  await refuseMappingModeChange(ctx);
  if (config.mapping === 'abac')
    for (const s of await planAbacInit(apis, config)) {
      const document =
        s.action === 'put-scope-policy' ? Object.values(s.spec.inlinePolicies)[0] : s.action === 'create-scope-role' ? s.spec.assumeRolePolicy : undefined;
      plan({ action: s.action, target: s.target, reason: s.reason, document, abac: s });
    }
  const wantTags = principalTagAttributeMap(config);
  if (Object.keys(wantTags).length > 0) {
    const current = await apis.cognitoIdentity.getPrincipalTagAttributeMap(config.identityPoolId, provider);
    const same = current && !current.useDefaults && JSON.stringify(sortRecord(current.principalTags)) === JSON.stringify(sortRecord(wantTags));
    if (!same)
      plan({ action: 'put-principal-tag-map', target: `${config.identityPoolId} ${provider}`, reason: `principal tags should be ${JSON.stringify(wantTags)}` });
  }

  const base = { stack: config.stack, accountId: who.account, boundaryArn, lockTable, mapping: { mode: config.mapping, key }, warnings, dryRun: opts.dryRun };
  if (opts.dryRun) return { ...base, status: 'planned', steps };

  // 3. Apply, in order: boundary, lock table, identity pool (under the lock), principal tags.
  for (const step of steps) {
    ctx.progress?.(`${step.action} ${step.target}`);
    switch (step.action) {
      case 'create-boundary':
        await apis.iam
          .createPolicy({
            name: boundaryPolicyName(config.stack),
            path: stackPath(config.stack),
            document: serializePolicy(boundaryDoc),
            description: `isoctl permissions boundary of stack ${config.stack}`,
            tags: stackTags,
          })
          .catch((err: unknown) => {
            if ((err as { kind?: string }).kind === 'access-denied') throw boundaryNeedsAdmin(config.stack, boundaryArn, 'create');
            if ((err as { kind?: string }).kind !== 'already-exists') throw err;
          });
        break;
      case 'update-boundary': {
        const r = await apis.iam.createPolicyVersion(boundaryArn, serializePolicy(boundaryDoc)).catch((err: unknown) => {
          throw (err as { kind?: string }).kind === 'access-denied' ? boundaryNeedsAdmin(config.stack, boundaryArn, 'update') : err;
        });
        step.detail = `new default version ${r.versionId}${r.pruned ? `; deleted old version ${r.pruned} (IAM keeps 5)` : ''}`;
        break;
      }
      case 'create-lock-table':
        await apis.dynamodb.createTable({ name: lockTable, partitionKey: { name: LOCK_KEY, type: 'S' }, tags: stackTags }).catch((err: unknown) => {
          if ((err as { kind?: string }).kind !== 'already-exists') throw err;
        });
        await waitForTableActive(ctx, apis.dynamodb, lockTable, 'lock table');
        // ABAC: a new lock table means a new stack, which has no tenant to fill the registry from,
        // so plain `tenant list` reads only the registry from the start (never ListUsers).
        if (config.mapping === 'abac') {
          await markRegistryFilled(ctx);
          step.detail = 'the tenant registry starts filled: tenant list reads only it';
        }
        break;
      case 'put-role-mapping': {
        const change = await modifyIdentityPoolRoles(apis, config, { now: ctx.now, sleep: ctx.sleep, signal: ctx.signal, purpose: 'init' }, (r) => {
          const cur = r.RoleMappings[key];
          if (config.mapping !== 'rules') r.RoleMappings[key] = { Type: 'Token', AmbiguousRoleResolution: 'Deny' };
          else if (cur?.Type === 'Rules' && (cur.RulesConfiguration?.Rules.length ?? 0) > 0) r.RoleMappings[key] = { ...cur, AmbiguousRoleResolution: 'Deny' };
          // No tenant yet: Cognito needs at least one rule in a Rules entry; Token + Deny gives nobody a role meanwhile.
          else r.RoleMappings[key] = { Type: 'Token', AmbiguousRoleResolution: 'Deny' };
        }).catch((err: unknown) => {
          // Token and ABAC mode: the operator policy has no SetIdentityPoolRoles (it only works on "*").
          if ((err as { kind?: string }).kind === 'access-denied' && config.mapping !== 'rules')
            throw mappingNeedsAdmin(config.stack, config.identityPoolId, config.mapping);
          throw err;
        });
        step.detail = change.changed ? 'written under the lock and read back; other entries kept' : 'already as wanted';
        break;
      }
      case 'put-principal-tag-map':
        // The operator policy has no SetPrincipalTagAttributeMap (it only works on "*").
        await apis.cognitoIdentity
          .setPrincipalTagAttributeMap(config.identityPoolId, provider, { useDefaults: false, principalTags: wantTags })
          .catch((err: unknown) => {
            throw (err as { kind?: string }).kind === 'access-denied' ? principalTagsNeedAdmin(config.stack, config.identityPoolId) : err;
          });
        break;
      case 'create-scope-role':
      case 'put-scope-policy':
      case 'put-scope-group':
        if (step.abac) await applyAbacInitStep(apis, config, step.abac);
        break;
    }
    step.state = 'done';
  }
  // Read back what IAM serves, so a command run right after init (or init again) sees it.
  if (steps.some((s) => s.action === 'create-boundary' || s.action === 'update-boundary')) await waitForBoundary(ctx, boundaryArn, boundaryDoc);
  const status = steps.length === 0 ? 'unchanged' : steps.some((s) => s.action === 'create-boundary') ? 'created' : 'updated';
  return { ...base, status, steps };
}

/**
 * Changing a stack's mapping mode while it has tenants is refused (exit 4); migration is later work.
 * ABAC with tenant roles under the stack path, or token/rules with the ABAC scope roles present.
 */
async function refuseMappingModeChange(ctx: TenantContext): Promise<void> {
  const { apis, config } = ctx;
  const scopeNames = new Set(Object.keys(config.scopes).map((s) => scopeRoleName(config, s)));
  if (config.mapping === 'abac') {
    const tenantRoles = (await apis.iam.listStackRoles(config.stack)).filter((r) => isStackRoleArn(config, r.arn) && !scopeNames.has(r.name));
    if (tenantRoles.length > 0)
      throw new RefusedError(
        `the config says "mapping": "abac", but stack ${config.stack} has ${tenantRoles.length} tenant role(s) of role mode (${tenantRoles
          .slice(0, 3)
          .map((r) => r.name)
          .join(
            ', ',
          )}${tenantRoles.length > 3 ? ', ...' : ''}); changing the mapping mode of a stack with tenants is refused. Delete those tenants first, or keep the old mode.`,
        'mapping_mode_change',
        { tenantRoles: tenantRoles.length },
      );
    return;
  }
  for (const scope of Object.keys(config.scopes)) {
    const name = scopeRoleName(config, scope);
    const role = await apis.iam.getRole(name);
    if (role && scopeRole.owned(config, role, scope).owned)
      throw new RefusedError(
        `the config says "mapping": "${config.mapping}", but stack ${config.stack} was initialised in ABAC mode (scope role ${name} exists); changing the mapping mode of a stack that may have tenants is refused. Delete the ABAC tenants and the scope roles first, or keep "mapping": "abac".`,
        'mapping_mode_change',
      );
  }
}

/**
 * The operator policy cannot write the boundary (#11 vector 4: CreatePolicy cannot constrain the
 * document, so an operator could pre-create it wide open). Writing it is init's admin step.
 */
function boundaryNeedsAdmin(stack: string, arn: string, verb: 'create' | 'update'): RefusedError {
  return new RefusedError(
    `these credentials may not ${verb} the permissions boundary ${arn} (the operator policy denies it by design). Run \`isoctl init\` once with administrator credentials that allow \`isoctl policy render <any-tenant> --kind admin\` (the boundary step), then run it again as the operator; nothing else was changed for stack ${stack}.`,
    'boundary_needs_admin',
  );
}

/** Token mode: writing the pool's Token mapping entry is part of init's admin step (docs/security.md row 4c). */
function mappingNeedsAdmin(stack: string, poolId: string, mode: string): RefusedError {
  return new RefusedError(
    `these credentials may not write the role mapping of identity pool ${poolId}: in ${mode} mode the operator policy has no cognito-identity:SetIdentityPoolRoles (AWS allows it only on Resource "*", every pool of the account). Run \`isoctl init\` once with administrator credentials that allow \`isoctl policy render <any-tenant> --kind admin\`, then run it again as the operator; stack ${stack}'s tenants need no further mapping writes.`,
    'mapping_needs_admin',
  );
}

/** The principal-tag map is written in init's admin step (docs/security.md row 4c). */
function principalTagsNeedAdmin(stack: string, poolId: string): RefusedError {
  return new RefusedError(
    `these credentials may not write the principal-tag map of identity pool ${poolId}: the operator policy has no cognito-identity:SetPrincipalTagAttributeMap (AWS allows it only on Resource "*", every pool of the account). Run \`isoctl init\` once with administrator credentials that allow \`isoctl policy render <any-tenant> --kind admin\`, then run it again as the operator; stack ${stack}'s tenants need no further principal-tag writes.`,
    'principal_tags_need_admin',
  );
}

function sortRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}

async function waitForBoundary(ctx: TenantContext, arn: string, doc: PolicyDocument): Promise<void> {
  await retry(
    ctx,
    async () => {
      const p = await ctx.apis.iam.getPolicy(arn);
      if (p) {
        const current = await ctx.apis.iam.getPolicyVersion(arn, p.defaultVersionId).catch(() => undefined);
        if (current !== undefined && policiesEqual(doc, current as PolicyDocument)) return;
      }
      throw new NotYet('the boundary is not served yet');
    },
    { until: ctx.now() + 60_000, retryOn: (err) => err instanceof NotYet, onRetry: () => ctx.progress?.('waiting for IAM to show the permissions boundary') },
  ).catch((err: unknown) => {
    if (err instanceof NotYet) throw new PendingError(`the boundary ${arn} was written but IAM does not serve it yet; run init again`, 10);
    throw err;
  });
}
