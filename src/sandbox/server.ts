// The sandbox's HTTP server: one loopback endpoint for IAM, STS (awsQuery), Cognito Identity,
// Cognito User Pools (awsJson1_1) and DynamoDB (awsJson1_0). It identifies the service and
// the caller (SigV4), injects faults, dispatches, logs every request and persists the state.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RefusedError } from '../errors.js';
import { SandboxError, type Caller, type JsonService, type LagConfig, type SandboxContext, type ServiceName } from './contract.js';
import { CoreContext, type CallerLookup } from './context.js';
import { FaultInjector, type Fault } from './faults.js';
import { IamService } from './iam.js';
import { requestId } from './ids.js';
import { StateDirLock, pidAlive, type ServerInfo } from './lock.js';
import { parseForm, queryError, queryResponse, type QueryParams } from './query.js';
import { RequestLog, type RequestLogEntry } from './request-log.js';
import { NO_FAULTS, NO_LAG, type FaultConfig } from './settings.js';
import { parseAuthorization, verifySignature } from './sigv4.js';
import { StateStore } from './state.js';
import { STS_ACTIONS, STS_UNSIGNED, StsService, type WebIdentity } from './sts.js';
import { defaultJsonServices, defaultTrustCheck, defaultWebIdentityVerifier, type JsonServiceName } from './wiring.js';

export type ServiceFactories = Partial<Record<JsonServiceName, (ctx: SandboxContext) => Promise<JsonService>>>;

export interface StartSandboxOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  stateDir: string;
  lag?: Partial<LagConfig>;
  faults?: Partial<FaultConfig>;
  /** Seed of the fault generator; random (and reported) when omitted. */
  seed?: number;
  accountId?: string;
  region?: string;
  rolesQuota?: number;
  /** Replaces the built-in Cognito / DynamoDB services (tests). */
  services?: ServiceFactories;
  /** Replaces the Cognito OpenID token check of STS AssumeRoleWithWebIdentity (tests). */
  verifyWebIdentity?: (ctx: SandboxContext, token: string) => Promise<WebIdentity>;
  /** On close, keep serving until processes attached to this server (attach.ts) have finished. */
  waitForAttached?: boolean;
  /** Diagnostics (unexpected errors inside a handler). */
  log?: (message: string) => void;
  /**
   * Test hook: called with each request-log entry right after it is written and before the
   * answer is sent (the crash suite SIGKILLs a CLI right after its k-th mutating call). Unset by default.
   */
  onRequestLogged?: (entry: RequestLogEntry) => void;
}

export interface RunningSandbox {
  endpoint: string;
  region: string;
  accountId: string;
  stateDir: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  requestLogPath: string;
  lag: LagConfig;
  faults: FaultConfig;
  seed: number;
  info: ServerInfo;
  /** The context the services share (tests and in-process callers look at roles per observer through it). */
  context: SandboxContext;
  /** Stops serving, waits for processes attached to this server, saves the state, releases the lock. */
  close(): Promise<void>;
}

interface JsonTarget {
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

type Protocol = 'query' | 'json';

interface Routed {
  protocol: Protocol;
  service: ServiceName;
  operation: string;
  /** awsQuery parameters or the JSON input. */
  query?: QueryParams;
  json?: Record<string, unknown>;
  jsonTarget?: JsonTarget;
  /** A request error found while parsing (answered after logging). */
  parseError?: SandboxError;
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
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

function throttleError(service: ServiceName): SandboxError {
  if (service === 'iam' || service === 'sts') return new SandboxError('Throttling', 'Rate exceeded', 400);
  if (service === 'dynamodb') return new SandboxError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.', 400);
  return new SandboxError('TooManyRequestsException', 'Too many requests', 400);
}

function faultError(fault: Exclude<Fault, 'reset'>, service: ServiceName): SandboxError {
  if (fault === 'throttle') return throttleError(service);
  if (fault === '500') return new SandboxError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500);
  return new SandboxError('ServiceUnavailable', 'The request has failed due to a temporary failure of the server.', 503);
}

/** The auth errors each protocol family uses for the same failure. */
function authError(kind: 'unknown' | 'expired' | 'signature' | 'incomplete' | 'missing' | 'scope', protocol: Protocol, expected?: string): SandboxError {
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
      const msg = 'Authorization header requires \'Credential\', \'Signature\', \'SignedHeaders\' parameters in an AWS4-HMAC-SHA256 form.';
      return q ? new SandboxError('IncompleteSignature', msg, 400) : new SandboxError('IncompleteSignatureException', msg, 400);
    }
    case 'missing':
      return q
        ? new SandboxError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403)
        : new SandboxError('MissingAuthenticationTokenException', 'Request is missing Authentication Token', 400);
  }
}

