// Builds AWS SDK v3 clients on first use. Nothing here is imported eagerly by the CLI's
// start-up path beyond this file; each SDK package is loaded by dynamic import when a
// command first asks for that service, so `--help` and offline commands load no SDK.
import type { IAMClient } from '@aws-sdk/client-iam';
import type { STSClient } from '@aws-sdk/client-sts';
import type { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from '@smithy/types';

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsSettings {
  region: string;
  profile?: string | undefined;
  /** Endpoint override for every service (a sandbox, moto, LocalStack). */
  endpoint?: string | undefined;
  /** Fixed credentials (the sandbox's admin keys, or a probe's temporary credentials). */
  credentials?: StaticCredentials | undefined;
  /** Total attempts per call, including the first; throttling and 5xx are retried. */
  maxAttempts?: number;
  /** Called once per AWS call with a one-line summary (for --verbose). */
  onCall?: ((line: CallRecord) => void) | undefined;
  /** Aborts every call in flight or to come (Ctrl-C / SIGTERM): a hanging request must not hold the exit. */
  abortSignal?: AbortSignal | undefined;
}

export interface CallRecord {
  service: string;
  operation: string;
  status: number | undefined;
  attempts: number;
  ms: number;
  error?: string | undefined;
}

// isoctl pins its SDK version and supports Node 20; the SDK's notice about future releases
// needing Node 22 would otherwise print on every run. An explicit setting still wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Ten attempts per call (the AWS provider for Terraform defaults to 25 retries): under the fault
// suite's mix (throttling 20%, 5xx 5%, resets 2%) six attempts failed about 4 calls in 10,000
// (0.27^6), and a read that is not wrapped in the retry layer (tenant create/delete reading the
// tenant) then ended the command with exit 1; at ten it is 2 in a million. The backoff is capped
// at RETRY_CAP_MS, so a call that stays throttled gives up after about 25 s.
export const DEFAULT_MAX_ATTEMPTS = 10;
const RETRY_BASE_MS = 100;
const RETRY_CAP_MS = 5_000;

export interface AwsClients {
  readonly settings: AwsSettings;
  iam(): Promise<IAMClient>;
  sts(): Promise<STSClient>;
  cognitoIdentity(): Promise<CognitoIdentityClient>;
  cognitoIdp(): Promise<CognitoIdentityProviderClient>;
  dynamodb(): Promise<DynamoDBClient>;
  s3(): Promise<S3Client>;
  /** Same settings, other credentials: for a probe identity's temporary credentials. */
  withCredentials(credentials: StaticCredentials): AwsClients;
  destroy(): void;
}

type AnyClient = {
  middlewareStack: { add: (mw: never, opts: never) => void };
  send: (command: unknown, options?: unknown, cb?: unknown) => Promise<unknown>;
  destroy(): void;
};

export function createAwsClients(settings: AwsSettings): AwsClients {
  const cache = new Map<string, Promise<AnyClient>>();

  async function make<T>(service: string, load: () => Promise<new (cfg: object) => T>): Promise<T> {
    let client = cache.get(service);
    if (!client) {
      client = (async () => {
        const [Ctor, config] = await Promise.all([load(), clientConfig(settings)]);
        const c = new Ctor(config) as unknown as AnyClient;
        if (settings.onCall) addCallLogger(c, service, settings.onCall);
        if (settings.abortSignal) bindAbortSignal(c, settings.abortSignal);
        return c;
      })();
      cache.set(service, client);
    }
    return (await client) as unknown as T;
  }

  return {
    settings,
    iam: () => make('iam', async () => (await import('@aws-sdk/client-iam')).IAMClient),
    sts: () => make('sts', async () => (await import('@aws-sdk/client-sts')).STSClient),
    cognitoIdentity: () => make('cognito-identity', async () => (await import('@aws-sdk/client-cognito-identity')).CognitoIdentityClient),
    cognitoIdp: () => make('cognito-idp', async () => (await import('@aws-sdk/client-cognito-identity-provider')).CognitoIdentityProviderClient),
    dynamodb: () => make('dynamodb', async () => (await import('@aws-sdk/client-dynamodb')).DynamoDBClient),
    // Path-style under an endpoint override: sandboxes and emulators serve no bucket subdomains.
    s3: () =>
      make('s3', async () => {
        const { S3Client: Client } = await import('@aws-sdk/client-s3');
        return class extends Client {
          constructor(cfg: ConstructorParameters<typeof Client>[0] & object) {
            super({ ...cfg, forcePathStyle: cfg.endpoint !== undefined });
          }
        };
      }),
    withCredentials: (credentials) => createAwsClients({ ...settings, credentials }),
    destroy() {
      for (const c of cache.values()) void c.then((x) => x.destroy()).catch(() => undefined);
      cache.clear();
    },
  };
}

/** A retry token: how many retries so far and how long the SDK's retry middleware sleeps before the next. */
function retryToken(count: number, delay: number): StandardRetryToken {
  return { getRetryCount: () => count, getRetryDelay: () => delay, getRetryCost: () => undefined };
}

/**
 * Retries every throttled or transient (5xx, reset, timeout) call up to `maxAttempts` with capped,
 * jittered exponential backoff, and nothing else. Unlike the SDK's standard strategy it keeps no
 * retry quota: that quota (500 tokens per client, 5 per throttled retry) is refilled only by
 * successful answers, so a long run whose reads are meant to answer "not found" (gc checking that
 * a group or user is gone) spends it and never refills it, and under throttling every later
 * throttled call then fails on its first attempt. isoctl is one short-lived process acting for one
 * operator; its calls are bounded by the command's own work.
 */
export class AttemptsRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'standard';

  constructor(
    private readonly maxAttempts: number,
    private readonly backoffMs: (retry: number) => number = (retry) => Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** retry * (0.5 + Math.random() / 2)),
  ) {}

  async acquireInitialRetryToken(_scope: string): Promise<StandardRetryToken> {
    return retryToken(0, 0);
  }

  async refreshRetryTokenForRetry(token: StandardRetryToken, info: RetryErrorInfo): Promise<StandardRetryToken> {
    const retry = token.getRetryCount() + 1;
    const retryable = info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT';
    if (!retryable || retry >= this.maxAttempts) throw new Error('No retry token available');
    let delay = this.backoffMs(retry);
    if (info.retryAfterHint instanceof Date) delay = Math.max(delay, Math.min(info.retryAfterHint.getTime() - Date.now(), delay + RETRY_CAP_MS));
    return retryToken(retry, delay);
  }

  recordSuccess(_token: StandardRetryToken): void {}
}

