// `isoctl sandbox bootstrap`: the shared pieces a stack needs, made through isoctl's AWS adapters
// against a sandbox endpoint (the same calls would work against AWS): a user pool with a
// `custom:tenant` attribute, an app client for password sign-in that reads the tenant claim and
// cannot write it, an identity pool wired to it (basic flow off), a pooled table, and an
// isoctl.json describing them. Re-running reuses what exists (found by name).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createAwsClients, type StaticCredentials } from '../../aws/clients.js';
import { cognitoProviderName } from '../../aws/cognito-identity.js';
import { cognitoSetupApi } from '../../aws/cognito-setup.js';
import { dynamoApi } from '../../aws/dynamodb.js';
import { stsApi } from '../../aws/sts.js';
import { stackConfigSchema, type MappingMode, type StackConfig, type StackConfigInput } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import type { RetryClock } from '../../aws/retry.js';
import { waitForTableActive } from '../../tenant/table-active.js';

export interface BootstrapOptions {
  endpoint: string;
  region: string;
  credentials: StaticCredentials;
  stack: string;
  mapping: MappingMode;
  granularity: 'tenant' | 'user';
  /** Where to write isoctl.json. */
  out: string;
  /** The clock the wait for the new table runs on (the command's; default the real one). */
  clock?: RetryClock | undefined;
}

const realClock: RetryClock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export type BootstrapStep = 'created' | 'exists';

export interface BootstrapResult {
  configPath: string;
  /** Whether the config file changed. */
  configWritten: boolean;
  config: StackConfig;
  userPool: { id: string; name: string; step: BootstrapStep };
  userPoolClient: { id: string; name: string; step: BootstrapStep };
  identityPool: { id: string; name: string; step: BootstrapStep };
  table: { name: string; step: BootstrapStep };
}

export function bootstrapNames(stack: string) {
  return {
    userPool: `isoctl-${stack}`,
    client: `isoctl-${stack}-app`,
    // Identity pool names allow only word characters and spaces.
    identityPool: `isoctl_${stack.replace(/-/g, '_')}`,
    table: `isoctl-${stack}-data`,
  };
}

/** The tenant claim the bootstrapped stack maps from (isoctl's default `tenantClaim`). */
export const TENANT_CLAIM = 'custom:tenant';

/**
 * The standard attributes a user may edit through the app client. The tenant claim is left out:
 * a user who could write it could pick another tenant's role (#11 vector 5).
 */
export const STANDARD_WRITABLE = [
  'address',
  'birthdate',
  'email',
  'family_name',
  'gender',
  'given_name',
  'locale',
  'middle_name',
  'name',
  'nickname',
  'phone_number',
  'picture',
  'preferred_username',
  'profile',
  'updated_at',
  'website',
  'zoneinfo',
];

/**
 * What the app client may read: AWS's default set (standard attributes plus the two *_verified
 * flags) and the tenant claim, which the default leaves out of ID tokens, so rules mode and the
 * principal-tag map would never see it.
 */
export const CLIENT_READ_ATTRIBUTES = [...STANDARD_WRITABLE, 'email_verified', 'phone_number_verified', TENANT_CLAIM];

export async function bootstrapSandbox(opts: BootstrapOptions): Promise<BootstrapResult> {
  if (!stackConfigSchema.shape.stack.safeParse(opts.stack).success)
    throw new UsageError(`--stack: "${opts.stack}" is not a stack name (1-16 of a-z 0-9 -, no leading or trailing -)`, 'bad_flag');
  const names = bootstrapNames(opts.stack);
  const clients = createAwsClients({ region: opts.region, endpoint: opts.endpoint, credentials: opts.credentials });
  try {
    const cognito = cognitoSetupApi(clients);
    const { account: accountId } = await stsApi(clients).getCallerIdentity();

    let userPoolId = await cognito.findUserPool(names.userPool);
    const userPoolStep: BootstrapStep = userPoolId ? 'exists' : 'created';
    userPoolId ??= await cognito.createUserPool({ name: names.userPool, customStringAttributes: [{ name: 'tenant', minLength: 1, maxLength: 32 }] });

    let clientId = await cognito.findUserPoolClient(userPoolId, names.client);
    const clientStep: BootstrapStep = clientId ? 'exists' : 'created';
    clientId ??= await cognito.createUserPoolClient(userPoolId, {
      name: names.client,
      explicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      readAttributes: CLIENT_READ_ATTRIBUTES,
      writeAttributes: STANDARD_WRITABLE,
    });

    let identityPoolId = await cognito.findIdentityPool(names.identityPool);
    const identityStep: BootstrapStep = identityPoolId ? 'exists' : 'created';
    identityPoolId ??= await cognito.createIdentityPool({
      name: names.identityPool,
      providerName: cognitoProviderName(opts.region, userPoolId),
      clientId,
      allowClassicFlow: false,
    });

    // The pooled table.
    const ddb = dynamoApi(clients);
    const tableStep: BootstrapStep = (await ddb.describeTable(names.table)) ? 'exists' : 'created';
    if (tableStep === 'created')
      await ddb.createTable({
        name: names.table,
        partitionKey: { name: 'tenantId', type: 'S' },
        sortKey: { name: 'sk', type: 'S' },
        tags: { 'isoctl:stack': opts.stack, 'isoctl:managed-by': 'isoctl' },
      });
    // A new table is CREATING for a while; the config is only handed out once it is usable.
    await waitForTableActive(opts.clock ?? realClock, ddb, names.table, 'pooled table');

    const input: StackConfigInput = {
      stack: opts.stack,
      region: opts.region,
      accountId,
      userPoolId,
      userPoolClientId: clientId,
      identityPoolId,
      mapping: opts.mapping,
      granularity: opts.granularity,
      tenantClaim: TENANT_CLAIM,
      tables: [{ name: names.table, partitionKey: 'tenantId', sortKey: 'sk', model: 'pooled' }],
    };
    const config = stackConfigSchema.parse(input);
    const text = `${JSON.stringify(input, null, 2)}\n`;
    const configWritten = !existsSync(opts.out) || readFileSync(opts.out, 'utf8') !== text;
    if (configWritten) {
      mkdirSync(dirname(opts.out), { recursive: true });
      const tmp = `${opts.out}.${process.pid}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, opts.out);
    }
    return {
      configPath: opts.out,
      configWritten,
      config,
      userPool: { id: userPoolId, name: names.userPool, step: userPoolStep },
      userPoolClient: { id: clientId, name: names.client, step: clientStep },
      identityPool: { id: identityPoolId, name: names.identityPool, step: identityStep },
      table: { name: names.table, step: tableStep },
    };
  } finally {
    clients.destroy();
  }
}
