// The one-off setup of a stack's shared Cognito pieces (`isoctl sandbox bootstrap`): find or
// create a user pool, an app client and an identity pool by name. Kept apart from the tenant
// adapters (cognito-idp.ts, cognito-identity.ts), which only ever read these pieces.
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import type { AwsClients } from './clients.js';
import { call } from './call.js';

export interface UserPoolSpec {
  name: string;
  /** Custom attributes, named without the `custom:` prefix. */
  customStringAttributes: Array<{ name: string; minLength: number; maxLength: number }>;
}

export interface UserPoolClientSpec {
  name: string;
  explicitAuthFlows: string[];
  /** Set explicitly: AWS's default (unset) hides every custom attribute from the ID token. */
  readAttributes: string[];
  /** Set explicitly: an attribute missing here cannot be changed by the signed-in user. */
  writeAttributes: string[];
}

export interface IdentityPoolSpec {
  name: string;
  providerName: string;
  clientId: string;
  /** The basic (classic) flow; AWS's default is off, stated anyway. */
  allowClassicFlow: boolean;
}

export interface CognitoSetupApi {
  findUserPool(name: string): Promise<string | undefined>;
  createUserPool(spec: UserPoolSpec): Promise<string>;
  findUserPoolClient(userPoolId: string, name: string): Promise<string | undefined>;
  createUserPoolClient(userPoolId: string, spec: UserPoolClientSpec): Promise<string>;
  findIdentityPool(name: string): Promise<string | undefined>;
  createIdentityPool(spec: IdentityPoolSpec): Promise<string>;
}

/** Walks a paginated listing until `page` finds what it looks for. */
async function findPaged(page: (token: string | undefined) => Promise<{ found: string | undefined; next: string | undefined }>): Promise<string | undefined> {
  let token: string | undefined;
  do {
    const r = await page(token);
    if (r.found) return r.found;
    token = r.next || undefined;
  } while (token);
  return undefined;
}

export function cognitoSetupApi(clients: AwsClients): CognitoSetupApi {
  type Idp = typeof import('@aws-sdk/client-cognito-identity-provider');
  type Identity = typeof import('@aws-sdk/client-cognito-identity');
  let idpP: Promise<[Idp, CognitoIdentityProviderClient]> | undefined;
  let identityP: Promise<[Identity, CognitoIdentityClient]> | undefined;
  const idp = <T>(operation: string, fn: (m: Idp, c: CognitoIdentityProviderClient) => Promise<T>) =>
    call('cognito-idp', operation, async () => {
      const [m, c] = await (idpP ??= Promise.all([import('@aws-sdk/client-cognito-identity-provider'), clients.cognitoIdp()]));
      return fn(m, c);
    });
  const identity = <T>(operation: string, fn: (m: Identity, c: CognitoIdentityClient) => Promise<T>) =>
    call('cognito-identity', operation, async () => {
      const [m, c] = await (identityP ??= Promise.all([import('@aws-sdk/client-cognito-identity'), clients.cognitoIdentity()]));
      return fn(m, c);
    });
  const missing = (what: string) => Object.assign(new Error(`${what} returned no id`), { name: 'InternalErrorException' });

  return {
    findUserPool: (name) =>
      findPaged((NextToken) =>
        idp('ListUserPools', async (m, c) => {
          const page = await c.send(new m.ListUserPoolsCommand({ MaxResults: 60, NextToken }));
          return { found: page.UserPools?.find((p) => p.Name === name)?.Id, next: page.NextToken };
        }),
      ),
    createUserPool: (spec) =>
      idp('CreateUserPool', async (m, c) => {
        const res = await c.send(
          new m.CreateUserPoolCommand({
            PoolName: spec.name,
            Schema: spec.customStringAttributes.map((a) => ({
              Name: a.name,
              AttributeDataType: 'String',
              Mutable: true,
              StringAttributeConstraints: { MinLength: String(a.minLength), MaxLength: String(a.maxLength) },
            })),
          }),
        );
        const id = res.UserPool?.Id;
        if (!id) throw missing('CreateUserPool');
        return id;
      }),
    findUserPoolClient: (userPoolId, name) =>
      findPaged((NextToken) =>
        idp('ListUserPoolClients', async (m, c) => {
          const page = await c.send(new m.ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60, NextToken }));
          return { found: page.UserPoolClients?.find((cl) => cl.ClientName === name)?.ClientId, next: page.NextToken };
        }),
      ),
    createUserPoolClient: (userPoolId, spec) =>
      idp('CreateUserPoolClient', async (m, c) => {
        const res = await c.send(
          new m.CreateUserPoolClientCommand({
            UserPoolId: userPoolId,
            ClientName: spec.name,
            GenerateSecret: false,
            ExplicitAuthFlows: spec.explicitAuthFlows as never,
            ReadAttributes: spec.readAttributes,
            WriteAttributes: spec.writeAttributes,
          }),
        );
        const id = res.UserPoolClient?.ClientId;
        if (!id) throw missing('CreateUserPoolClient');
        return id;
      }),
    findIdentityPool: (name) =>
      findPaged((NextToken) =>
        identity('ListIdentityPools', async (m, c) => {
          const page = await c.send(new m.ListIdentityPoolsCommand({ MaxResults: 60, NextToken }));
          return { found: page.IdentityPools?.find((p) => p.IdentityPoolName === name)?.IdentityPoolId, next: page.NextToken };
        }),
      ),
    createIdentityPool: (spec) =>
      identity('CreateIdentityPool', async (m, c) => {
        const res = await c.send(
          new m.CreateIdentityPoolCommand({
            IdentityPoolName: spec.name,
            AllowUnauthenticatedIdentities: false,
            AllowClassicFlow: spec.allowClassicFlow,
            CognitoIdentityProviders: [{ ProviderName: spec.providerName, ClientId: spec.clientId, ServerSideTokenCheck: false }],
          }),
        );
        if (!res.IdentityPoolId) throw missing('CreateIdentityPool');
        return res.IdentityPoolId;
      }),
  };
}
