// How long a tenant's users can still act after their tenant is gone: an ID token lives up to the
// app client's IdTokenValidity (AWS: 5 min to 1 day), and credentials bought with it in its last
// second live up to a role session's ceiling. gc (tombstones, revocations, deleted ids) and
// `tenant create`'s id-reuse check wait out the same sum, so the numbers live here once.
import type { AwsApis } from '../aws/apis.js';
import type { StackConfig } from '../config/schema.js';
import { withRetry, type RetryClock } from '../ops/retry.js';

/**
 * The longest lifetime of a credential a revocation may still have to deny: IAM's ceiling on a
 * role session (MaxSessionDuration is at most 12 h; Cognito's enhanced flow hands out 1 h). Not the
 * role's current MaxSessionDuration: lowering it does not shorten sessions already issued.
 */
export const LONGEST_CREDENTIAL_SECONDS = 43_200;

/** AWS's ceiling on an app client's IdTokenValidity (one day): used when the client cannot be read. */
export const MAX_ID_TOKEN_SECONDS = 86_400;

/** The app client's ID token lifetime, capped at AWS's one-day maximum; the maximum when it cannot be read. */
export async function idTokenLifetime(apis: AwsApis, config: StackConfig, clock: RetryClock): Promise<{ seconds: number; source: string }> {
  const client = await withRetry(clock, () => apis.cognitoIdp.describeUserPoolClient(config.userPoolId, config.userPoolClientId)).catch(() => undefined);
  const s = client?.idTokenSeconds;
  if (s === undefined || !(s > 0)) return { seconds: MAX_ID_TOKEN_SECONDS, source: "app client's validity not readable: AWS's maximum" };
  if (s > MAX_ID_TOKEN_SECONDS) return { seconds: MAX_ID_TOKEN_SECONDS, source: `app client says ${s}s, over AWS's one-day maximum` };
  return { seconds: s, source: `app client ${config.userPoolClientId}` };
}
