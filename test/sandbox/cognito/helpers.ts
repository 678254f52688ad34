// Shared set-up for the Cognito unit tests: callers, an error matcher, and a user pool with an
// app client, a custom attribute and users created the way isoctl creates its probe users.
import { expect } from 'vitest';
import { SandboxError, type Caller, type JsonService } from '../../../src/sandbox/contract.js';
import { createCognitoIdpService } from '../../../src/sandbox/cognito/index.js';
import { fakeContext, type FakeContext } from './fake-context.js';

export const admin: Caller = { kind: 'admin', accessKeyId: 'AKIAADMINADMINADMIN0', arn: 'arn:aws:iam::123456789012:root' };
export const anonymous: Caller = { kind: 'anonymous' };
export const session: Caller = {
  kind: 'session',
  accessKeyId: 'ASIASESSIONSESSION00',
  roleArn: 'arn:aws:iam::123456789012:role/tenant-a',
  roleName: 'tenant-a',
  sessionName: 'CognitoIdentityCredentials',
  arn: 'arn:aws:sts::123456789012:assumed-role/tenant-a/CognitoIdentityCredentials',
  sessionTags: {},
  expiresAt: Date.UTC(2030, 0, 1),
};

export const PASSWORD = 'Correct-horse-9';

/** AWS's default read set, written out: the standard attributes and the two *_verified flags. */
export const STANDARD_READABLE = [
  'address',
  'birthdate',
  'email',
  'email_verified',
  'family_name',
  'gender',
  'given_name',
  'locale',
  'middle_name',
  'name',
  'nickname',
  'phone_number',
  'phone_number_verified',
  'picture',
  'preferred_username',
  'profile',
  'updated_at',
  'website',
  'zoneinfo',
];

// Outputs are plain JSON objects; tests read them loosely.
export type Json = any;

export type Call = (operation: string, input: Record<string, unknown>, caller?: Caller) => Promise<Json>;

export function caller(service: JsonService): Call {
  return (operation, input, who = admin) => service.handle(operation, input, who) as Promise<Json>;
}

/** Expects `promise` to reject with a SandboxError of `code` (and a message matching `message`). */
export async function expectError(promise: Promise<unknown>, code: string, message?: RegExp | string): Promise<SandboxError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(SandboxError);
  const e = caught as SandboxError;
  expect(e.code).toBe(code);
  if (message !== undefined) expect(e.message).toMatch(message);
  return e;
}

export interface UserPoolFixture {
  ctx: FakeContext;
  idp: JsonService;
  call: Call;
  poolId: string;
  clientId: string;
  /** Creates a confirmed user with PASSWORD, the given attributes, and group memberships. */
  createUser(username: string, attrs?: Record<string, string>, groups?: string[]): Promise<Json>;
  /** ADMIN_USER_PASSWORD_AUTH sign-in; returns AuthenticationResult. */
  signIn(username: string, password?: string): Promise<Json>;
}

export async function userPoolFixture(opts: { ctx?: FakeContext; lagCognito?: number } = {}): Promise<UserPoolFixture> {
  const ctx = opts.ctx ?? fakeContext({ lag: { cognito: opts.lagCognito ?? 0 } });
  const idp = await createCognitoIdpService(ctx);
  const call = caller(idp);
  const pool = (
    await call('CreateUserPool', {
      PoolName: 'tenants',
      Schema: [
        { Name: 'tenant', AttributeDataType: 'String', Mutable: true },
        { Name: 'email', AttributeDataType: 'String', Required: false },
      ],
    })
  ).UserPool;
  const client = (
    await call('CreateUserPoolClient', {
      UserPoolId: pool.Id,
      ClientName: 'app',
      ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      // The tenant claim must be readable to reach ID tokens; AWS's default read set has no custom attribute.
      ReadAttributes: [...STANDARD_READABLE, 'custom:tenant'],
    })
  ).UserPoolClient;
  const fixture: UserPoolFixture = {
    ctx,
    idp,
    call,
    poolId: pool.Id,
    clientId: client.ClientId,
    async createUser(username, attrs = {}, groups = []) {
      const created = await call('AdminCreateUser', {
        UserPoolId: pool.Id,
        Username: username,
        MessageAction: 'SUPPRESS',
        UserAttributes: Object.entries(attrs).map(([Name, Value]) => ({ Name, Value })),
      });
      await call('AdminSetUserPassword', { UserPoolId: pool.Id, Username: username, Password: PASSWORD, Permanent: true });
      for (const g of groups) await call('AdminAddUserToGroup', { UserPoolId: pool.Id, Username: username, GroupName: g });
      return created.User;
    },
    async signIn(username, password = PASSWORD) {
      const res = await call('AdminInitiateAuth', {
        UserPoolId: pool.Id,
        ClientId: client.ClientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: username, PASSWORD: password },
      });
      return res.AuthenticationResult;
    },
  };
  return fixture;
}

export function claimsOf(jwt: string): Record<string, Json> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, Json>;
}
