// Who is calling (SigV4: admin keys, an issued session, or nobody) and whether that caller may
// make this call at all before the service looks at it. Services that enforce resource-level
// policies (DynamoDB) authorise again per resource; this is the control-plane gate.
import type { IncomingMessage } from 'node:http';
import { SandboxError, type Caller } from '../contract.js';
import type { CoreContext } from '../context.js';
import { parseAuthorization, verifySignature } from '../sigv4.js';
import { authenticateS3 } from '../s3/signing.js';
import { STS_UNSIGNED } from '../sts.js';
import type { ControlPlane } from '../control-plane/authorize.js';
import { headerOf, type Protocol, type Routed } from './routing.js';

export type AuthErrorKind = 'unknown' | 'expired' | 'signature' | 'incomplete' | 'missing' | 'scope';

/** The auth errors each protocol family uses for the same failure. */
export function authError(kind: AuthErrorKind, protocol: Protocol, expected?: string): SandboxError {
  const q = protocol === 'query';
  switch (kind) {
    case 'unknown':
      return q
        ? new SandboxError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403)
        : new SandboxError('UnrecognizedClientException', 'The security token included in the request is invalid.', 400);
    case 'expired':
      return q
        ? new SandboxError('ExpiredToken', 'The security token included in the request is expired', 403)
        : new SandboxError('ExpiredTokenException', 'The security token included in the request is expired', 400);
    case 'signature': {
      const msg =
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
      return q ? new SandboxError('SignatureDoesNotMatch', msg, 403) : new SandboxError('InvalidSignatureException', msg, 400);
    }
    case 'scope': {
      const msg = `Credential should be scoped to correct service: '${expected}'. `;
      return q ? new SandboxError('SignatureDoesNotMatch', msg, 403) : new SandboxError('InvalidSignatureException', msg, 400);
    }
    case 'incomplete': {
      const msg = "Authorization header requires 'Credential', 'Signature', 'SignedHeaders' parameters in an AWS4-HMAC-SHA256 form.";
      return q ? new SandboxError('IncompleteSignature', msg, 400) : new SandboxError('IncompleteSignatureException', msg, 400);
    }
    case 'missing':
      return q
        ? new SandboxError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403)
        : new SandboxError('MissingAuthenticationTokenException', 'Request is missing Authentication Token', 400);
  }
}

export function callerLabel(caller: Caller | undefined): string {
  if (!caller) return 'unknown';
  if (caller.kind === 'admin') return 'admin';
  if (caller.kind === 'session') return caller.roleArn;
  if (caller.kind === 'user') return caller.arn;
  return 'anonymous';
}

/** `body` replaces the raw body when the signature scheme frames it (S3's aws-chunked payloads). */
export type Authenticated = { caller: Caller; body?: Buffer } | { error: SandboxError; caller?: undefined };

/** Identifies the caller of a routed request from its SigV4 signature (or its absence). */
export function authenticate(ctx: CoreContext, req: IncomingMessage, url: string, body: Buffer, r: Routed): Authenticated {
  if (r.protocol === 'rest-xml') return authenticateS3(ctx, { method: req.method ?? 'GET', url, headers: req.headers }, body);
  const auth = parseAuthorization(headerOf(req, 'authorization'));
  if (auth === undefined) {
    const anonymousOk = r.service === 'cognito-identity' || r.service === 'cognito-idp' || (r.service === 'sts' && STS_UNSIGNED.has(r.operation));
    return anonymousOk ? { caller: { kind: 'anonymous' } } : { error: authError('missing', r.protocol) };
  }
  if (auth === 'malformed') return { error: authError('incomplete', r.protocol) };
  const lookup = ctx.lookupCaller(auth.accessKeyId, headerOf(req, 'x-amz-security-token'));
  if (!lookup.ok) return { error: authError(lookup.reason, r.protocol) };
  const signed = verifySignature(auth, { method: req.method ?? 'POST', url, headers: req.headers, body }, lookup.secret);
  if (!signed) return { error: authError('signature', r.protocol) };
  if (auth.service !== r.service) return { error: authError('scope', r.protocol, r.service) };
  return { caller: lookup.caller };
}

/**
 * Authorises `caller` for the routed call before the service runs it.
 * Returns the error to answer with, or undefined when the call may proceed.
 * An IAM user's key: every service's call is judged by the user's policies (control-plane/).
 * Temporary credentials: IAM calls are refused (the tenant roles the sandbox issues sessions
 * for carry no IAM permissions); their DynamoDB calls are judged by the DynamoDB service.
 */
export function authorize(ctx: Pick<CoreContext, 'accountId'>, r: Routed, caller: Caller, controlPlane?: ControlPlane): SandboxError | undefined {
  if (caller.kind === 'user' && controlPlane)
    return controlPlane.authorize(
      r.service,
      r.operation,
      (r.protocol === 'query' ? r.query : r.protocol === 'rest-xml' ? { ...r.s3 } : r.json) ?? {},
      caller,
      r.protocol,
    );
  if (r.protocol !== 'query') return undefined;
  if (r.service !== 'iam' || caller.kind !== 'session') return undefined;
  const action = `iam:${r.operation}`;
  const roleName = r.query?.RoleName;
  const resource = roleName ? `arn:aws:iam::${ctx.accountId}:role/${roleName}` : (r.query?.PolicyArn ?? '*');
  return new SandboxError(
    'AccessDenied',
    `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
    403,
  );
}
