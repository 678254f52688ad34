// The identity pool's principal-tag map for the user pool provider (made by init for granularity
// "user" and ABAC). It carries no tags: it is isoctl's while it says exactly what the config asks
// for; a map someone changed since is theirs and is left alone.
import type { PrincipalTagMap } from '../../aws/apis.js';
import { cognitoProviderName } from '../../aws/apis.js';
import type { StackConfig } from '../../config/schema.js';
import { principalTagAttributeMap } from '../../policy/index.js';
import { ALREADY_GONE, notOwned, OWNED, retryRemoval, type Ownership, type RemovalContext, type RemovalOutcome } from './types.js';

export const kind = 'principal-tags';

const canonical = (r: Record<string, string>) => JSON.stringify(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));

/** undefined or empty: nothing to remove. */
export function isEmpty(map: PrincipalTagMap | undefined): boolean {
  return !map || (!map.useDefaults && Object.keys(map.principalTags).length === 0);
}

export function owned(config: StackConfig, map: PrincipalTagMap): Ownership {
  const want = principalTagAttributeMap(config);
  if (map.useDefaults || canonical(map.principalTags) !== canonical(want))
    return notOwned(
      `the principal-tag map is ${map.useDefaults ? 'the defaults' : JSON.stringify(map.principalTags)}, not the ${JSON.stringify(want)} isoctl writes`,
    );
  return OWNED;
}

/** Re-reads the map and clears it (no tags, no defaults: the pool's state before init) while it is still isoctl's. */
export async function remove(ctx: RemovalContext): Promise<RemovalOutcome> {
  const { config } = ctx;
  const provider = cognitoProviderName(config.region, config.userPoolId);
  const ci = ctx.apis.cognitoIdentity;
  const current = await retryRemoval(ctx, () => ci.getPrincipalTagAttributeMap(config.identityPoolId, provider));
  if (!current || isEmpty(current)) return { state: 'skipped', detail: ALREADY_GONE };
  const o = owned(config, current);
  if (!o.owned) return { state: 'skipped', detail: o.reason };
  await retryRemoval(ctx, () => ci.setPrincipalTagAttributeMap(config.identityPoolId, provider, { useDefaults: false, principalTags: {} }));
  return { state: 'removed' };
}
