// Which service and operation an HTTP request is for, and how each protocol family writes its
// errors: awsJson (X-Amz-Target), awsQuery (Action=...), S3's REST-XML (SigV4 scoped to s3).
// Pure request parsing; no state.
import type { IncomingMessage } from 'node:http';
import { SandboxError, type ServiceName } from '../contract.js';
import type { Fault } from '../faults.js';
import { parseForm, type QueryParams } from '../query.js';
import { routeS3, type S3Target } from '../s3/routes.js';
import { parseAuthorization } from '../sigv4.js';
import { STS_ACTIONS } from '../sts.js';
import type { JsonServiceName } from '../wiring.js';

export interface JsonTarget {
  service: JsonServiceName;
  contentType: string;
  namespace: string;
}

const JSON_TARGETS: Record<string, JsonTarget> = {
  DynamoDB_20120810: { service: 'dynamodb', contentType: 'application/x-amz-json-1.0', namespace: 'com.amazonaws.dynamodb.v20120810' },
  AWSCognitoIdentityService: { service: 'cognito-identity', contentType: 'application/x-amz-json-1.1', namespace: 'com.amazonaws.cognitoidentity' },
  AWSCognitoIdentityProviderService: {
    service: 'cognito-idp',
    contentType: 'application/x-amz-json-1.1',
    namespace: 'com.amazonaws.cognitoidentityprovider',
  },
};

const MAX_BODY = 16 * 1024 * 1024;

export type Protocol = 'query' | 'json' | 'rest-xml';

export interface Routed {
  protocol: Protocol;
  service: ServiceName;
  operation: string;
  /** awsQuery parameters or the JSON input. */
  query?: QueryParams;
  json?: Record<string, unknown>;
  jsonTarget?: JsonTarget;
  /** S3: the operation, bucket, key and query. */
  s3?: S3Target;
  /** A request error found while parsing (answered after logging). */
  parseError?: SandboxError;
}

/** Whether the awsQuery service knows an action (InvalidAction otherwise). */
export type KnowsAction = (service: 'iam' | 'sts', action: string) => boolean;

export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new SandboxError('RequestEntityTooLarge', 'Request body too large', 413));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function routeJson(target: string, body: Buffer): Routed {
  const dot = target.lastIndexOf('.');
  const prefix = dot < 0 ? target : target.slice(0, dot);
  const operation = dot < 0 ? '' : target.slice(dot + 1);
  const jsonTarget = JSON_TARGETS[prefix];
  if (!jsonTarget) {
    const fallback = JSON_TARGETS.DynamoDB_20120810!;
    return {
      protocol: 'json',
      service: 'dynamodb',
      operation: operation || target,
      jsonTarget: fallback,
      parseError: new SandboxError('UnknownOperationException', `Unknown operation ${target}`),
    };
  }
  const routed: Routed = { protocol: 'json', service: jsonTarget.service, operation, jsonTarget };
  const text = body.toString('utf8').trim();
  if (text === '') routed.json = {};
  else {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      routed.json = parsed as Record<string, unknown>;
    } catch {
      routed.parseError = new SandboxError('SerializationException', 'Start of structure or map found where not expected.');
    }
  }
  return routed;
}

/** Which service and operation a request is for; undefined for plain HTTP routes. */
export function routeRequest(req: IncomingMessage, url: string, body: Buffer, knows: KnowsAction): Routed | undefined {
  const target = headerOf(req, 'x-amz-target');
  if (target !== undefined) return routeJson(target, body);
  const auth = parseAuthorization(headerOf(req, 'authorization'));
  const scoped = auth && auth !== 'malformed' ? auth.service : undefined;
  // S3 requests carry x-amz-content-sha256 (every S3 client sends it, signed or not).
  if (scoped === 's3' || (scoped === undefined && headerOf(req, 'x-amz-content-sha256') !== undefined)) return routeRest(req, url);
  const q = url.indexOf('?');
  const query = q < 0 ? {} : parseForm(url.slice(q + 1));
  const contentType = headerOf(req, 'content-type') ?? '';
  const form = req.method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded') ? parseForm(body.toString('utf8')) : {};
  const params = { ...query, ...form };
  const action = params.Action;
  if (action === undefined) return undefined;
  const service: 'iam' | 'sts' = scoped === 'sts' || scoped === 'iam' ? scoped : STS_ACTIONS.has(action) ? 'sts' : 'iam';
  const routed: Routed = { protocol: 'query', service, operation: action, query: params };
  if (!knows(service, action))
    routed.parseError = new SandboxError('InvalidAction', `Could not find operation ${action} for version ${service === 'iam' ? '2010-05-08' : '2011-06-15'}`);
  return routed;
}

function routeRest(req: IncomingMessage, url: string): Routed {
  try {
    const s3 = routeS3(req.method ?? 'GET', url, req.headers);
    return { protocol: 'rest-xml', service: 's3', operation: s3.operation, s3 };
  } catch (err) {
    if (!(err instanceof SandboxError)) throw err;
    return { protocol: 'rest-xml', service: 's3', operation: `${req.method ?? 'GET'} ${url.split('?')[0]}`, parseError: err };
  }
}

export function jsonError(r: Routed, err: SandboxError): string {
  const ns = r.jsonTarget?.namespace;
  return JSON.stringify({ __type: ns ? `${ns}#${err.code}` : err.code, message: err.message, ...err.details });
}

function throttleError(service: ServiceName): SandboxError {
  if (service === 'iam' || service === 'sts') return new SandboxError('Throttling', 'Rate exceeded', 400);
  if (service === 'dynamodb') return new SandboxError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.', 400);
  if (service === 's3') return new SandboxError('SlowDown', 'Please reduce your request rate.', 503);
  return new SandboxError('TooManyRequestsException', 'Too many requests', 400);
}

/** The error an injected fault answers with, in the service's own words. */
export function faultError(fault: Exclude<Fault, 'reset'>, service: ServiceName): SandboxError {
  if (fault === 'throttle') return throttleError(service);
  if (fault === '500' && service === 's3') return new SandboxError('InternalError', 'We encountered an internal error. Please try again.', 500);
  if (fault === '500') return new SandboxError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500);
  return new SandboxError('ServiceUnavailable', 'The request has failed due to a temporary failure of the server.', 503);
}
