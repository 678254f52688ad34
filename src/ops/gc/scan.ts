// The reads behind a gc plan: one ListRoles scan (every isoctl stack, for the shared-pool check),
// the groups (token) or the identity pool's rules (rules), the probe users, then per-candidate
// reads only for tenants that look like garbage (GetRole + ListRolePolicies, or GetRole to confirm
// a role is really gone). Reads only.
import type { AwsApis } from '../../aws/apis.js';
import type { AccountScansApi } from '../../aws/account-scans.js';
import type { StackConfig } from '../../config/schema.js';
import { mappingKeyOf, rulesOf } from '../../tenant/observe.js';
import { PROBE_USER_PREFIX } from '../../tenant/names.js';
import { mapLimit } from '../concurrency.js';
import { withRetry, type RetryClock } from '../retry.js';
import { gcCandidates, type GcListing, type GcReads, type RoleDetails } from './plan.js';

/** Path prefix of every isoctl stack: one scan serves this stack and the shared-user-pool check. */
export const ISOCTL_PATH_PREFIX = '/isoctl/';

export interface GcScan {
  listing: GcListing;
  reads: GcReads;
}

export async function scanForGc(apis: AwsApis, ops: AccountScansApi, config: StackConfig, clock: RetryClock, concurrency: number): Promise<GcScan> {
  const retry = <T>(fn: () => Promise<T>) => withRetry(clock, fn);
  const [roles, groups, rules, probeUsers] = await Promise.all([
    retry(() => ops.listRolesUnderPath(ISOCTL_PATH_PREFIX)),
    config.mapping === 'token' ? retry(() => ops.listGroupsWithDates(config.userPoolId)) : Promise.resolve(undefined),
    config.mapping === 'rules'
      ? retry(() => apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId)).then((r) => rulesOf(r, mappingKeyOf(config)))
      : Promise.resolve(undefined),
    retry(() => ops.listUsersByPrefix(config.userPoolId, PROBE_USER_PREFIX)),
  ]);
  const listing: GcListing = { roles, groups, rules, probeUsers };
  const candidates = gcCandidates(config, listing);
  const reads: GcReads = { roles: new Map(), exists: new Map() };
  await mapLimit(candidates.detailRoles, concurrency, async (name) => {
    reads.roles.set(name, await readRoleDetails(apis, name, clock));
  });
  await mapLimit(candidates.confirmAbsent, concurrency, async (name) => {
    reads.exists.set(name, (await retry(() => apis.iam.getRole(name))) !== undefined);
  });
  return { listing, reads };
}

export async function readRoleDetails(apis: AwsApis, name: string, clock: RetryClock): Promise<RoleDetails> {
  const role = await withRetry(clock, () => apis.iam.getRole(name));
  if (!role) return { exists: false, arn: '', path: '', createDate: undefined, tags: {}, inlinePolicies: [] };
  const inlinePolicies = await withRetry(clock, () => apis.iam.listRolePolicies(name)).catch((err: unknown) => {
    if ((err as { kind?: string }).kind === 'not-found') return undefined;
    throw err;
  });
  if (inlinePolicies === undefined) return { exists: false, arn: '', path: '', createDate: undefined, tags: {}, inlinePolicies: [] };
  const tags = role.tags ?? (await withRetry(clock, () => apis.iam.listRoleTags(name)));
  return { exists: true, arn: role.arn, path: role.path, createDate: role.createDate, tags, inlinePolicies };
}