async function clientConfig(settings: AwsSettings): Promise<Record<string, unknown>> {
  const maxAttempts = settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const config: Record<string, unknown> = {
    region: settings.region,
    maxAttempts,
    retryStrategy: new AttemptsRetryStrategy(maxAttempts),
  };
  if (settings.endpoint) config.endpoint = settings.endpoint;
  if (settings.credentials) config.credentials = settings.credentials;
  else if (settings.profile) config.profile = settings.profile;
  return config;
}

/**
 * Every `send` of the client carries the signal unless the caller passed its own. Each call gets
 * a signal of its own, aborted by one listener on the command's signal: the SDK adds an abort
 * listener per request, and doctor's dozen parallel reads on one shared signal made Node warn
 * MaxListenersExceededWarning on every run.
 */
function bindAbortSignal(client: AnyClient, signal: AbortSignal): void {
  const send = client.send.bind(client);
  const inFlight = new Set<AbortController>();
  let listening = false;
  client.send = (command, options, cb) => {
    if (typeof options === 'function' || cb !== undefined || (options as { abortSignal?: unknown } | undefined)?.abortSignal) return send(command, options, cb);
    if (signal.aborted) return send(command, { ...(options as object | undefined), abortSignal: signal });
    if (!listening) {
      listening = true;
      signal.addEventListener('abort', () => inFlight.forEach((c) => c.abort(signal.reason)), { once: true });
    }
    const call = new AbortController();
    inFlight.add(call);
    return send(command, { ...(options as object | undefined), abortSignal: call.signal }).finally(() => inFlight.delete(call));
  };
}

function addCallLogger(client: AnyClient, service: string, onCall: (r: CallRecord) => void): void {
  const middleware =
    (next: (args: unknown) => Promise<{ output: { $metadata?: { httpStatusCode?: number; attempts?: number } } }>, context: { commandName?: string }) =>
    async (args: unknown) => {
      const started = performance.now();
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      try {
        const result = await next(args);
        const meta = result.output.$metadata ?? {};
        onCall({ service, operation, status: meta.httpStatusCode, attempts: meta.attempts ?? 1, ms: Math.round(performance.now() - started) });
        return result;
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number; attempts?: number } };
        onCall({
          service,
          operation,
          status: e.$metadata?.httpStatusCode,
          attempts: e.$metadata?.attempts ?? 1,
          ms: Math.round(performance.now() - started),
          error: e.name ?? 'Error',
        });
        throw err;
      }
    };
  client.middlewareStack.add(middleware as never, { step: 'initialize', name: 'isoctlCallLogger' } as never);
}

export function formatCallRecord(r: CallRecord): string {
  const status = r.status === undefined ? '---' : String(r.status);
  return `aws ${r.service} ${r.operation} ${status} attempts=${r.attempts} ${r.ms}ms${r.error ? ` ${r.error}` : ''}`;
}
