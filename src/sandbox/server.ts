// The sandbox's HTTP server: one loopback endpoint for IAM, STS (awsQuery), Cognito Identity,
// Cognito User Pools (awsJson1_1), DynamoDB (awsJson1_0) and S3 (REST-XML, path-style). This file holds the server's life
// cycle and the request pipeline: route (http/routing.ts) -> authenticate and authorise the caller
// (http/request-auth.ts) -> inject faults -> dispatch -> log -> persist. Non-API routes live in
// http/internal-routes.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RefusedError } from '../errors.js';
import { SandboxError, type JsonService, type LagConfig, type SandboxContext, type ServiceName } from './contract.js';
import { CoreContext } from './context.js';
import { FaultInjector } from './faults.js';
import { internalRoute, plainRoute, type InternalRouteHost } from './http/internal-routes.js';
import { authenticate, authorize, callerLabel } from './http/request-auth.js';
import { CONTROL_PLANE_LOG, ControlPlane } from './control-plane/authorize.js';
import { faultError, jsonError, readBody, routeRequest, type Routed } from './http/routing.js';
import { IamService } from './iam.js';
import { requestId } from './ids.js';
import { StateDirLock, pidAlive, type ServerInfo } from './lock.js';
import { queryError, queryResponse } from './query.js';
import { RequestLog, type RequestLogEntry } from './request-log.js';
import { NO_FAULTS, NO_LAG, type FaultConfig } from './settings.js';
import type { DecisionSink } from './dynamodb/authorize.js';
import { S3Service } from './s3/service.js';
import { errorDocument as s3ErrorDocument } from './s3/xml.js';
import { StateStore } from './state.js';
import { StsService, type WebIdentity } from './sts.js';
import { defaultJsonServices, defaultTrustCheck, defaultWebIdentityVerifier, type JsonServiceName } from './wiring.js';

/** S3's request-id headers (x-amz-id-2 is S3's extended request id; the sandbox has one host). */
const S3_HOST_ID = 'sandbox';
const S3_HEADERS = (reqId: string): Record<string, string> => ({ 'x-amz-request-id': reqId, 'x-amz-id-2': S3_HOST_ID });

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
  /** Test hook: receives every S3 enforcement decision for a role session (re-evaluated with iam-simulate). */
  onS3Decision?: DecisionSink;
  /** Test hook: every API answer as sent (the shape tests validate them against botocore's models). Unset by default. */
  onResponse?: (response: SandboxResponse) => void;
}

export interface SandboxResponse {
  service: string;
  operation: string;
  protocol: string;
  status: number;
  headers: Record<string, string | number>;
  payload: string | Buffer;
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

export async function startSandbox(opts: StartSandboxOptions): Promise<RunningSandbox> {
  const stateDir = resolve(opts.stateDir);
  mkdirSync(stateDir, { recursive: true });
  const lock = StateDirLock.tryAcquire(stateDir);
  if (!(lock instanceof StateDirLock))
    throw new RefusedError(`the sandbox state dir ${stateDir} is in use by another process${lock.heldBy ? ` (pid ${lock.heldBy})` : ''}`, 'sandbox_locked', {
      pid: lock.heldBy,
    });
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
  private readonly s3: S3Service;
  private readonly controlPlane: ControlPlane;
  private readonly json = new Map<JsonServiceName, JsonService>();
  private readonly http: Server;
  private readonly sockets = new Set<Socket>();
  private readonly attached = new Set<number>();
  private readonly log: (m: string) => void;
  private ready: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private readonly internalHost: InternalRouteHost;

  constructor(
    private readonly stateDir: string,
    private readonly lock: StateDirLock,
    private readonly opts: StartSandboxOptions,
  ) {
    this.log = opts.log ?? (() => undefined);
    this.internalHost = { instanceId: lock.instanceId, closing: () => this.closing !== undefined, attached: this.attached };
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
    this.controlPlane = new ControlPlane({
      accountId: this.ctx.accountId,
      region: this.ctx.region,
      iam: this.ctx.iam,
      now: () => this.ctx.now(),
      logPath: join(stateDir, CONTROL_PLANE_LOG),
    });
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
    this.s3 = new S3Service(ctx, { dataDir: join(stateDir, 's3'), onDecision: opts.onS3Decision });
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
      // Fold the journal into state.json, so a stopped sandbox is one self-contained file.
      this.store.compact();
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
    if (path.startsWith('/__sandbox/')) return internalRoute(this.internalHost, req.method ?? 'GET', path, body, res);
    await this.ready;

    const routed = routeRequest(req, url, body, (service, action) => (service === 'iam' ? this.iam.knows(action) : this.sts.knows(action)));
    if (!routed) return plainRoute(this.json, this.requestLog, req.method ?? 'GET', path, res, started, reqId);

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
    const auth = authenticate(this.ctx, req, url, body, routed);
    entry.caller = 'caller' in auth ? callerLabel(auth.caller) : 'unknown';
    entry.mutating = this.isMutating(routed);

    const finishWith = (status: number, headers: Record<string, string | number>, payload: string | Buffer, error?: SandboxError) => {
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
      this.opts.onResponse?.({ service: routed.service, operation: routed.operation, protocol: routed.protocol, status, headers, payload });
      res.writeHead(status, { 'Content-Length': Buffer.byteLength(payload), ...headers });
      res.end(req.method === 'HEAD' ? undefined : payload);
    };
    const finish = (status: number, contentType: string, payload: string, error?: SandboxError) => {
      const headers: Record<string, string> = { 'Content-Type': contentType, 'x-amzn-RequestId': reqId };
      if (error && routed.protocol === 'json') headers['x-amzn-ErrorType'] = error.code;
      finishWith(status, headers, payload, error);
    };
    const fail = (err: SandboxError) => {
      if (routed.protocol === 'rest-xml') {
        // S3 answers HEAD errors with the status alone (no error document).
        const doc = req.method === 'HEAD' ? '' : s3ErrorDocument(err, reqId, S3_HOST_ID);
        return finishWith(err.status, { ...S3_HEADERS(reqId), ...(doc ? { 'Content-Type': 'application/xml' } : {}) }, doc, err);
      }
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
      const denied = authorize(this.ctx, routed, caller, this.controlPlane);
      if (denied) return fail(denied);
      if (routed.protocol === 'rest-xml') {
        const answer = await this.s3.handle({ target: routed.s3!, headers: req.headers, body: auth.body ?? body }, caller);
        const payload = answer.body ?? '';
        return finishWith(answer.status, { ...S3_HEADERS(reqId), ...answer.headers }, payload);
      }
      if (routed.protocol === 'query') {
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
    if (r.service === 's3') return this.s3.isMutating(r.operation);
    return this.json.get(r.service as JsonServiceName)?.isMutating(r.operation) ?? false;
  }
}
