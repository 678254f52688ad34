// STS over awsQuery: GetCallerIdentity for every caller, AssumeRoleWithWebIdentity for
// Cognito OpenID tokens (the identity pool's basic flow), checked against the role's trust policy.
import { SandboxError, type Caller, type RoleView } from './contract.js';
import type { CoreContext } from './context.js';
import { optionalInt, optionalString, requiredString, type QueryParams, type XmlObject } from './query.js';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const STS_ACTIONS = new Set([
  'GetCallerIdentity',
  'AssumeRoleWithWebIdentity',
  'AssumeRole',
  'AssumeRoleWithSAML',
  'GetSessionToken',
  'GetFederationToken',
  'GetAccessKeyInfo',
  'DecodeAuthorizationMessage',
  'AssumeRoot',
]);
/** Operations AWS serves without a signature. */
export const STS_UNSIGNED = new Set(['AssumeRoleWithWebIdentity', 'AssumeRoleWithSAML']);

export interface WebIdentity {
  identityId: string;
  identityPoolId: string;
  amr: string[];
}

export interface StsDeps {
  ctx: CoreContext;
  /** Verifies a Cognito OpenID token (Cognito's tokens.ts). */
  verifyWebIdentity(token: string): Promise<WebIdentity>;
  /** Whether the role's trust policy lets this web identity assume it (with sts:TagSession when tags are applied). */
  trustAllows(role: RoleView, identity: WebIdentity): boolean;
}

const NOT_AUTHORIZED = 'Not authorized to perform sts:AssumeRoleWithWebIdentity';

export class StsService {
  readonly namespace = STS_NAMESPACE;

  constructor(private readonly d: StsDeps) {}

  knows(action: string): boolean {
    return action === 'GetCallerIdentity' || action === 'AssumeRoleWithWebIdentity';
  }

  isMutating(): boolean {
    return false;
  }

  async handle(action: string, params: QueryParams, caller: Caller): Promise<XmlObject> {
    if (action === 'GetCallerIdentity') return this.getCallerIdentity(caller);
    if (action === 'AssumeRoleWithWebIdentity') return this.assumeRoleWithWebIdentity(params);
    throw new SandboxError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
  }

  private getCallerIdentity(caller: Caller): XmlObject {
    const ctx = this.d.ctx;
    if (caller.kind === 'admin') return { UserId: ctx.core.admin.userId, Account: ctx.accountId, Arn: ctx.adminArn };
    if (caller.kind === 'user') return { UserId: caller.userId, Account: ctx.accountId, Arn: caller.arn };
    if (caller.kind === 'session') {
      const s = ctx.session(caller.accessKeyId);
      return { UserId: `${s?.roleId ?? 'AROA'}:${caller.sessionName}`, Account: ctx.accountId, Arn: caller.arn };
    }
    throw new SandboxError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  }

  private async assumeRoleWithWebIdentity(p: QueryParams): Promise<XmlObject> {
    const roleArn = requiredString(p, 'RoleArn', { min: 20, max: 2048 });
    const sessionName = requiredString(p, 'RoleSessionName', { min: 2, max: 64, pattern: '[\\w+=,.@-]*' });
    const token = requiredString(p, 'WebIdentityToken', { min: 4, max: 20000 });
    const duration = optionalInt(p, 'DurationSeconds', 900, 43200) ?? 3600;
    optionalString(p, 'Policy', { min: 1, max: 2048 });
    let identity: WebIdentity;
    try {
      identity = await this.d.verifyWebIdentity(token);
    } catch (err) {
      if (err instanceof SandboxError) throw err;
      throw new SandboxError('InvalidIdentityToken', `Couldn't verify the web identity token: ${(err as Error).message}`);
    }
    const role = this.d.ctx.getRole(roleArn, 'iam');
    if (!role) throw new SandboxError('AccessDenied', NOT_AUTHORIZED, 403);
    if (duration > this.d.ctx.maxSessionDuration(role.name))
      throw new SandboxError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    if (!this.d.trustAllows(role, identity)) throw new SandboxError('AccessDenied', NOT_AUTHORIZED, 403);
    const creds = this.d.ctx.issueSession(role, sessionName, {}, duration);
    return {
      Credentials: {
        AccessKeyId: creds.accessKeyId,
        SecretAccessKey: creds.secretAccessKey,
        SessionToken: creds.sessionToken,
        Expiration: new Date(creds.expiration),
      },
      SubjectFromWebIdentityToken: identity.identityId,
      AssumedRoleUser: {
        AssumedRoleId: `${role.roleId}:${sessionName}`,
        Arn: `arn:aws:sts::${this.d.ctx.accountId}:assumed-role/${role.name}/${sessionName}`,
      },
      Provider: 'cognito-identity.amazonaws.com',
      Audience: identity.identityPoolId,
    };
  }
}
