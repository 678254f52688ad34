// `isoctl sandbox bootstrap`: the shared pieces a stack needs, made through the AWS SDK against
// a sandbox endpoint (the same calls would work against AWS): a user pool with a `custom:tenant`
// attribute, an app client for password sign-in, an identity pool wired to it, a pooled table,
// and an isoctl.json describing them. Re-running reuses what exists (found by name).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createAwsClients, type StaticCredentials } from '../aws/clients.js';
import { cognitoProviderName } from '../aws/cognito-identity.js';
import { dynamoApi } from '../aws/dynamodb.js';
import { stackConfigSchema, type StackConfig, type StackConfigInput } from '../config/schema.js';
import { UsageError } from '../errors.js';

export interface BootstrapOptions {
  endpoint: string;
  region: string;
  credentials: StaticCredentials;
  stack: string;
  mapping: 'token' | 'rules';
  granularity: 'tenant' | 'user';
  /** Where to write isoctl.json. */
  out: string;
}

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

export async function bootstrapSandbox(opts: BootstrapOptions): Promise<BootstrapResult> {
  if (!stackConfigSchema.shape.stack.safeParse(opts.stack).success)
    throw new UsageError(`--stack: "${opts.stack}" is not a stack name (1-16 of a-z 0-9 -, no leading or trailing -)`, 'bad_flag');
  const names = bootstrapNames(opts.stack);
  const clients = createAwsClients({ region: opts.region, endpoint: opts.endpoint, credentials: opts.credentials });
  try {
    const [idpSdk, identitySdk, stsSdk] = await Promise.all([
      import('@aws-sdk/client-cognito-identity-provider'),
      import('@aws-sdk/client-cognito-identity'),
      import('@aws-sdk/client-sts'),
    ]);
    const idp = await clients.cognitoIdp();
    const identity = await clients.cognitoIdentity();
    const sts = await clients.sts();
    const accountId = (await sts.send(new stsSdk.GetCallerIdentityCommand({}))).Account!;

    // User pool, found by name.
    let userPoolId = await findPaged(async (NextToken) => {
      const page = await idp.send(new idpSdk.ListUserPoolsCommand({ MaxResults: 60, NextToken }));
      return { found: page.UserPools?.find((p) => p.Name === names.userPool)?.Id, next: page.NextToken };
    });
    const userPoolStep: BootstrapStep = userPoolId ? 'exists' : 'created';
    if (!userPoolId) {
      const created = await idp.send(
        new idpSdk.CreateUserPoolCommand({
          PoolName: names.userPool,
          Schema: [{ Name: 'tenant', AttributeDataType: 'String', Mutable: true, StringAttributeConstraints: { MinLength: '1', MaxLength: '32' } }],
        }),
      );
      userPoolId = created.UserPool!.Id!;
    }

    // App client, found by name.
    const poolId = userPoolId;
    let clientId = await findPaged(async (NextToken) => {
      const page = await idp.send(new idpSdk.ListUserPoolClientsCommand({ UserPoolId: poolId, MaxResults: 60, NextToken }));
      return { found: page.UserPoolClients?.find((c) => c.ClientName === names.client)?.ClientId, next: page.NextToken };
    });
    const clientStep: BootstrapStep = clientId ? 'exists' : 'created';
    if (!clientId) {
      const created = await idp.send(
        new idpSdk.CreateUserPoolClientCommand({
          UserPoolId: userPoolId,
          ClientName: names.client,
          GenerateSecret: false,
          ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        }),
      );
      clientId = created.UserPoolClient!.ClientId!;
    }

    // Identity pool wired to the user pool client, found by name.
    const providerName = cognitoProviderName(opts.region, userPoolId);
    let identityPoolId = await findPaged(async (NextToken) => {
      const page = await identity.send(new identitySdk.ListIdentityPoolsCommand({ MaxResults: 60, NextToken }));
      return { found: page.IdentityPools?.find((p) => p.IdentityPoolName === names.identityPool)?.IdentityPoolId, next: page.NextToken };
    });
    const identityStep: BootstrapStep = identityPoolId ? 'exists' : 'created';
    if (!identityPoolId) {
      const created = await identity.send(
        new identitySdk.CreateIdentityPoolCommand({
          IdentityPoolName: names.identityPool,
          AllowUnauthenticatedIdentities: false,
          CognitoIdentityProviders: [{ ProviderName: providerName, ClientId: clientId, ServerSideTokenCheck: false }],
        }),
      );
      identityPoolId = created.IdentityPoolId!;
    }

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

    const input: StackConfigInput = {
      stack: opts.stack,
      region: opts.region,
      accountId,
      userPoolId,
      userPoolClientId: clientId,
      identityPoolId,
      mapping: opts.mapping,
      granularity: opts.granularity,
      tenantClaim: 'custom:tenant',
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

/** Walks a paginated listing until `page` finds what it looks for. */
async function findPaged(page: (token: string | undefined) => Promise<{ found: string | undefined; next: string | undefined }>): Promise<string | undefined> {
  let token: string | undefined;
  do {
    const r = await page(token);
    if (r.found) return r.found;
    token = r.next;
  } while (token);
  return undefined;
}
