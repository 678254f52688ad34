// The one lazily built dependency bag every command's run function receives (gh's Factory).
// Nothing here loads the AWS SDK or the sandbox until a command asks for them.
import { resolve } from 'node:path';
import type { Output } from './io/output.js';
import type { Prompter } from './io/prompt.js';
import type { StackConfig } from './config/schema.js';
import type { AwsApis } from './aws/apis.js';
import type { StaticCredentials } from './aws/clients.js';
import type { SandboxHandle } from './sandbox/handle.js';
import { UsageError, InterruptedError } from './errors.js';

export interface GlobalOptions {
  config: string;
  /** True when the config path came from --config or ISOCTL_CONFIG (a missing file is then an error even for commands that can do without). */
  configExplicit: boolean;
  stack?: string | undefined;
  region?: string | undefined;
  profile?: string | undefined;
  endpointUrl?: string | undefined;
  /** State directory of the embedded sandbox, when --sandbox is given. */
  sandbox?: string | undefined;
  json: boolean;
  quiet: boolean;
  color: boolean;
  input: boolean;
  yes: boolean;
  verbose: boolean;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolveSleep, reject) => {
      if (signal?.aborted) return reject(new InterruptedError());
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolveSleep();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(new InterruptedError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface Deps {
  io: Output;
  prompter: Prompter;
  globals: GlobalOptions;
  clock: Clock;
  signal: AbortSignal;
  /** The validated stack config (flags and env applied); UsageError when missing or invalid. */
  config(): Promise<StackConfig>;
  /**
   * The AWS adapters (never SDK clients) for the resolved region/profile/endpoint, built on first
   * use, so --help and --version load no SDK; starts the embedded sandbox with --sandbox. A test
   * hands a run function the in-memory fake here (gh's HttpClient in its Factory).
   */
  apis(): Promise<AwsApis>;
  /** Releases clients and stops an embedded sandbox. */
  close(): Promise<void>;
}

/** An endpoint the SDK can use: an absolute http(s) URL. Anything else is a usage error before any call. */
export function assertEndpointUrl(text: string): void {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '')
    throw new UsageError(
      `--endpoint-url / AWS_ENDPOINT_URL: ${JSON.stringify(text)} is not an http(s) URL like http://127.0.0.1:4566 or https://iam.amazonaws.com`,
      'bad_endpoint',
    );
}

export interface DepsInit {
  io: Output;
  prompter: Prompter;
  globals: GlobalOptions;
  signal: AbortSignal;
  clock?: Clock;
  /** The library's config object (validated by the caller) instead of the file at globals.config. */
  loadConfig?: () => Promise<StackConfig>;
  /** Fixed AWS credentials (the library's `credentials` option) instead of the SDK's default chain. */
  credentials?: StaticCredentials | undefined;
}

export function createDeps(init: DepsInit): Deps {
  const { io, globals } = init;
  let configP: Promise<StackConfig> | undefined;
  let apisP: Promise<AwsApis> | undefined;
  let sandbox: SandboxHandle | undefined;

  const config = () => {
    configP ??= init.loadConfig
      ? init.loadConfig()
      : import('./config/load.js').then(({ loadConfigFile }) =>
          loadConfigFile(
            resolve(globals.config),
            { stack: globals.stack, region: globals.region },
            { sandbox: globals.configExplicit ? undefined : globals.sandbox },
          ),
        );
    return configP;
  };

  const apis = () => {
    apisP ??= (async () => {
      const [{ createAwsClients, formatCallRecord }, { awsApis }] = await Promise.all([import('./aws/clients.js'), import('./aws/apis.js')]);
      const onCall = globals.verbose ? (r: Parameters<typeof formatCallRecord>[0]) => io.debug(formatCallRecord(r)) : undefined;
      let region = globals.region;
      if (!region) region = (await config().catch(() => undefined))?.region;
      if (globals.sandbox !== undefined) {
        if (globals.endpointUrl) throw new UsageError('--sandbox and --endpoint-url cannot be combined', 'flag_conflict');
        const { attachSandbox } = await import('./sandbox/attach.js');
        sandbox = await attachSandbox({ stateDir: resolve(globals.sandbox), log: (m: string) => io.debug(m), signal: init.signal });
        return awsApis(
          createAwsClients({
            region: region ?? sandbox.region,
            endpoint: sandbox.endpoint,
            credentials: sandbox.credentials,
            onCall,
            abortSignal: init.signal,
          }),
        );
      }
      region ??= process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
      if (!region) throw new UsageError('no AWS region: pass --region, set "region" in the config, or set AWS_REGION', 'no_region');
      if (globals.endpointUrl !== undefined) assertEndpointUrl(globals.endpointUrl);
      return awsApis(
        createAwsClients({ region, profile: globals.profile, endpoint: globals.endpointUrl, credentials: init.credentials, onCall, abortSignal: init.signal }),
      );
    })();
    return apisP;
  };

  return {
    io,
    prompter: init.prompter,
    globals,
    clock: init.clock ?? systemClock,
    signal: init.signal,
    config,
    apis,
    async close() {
      if (apisP) await apisP.then((a) => a.close()).catch(() => undefined);
      if (sandbox) await sandbox.close();
    },
  };
}