function callerLabel(caller: Caller | undefined): string {
  if (!caller) return 'unknown';
  if (caller.kind === 'admin') return 'admin';
  if (caller.kind === 'session') return caller.roleArn;
  return 'anonymous';
}

export async function startSandbox(opts: StartSandboxOptions): Promise<RunningSandbox> {
  const stateDir = resolve(opts.stateDir);
  mkdirSync(stateDir, { recursive: true });
  const lock = StateDirLock.tryAcquire(stateDir);
  if (!(lock instanceof StateDirLock))
    throw new RefusedError(
      `the sandbox state dir ${stateDir} is in use by another process${lock.heldBy ? ` (pid ${lock.heldBy})` : ''}`,
      'sandbox_locked',
      { pid: lock.heldBy },
    );
  try {
    const server = new SandboxServer(stateDir, lock, opts);
    return await server.start();
  } catch (err) {
    lock.release();
    throw err;
  }
}

class SandboxServer {
  private readonly store: StateStore;
  private readonly ctx: CoreContext;
  private readonly lag: LagConfig;
  private readonly faults: FaultInjector;
  private readonly requestLog: RequestLog;
  private readonly iam: IamService;
  private readonly sts: StsService;
  private readonly json = new Map<JsonServiceName, JsonService>();
  private readonly http: Server;
  private readonly sockets = new Set<Socket>();
  private readonly attached = new Set<number>();
  private readonly log: (m: string) => void;
  private ready: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly stateDir: string,
    private readonly lock: StateDirLock,
    private readonly opts: StartSandboxOptions,
  ) {
    this.log = opts.log ?? (() => undefined);
    this.lag = { ...NO_LAG, ...opts.lag };
    const faultConfig = { ...NO_FAULTS, ...opts.faults };
    const seed = opts.seed ?? Math.floor(Math.random() * 0xffffffff);
    this.faults = new FaultInjector(faultConfig, seed);
    this.store = new StateStore(stateDir);
    this.store.load();
    this.ctx = new CoreContext(this.store, opts.accountId ?? '000000000000', opts.region ?? 'us-east-1', this.lag, (err) =>
      this.log(`sandbox: saving state failed: ${err.message}`),
    );
    this.requestLog = new RequestLog(join(stateDir, 'requests.jsonl'));
    const ctx = this.ctx;
    this.iam = new IamService({
      accountId: ctx.accountId,
      rolesQuota: opts.rolesQuota ?? 1000,
      now: () => ctx.now(),
      iamLag: () => this.lag.iam,
      maxLag: () => ctx.maxLag,
      state: ctx.iam,
      save: () => ctx.save(),
    });
    const verify = opts.verifyWebIdentity ?? defaultWebIdentityVerifier;
    this.sts = new StsService({
      ctx,
      verifyWebIdentity: (token) => verify(ctx, token),
      trustAllows: defaultTrustCheck,
    });
    this.http = createServer((req, res) => {
      void this.onRequest(req, res);
    });
    this.http.keepAliveTimeout = 5_000;
    this.http.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<RunningSandbox> {
    const host = this.opts.host ?? '127.0.0.1';
    await new Promise<void>((resolveListen, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port ?? 0, host, () => {
        this.http.off('error', reject);
        resolveListen();
      });
    });
    const port = (this.http.address() as AddressInfo).port;
    const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    const endpoint = `http://${urlHost}:${port}`;
    this.ctx.setEndpoint(endpoint);
    // Services are created once the endpoint is known (token issuers and JWKS URLs use it);
    // requests arriving meanwhile wait for them.
    this.ready = (async () => {
      const factories = { ...defaultJsonServices(this.stateDir), ...this.opts.services };
      for (const [name, make] of Object.entries(factories) as Array<[JsonServiceName, ServiceFactories[JsonServiceName]]>) {
        if (make) this.json.set(name, await make(this.ctx));
      }
    })();
    try {
      await this.ready;
      this.ctx.flush();
    } catch (err) {
      await new Promise<void>((r) => this.http.close(() => r()));
      throw err;
    }
    const credentials = { accessKeyId: this.ctx.core.admin.accessKeyId, secretAccessKey: this.ctx.core.admin.secretAccessKey };
    const info = this.lock.writeInfo({
      endpoint,
      host,
      port,
      region: this.ctx.region,
      accountId: this.ctx.accountId,
      stateDir: this.stateDir,
      startedAt: new Date().toISOString(),
      lag: this.lag,
      faults: this.faults.config,
      seed: this.faults.seed,
      requestLogPath: this.requestLog.path,
      credentials,
    });
    return {
      endpoint,
      region: this.ctx.region,
      accountId: this.ctx.accountId,
      stateDir: this.stateDir,
      credentials,
      requestLogPath: this.requestLog.path,
      lag: { ...this.lag },
      faults: { ...this.faults.config },
      seed: this.faults.seed,
      info,
      context: this.ctx,
      close: () => this.close(),
    };
  }

  private close(): Promise<void> {
    this.closing ??= (async () => {
      // Other isoctl processes attached to this in-process server keep using it until they finish.
      let waited = 0;
      while (this.opts.waitForAttached && [...this.attached].some((pid) => pidAlive(pid)) && waited < 600_000) {
        if (waited === 0) this.log(`waiting for ${this.attached.size} other process(es) using the sandbox to finish`);
        await new Promise((r) => setTimeout(r, 100));
        waited += 100;
      }
      await new Promise<void>((r) => {
        this.http.close(() => r());
        this.http.closeIdleConnections();
        setTimeout(() => {
          for (const s of this.sockets) s.destroy();
        }, 1_000).unref();
      });
      for (const svc of this.json.values()) await svc.close?.();
      this.ctx.flush();
      this.lock.release();
    })();
    return this.closing;
  }

  // ---- request handling ----

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const reqId = requestId();
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      req.socket.destroy();
      return;
    }
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    if (path.startsWith('/__sandbox/')) return this.internalRoute(req.method ?? 'GET', path, body, res);
    await this.ready;

    const routed = this.route(req, url, body);
    if (!routed) return this.plainRoute(req.method ?? 'GET', path, res, started, reqId);

    const entry: RequestLogEntry = {
      t: new Date().toISOString(),
      service: routed.service,
      operation: routed.operation,
      caller: 'anonymous',
      status: 200,
      mutating: false,
      ms: 0,
      requestId: reqId,
    };
    const auth = this.authenticate(req, url, body, routed);
    entry.caller = 'caller' in auth ? callerLabel(auth.caller) : 'unknown';
    entry.mutating = this.isMutating(routed);

    const finish = (status: number, contentType: string, payload: string, error?: SandboxError) => {
      entry.status = status;
      if (error) entry.error = error.code;
      entry.ms = Math.round(performance.now() - started);
      try {
        this.ctx.flush();
      } catch (err) {
        this.log(`sandbox: saving state failed: ${(err as Error).message}`);
      }
      this.requestLog.append(entry);
      this.opts.onRequestLogged?.(entry);
      const headers: Record<string, string | number> = {
        'Content-Type': contentType,
        'Content-Length': Buffer.byteLength(payload),
        'x-amzn-RequestId': reqId,
      };
      if (error && routed.protocol === 'json') headers['x-amzn-ErrorType'] = error.code;
      res.writeHead(status, headers);
      res.end(payload);
    };
    const fail = (err: SandboxError) => {
      if (routed.protocol === 'query') finish(err.status, 'text/xml', queryError(this.namespaceOf(routed.service), err, reqId), err);
      else finish(err.status, routed.jsonTarget?.contentType ?? 'application/x-amz-json-1.1', jsonError(routed, err), err);
    };

    const fault = this.faults.draw();
    if (fault) entry.fault = fault;
    if (fault === 'reset') {
      entry.status = 0;
      entry.error = 'ConnectionReset';
      entry.ms = Math.round(performance.now() - started);
      this.requestLog.append(entry);
      this.opts.onRequestLogged?.(entry);
      req.socket.destroy();
      return;
    }
    if (fault) return fail(faultError(fault, routed.service));
    if (routed.parseError) return fail(routed.parseError);
    if ('error' in auth) return fail(auth.error);
    const caller = auth.caller;

    try {
      if (routed.protocol === 'query') {
        const denied = this.authorizeQuery(routed, caller);
        if (denied) return fail(denied);
        const svc = routed.service === 'iam' ? this.iam : this.sts;
        const result = await svc.handle(routed.operation, routed.query ?? {}, caller);
        return finish(200, 'text/xml', queryResponse(routed.operation, svc.namespace, result, reqId));
      }
      const svc = this.json.get(routed.service as JsonServiceName);
      if (!svc) throw new SandboxError('UnknownOperationException', `The sandbox does not serve ${routed.service} in this build`);
      const output = await svc.handle(routed.operation, routed.json ?? {}, caller);
      return finish(200, routed.jsonTarget!.contentType, JSON.stringify(output ?? {}));
    } catch (err) {
      if (err instanceof SandboxError) return fail(err);
      this.log(`sandbox: ${routed.service} ${routed.operation} failed: ${(err as Error)?.stack ?? String(err)}`);
      return fail(new SandboxError('InternalFailure', `The sandbox failed to process the request: ${(err as Error)?.message ?? String(err)}`, 500));
    }
  }

  private namespaceOf(service: ServiceName): string {
    return service === 'sts' ? this.sts.namespace : this.iam.namespace;
  }

  private isMutating(r: Routed): boolean {
    if (r.service === 'iam') return this.iam.isMutating(r.operation);
    if (r.service === 'sts') return this.sts.isMutating();
    return this.json.get(r.service as JsonServiceName)?.isMutating(r.operation) ?? false;
  }

  /** Which service and operation a request is for; undefined for plain HTTP routes. */
  private route(req: IncomingMessage, url: string, body: Buffer): Routed | undefined {
    const target = headerOf(req, 'x-amz-target');
    if (target !== undefined) {
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
    const q = url.indexOf('?');
    const query = q < 0 ? {} : parseForm(url.slice(q + 1));
    const contentType = headerOf(req, 'content-type') ?? '';
    const form = req.method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded') ? parseForm(body.toString('utf8')) : {};
    const params = { ...query, ...form };
    const action = params.Action;
    if (action === undefined) return undefined;
    const auth = parseAuthorization(headerOf(req, 'authorization'));
    const scoped = auth && auth !== 'malformed' ? auth.service : undefined;
    const service: ServiceName = scoped === 'sts' || scoped === 'iam' ? scoped : STS_ACTIONS.has(action) ? 'sts' : 'iam';
    const routed: Routed = { protocol: 'query', service, operation: action, query: params };
    const known = service === 'iam' ? this.iam.knows(action) : this.sts.knows(action);
    if (!known)
      routed.parseError = new SandboxError('InvalidAction', `Could not find operation ${action} for version ${service === 'iam' ? '2010-05-08' : '2011-06-15'}`);
    return routed;
  }

  private authenticate(req: IncomingMessage, url: string, body: Buffer, r: Routed): { caller: Caller } | { error: SandboxError; caller?: undefined } {
    const header = headerOf(req, 'authorization');
    const auth = parseAuthorization(header);
    if (auth === undefined) {
      const anonymousOk =
        r.service === 'cognito-identity' || r.service === 'cognito-idp' || (r.service === 'sts' && STS_UNSIGNED.has(r.operation));
      return anonymousOk ? { caller: { kind: 'anonymous' } } : { error: authError('missing', r.protocol) };
    }
    if (auth === 'malformed') return { error: authError('incomplete', r.protocol) };
    const lookup: CallerLookup = this.ctx.lookupCaller(auth.accessKeyId, headerOf(req, 'x-amz-security-token'));
    if (!lookup.ok) return { error: authError(lookup.reason, r.protocol) };
    const signed = verifySignature(auth, { method: req.method ?? 'POST', url, headers: req.headers, body }, lookup.secret);
    if (!signed) return { error: authError('signature', r.protocol) };
    if (auth.service !== r.service) return { error: authError('scope', r.protocol, r.service) };
    return { caller: lookup.caller };
  }

  /** IAM calls by temporary credentials: the tenant roles the sandbox issues sessions for carry no IAM permissions. */
  private authorizeQuery(r: Routed, caller: Caller): SandboxError | undefined {
    if (r.service !== 'iam' || caller.kind !== 'session') return undefined;
    const action = `iam:${r.operation}`;
    const roleName = r.query?.RoleName;
    const resource = roleName ? `arn:aws:iam::${this.ctx.accountId}:role/${roleName}` : (r.query?.PolicyArn ?? '*');
    return new SandboxError(
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
      403,
    );
  }

  private plainRoute(method: string, path: string, res: ServerResponse, started: number, reqId: string): void {
    for (const [name, svc] of this.json) {
      const answer = svc.route?.(method, path);
      if (!answer) continue;
      this.requestLog.append({
        t: new Date().toISOString(),
        service: name,
        operation: `${method} ${path}`,
        caller: 'anonymous',
        status: answer.status,
        mutating: false,
        ms: Math.round(performance.now() - started),
        requestId: reqId,
      });
      res.writeHead(answer.status, { 'Content-Type': answer.contentType, 'Content-Length': Buffer.byteLength(answer.body), 'x-amzn-RequestId': reqId });
      res.end(answer.body);
      return;
    }
    const payload = JSON.stringify({ message: `No route for ${method} ${path}` });
    res.writeHead(404, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
    res.end(payload);
  }

  /** Loopback-only endpoints other isoctl processes use to check and share this server. */
  private internalRoute(method: string, path: string, body: Buffer, res: ServerResponse): void {
    const reply = (status: number, doc: unknown) => {
      const payload = JSON.stringify(doc);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
      res.end(payload);
    };
    if (method === 'GET' && path === '/__sandbox/health') return reply(200, { ok: true, pid: process.pid, instanceId: this.lock.instanceId });
    if (method === 'POST' && (path === '/__sandbox/attach' || path === '/__sandbox/detach')) {
      let pid: unknown;
      try {
        pid = (JSON.parse(body.toString('utf8')) as { pid?: unknown }).pid;
      } catch {
        pid = undefined;
      }
      if (typeof pid !== 'number') return reply(400, { message: 'pid required' });
      if (path === '/__sandbox/attach') {
        if (this.closing) return reply(409, { message: 'closing' });
        this.attached.add(pid);
      } else this.attached.delete(pid);
      return reply(200, { ok: true, instanceId: this.lock.instanceId });
    }
    reply(404, { message: `No route for ${method} ${path}` });
  }
}

function jsonError(r: Routed, err: SandboxError): string {
  const ns = r.jsonTarget?.namespace;
  return JSON.stringify({ __type: ns ? `${ns}#${err.code}` : err.code, message: err.message });
}
