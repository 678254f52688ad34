// The stack, checked end to end against the config. This file: the caller's account, the user
// pool and app client (the tenant claim: not writable, readable). The other areas live beside it:
// checks-identity-pool.ts (provider, role mapping, principal-tag map), checks-iam.ts (boundary,
// trust policies, quotas), checks-tables.ts, scope-roles.ts (ABAC), tenant-policies.ts, clobber.ts.
// Reads only. Each check returns one finding with its fix.
import type { AwsApis } from '../../aws/apis.js';
import type { AccountScansApi } from '../../aws/account-scans.js';
import type { StackConfig } from '../../config/schema.js';
import { tenantClaimProblems } from '../../policy/index.js';
import { finding, type Finding } from './types.js';
import type { Reads } from './reads.js';

/** Cognito's quota of groups per user pool. */
export const MAX_GROUPS = 10_000;
/** Share of a quota above which doctor warns. */
export const QUOTA_WARN = 0.8;

export interface DoctorEnv {
  apis: AwsApis;
  ops: AccountScansApi;
  config: StackConfig;
  reads: Reads;
  now(): number;
}

export const INIT = 'isoctl init';
export const denied = (check: Finding['check'], action: string, error: string): Finding =>
  finding(check, 'skipped', `could not read (${error})`, { action: `the permissions finding lists what the caller lacks (${action})` });

export async function checkAccount(env: DoctorEnv): Promise<Finding> {
  const who = await env.reads.once('sts:GetCallerIdentity', () => env.apis.sts.getCallerIdentity());
  if (!who.ok)
    return finding('account', 'problem', `cannot identify the caller: ${who.error}`, {
      action: 'Check the credentials (AWS_PROFILE, --profile) and the endpoint.',
    });
  if (who.value.account !== env.config.accountId)
    return finding(
      'account',
      'problem',
      `the credentials are for account ${who.value.account} (${who.value.arn}); the config says ${env.config.accountId}`,
      {
        action: `Use credentials of account ${env.config.accountId} (--profile), or fix "accountId" in isoctl.json.`,
      },
      { caller: who.value.arn },
    );
  return finding('account', 'ok', `account ${who.value.account} as ${who.value.arn}`, undefined, { caller: who.value.arn });
}

export async function checkUserPool(env: DoctorEnv): Promise<Finding[]> {
  const { config } = env;
  const [pool, client] = await Promise.all([
    env.reads.once('cognito-idp:DescribeUserPool', () => env.apis.cognitoIdp.describeUserPool(config.userPoolId)),
    env.reads.run('cognito-idp:DescribeUserPoolClient', () => env.apis.cognitoIdp.describeUserPoolClient(config.userPoolId, config.userPoolClientId)),
  ]);
  const out: Finding[] = [];
  if (!pool.ok) out.push(denied('user-pool', 'cognito-idp:DescribeUserPool', pool.error));
  else if (!pool.value)
    out.push(
      finding('user-pool', 'problem', `user pool ${config.userPoolId} does not exist in ${config.region}`, {
        action: 'Fix "userPoolId" (and "region") in isoctl.json.',
      }),
    );
  else if ((config.mapping === 'rules' || config.mapping === 'abac') && !pool.value.attributeNames.includes(config.tenantClaim))
    out.push(
      finding(
        'user-pool',
        'problem',
        `${config.mapping} mapping reads the claim ${config.tenantClaim}, but user pool ${config.userPoolId} has no such attribute`,
        {
          action: `Add the custom attribute ${config.tenantClaim.replace(/^custom:/, '')} to the user pool (custom attributes cannot be added later to existing tokens' schema otherwise).`,
        },
      ),
    );
  else out.push(finding('user-pool', 'ok', `user pool ${config.userPoolId}${pool.value.name ? ` (${pool.value.name})` : ''}`));

  if (!client.ok) out.push(denied('app-client', 'cognito-idp:DescribeUserPoolClient', client.error));
  else if (pool.ok && !pool.value) out.push(finding('app-client', 'skipped', 'the user pool does not exist'));
  else if (!client.value)
    out.push(
      finding('app-client', 'problem', `app client ${config.userPoolClientId} does not exist in user pool ${config.userPoolId}`, {
        action: 'Fix "userPoolClientId" in isoctl.json.',
      }),
    );
  else if (tenantClaimProblems(config, client.value).length > 0)
    for (const p of tenantClaimProblems(config, client.value)) out.push(finding('app-client', 'problem', p.message, { action: p.fix }));
  else if (!client.value.explicitAuthFlows.includes('ALLOW_ADMIN_USER_PASSWORD_AUTH'))
    out.push(
      finding(
        'app-client',
        'warning',
        `app client ${config.userPoolClientId} does not allow ALLOW_ADMIN_USER_PASSWORD_AUTH: the probe identity (tenant verify, --wait data) cannot sign in`,
        { action: "Add ALLOW_ADMIN_USER_PASSWORD_AUTH to the app client's auth flows." },
      ),
    );
  else out.push(finding('app-client', 'ok', `app client ${config.userPoolClientId}`));
  return out;
}
