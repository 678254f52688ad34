// The library: `import { Isoctl } from 'isoctl'`. Each method calls the same `run` function as
// the CLI command of the same name and returns the object that command prints with --json; errors
// are the CLI's typed errors (IsoctlError: code, exitCode, retryable, retryAfterSeconds), mapped in
// one place (src/error-mapping.ts). Nothing is printed and nothing is asked: calling a destructive
// method (deleteTenant, gc with apply, apply with prune) is the confirmation.
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { createDeps, type Deps, type GlobalOptions } from './deps.js';
import { toIsoctlError } from './error-mapping.js';
import { UsageError } from './errors.js';
import type { StackConfig, StackConfigInput } from './config/schema.js';
import { Output } from './io/output.js';
import type { Prompter } from './io/prompt.js';
import type { WaitLevel } from './tenant/wait.js';
import type { CreateTenantResult } from './tenant/create.js';
import type { DeleteTenantResult } from './tenant/delete.js';
import type { TenantListResult, TenantShowResult, TenantStatus } from './tenant/inventory.js';
import type { VerifyTenantResult } from './tenant/verify.js';
import type { VerifyManyResult } from './ops/apply/verify-many.js';
import type { InitResult } from './tenant/stack.js';
import type { GcResult } from './commands/gc.js';
import type { ApplyProgress, ApplyResult, PlannedApply, TenantsSpec } from './ops/apply/index.js';

export { IsoctlError, UsageError, NotFoundError, RefusedError, PendingError, FailedError, InterruptedError, EXIT_CODES, type ErrorKind } from './errors.js';
export type {
  StackConfig,
  StackConfigInput,
  WaitLevel,
  CreateTenantResult,
  DeleteTenantResult,
  TenantListResult,
  TenantShowResult,
  TenantStatus,
  VerifyTenantResult,
  InitResult,
  GcResult,
};
export type { ApplyProgress, ApplyResult, PlannedApply, TenantsSpec, VerifyManyResult };
export type { TenantSpec, TenantOutcome, TenantStatus as ApplyTenantStatus } from './ops/apply/index.js';
export type { TenantListEntry } from './tenant/inventory.js';
export type { StepReport } from './tenant/apply.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface IsoctlOptions {
  /** Path of an isoctl.json, or the config itself (validated like the file: UsageError, code config_invalid). */
  config: string | StackConfigInput;
  /** Endpoint for every AWS service (a sandbox, moto, LocalStack). */
  endpoint?: string | undefined;
  /** Overrides the config's region (as --region does). */
  region?: string | undefined;
  /** AWS shared-config profile (as --profile does). */
  profile?: string | undefined;
  /** Fixed credentials; default: the AWS SDK's default chain (environment, profile, instance role). */
  credentials?: AwsCredentials | undefined;
  /** Aborts every call in flight or to come: the method then rejects with InterruptedError. */
  signal?: AbortSignal | undefined;
}

export interface CreateTenantOptions {
  /** Scope names (default: every scope of the config for a new tenant, the ones it has otherwise). */
  scopes?: string[] | undefined;
  /** Wait until this service sees the tenant (default 'cognito', like the CLI). */
  wait?: WaitLevel | undefined;
  /** Give up waiting after this long: PendingError with retryAfterSeconds (default 90 s). */
  timeoutMs?: number | undefined;
  dryRun?: boolean | undefined;
  /** The same tenant coming back after a delete: its recently deleted id is not refused (the CLI's --reuse-id). */
  reuseId?: boolean | undefined;
}

export interface DeleteTenantOptions {
  dryRun?: boolean | undefined;
  /** A tenant that does not exist is a result with status 'absent' instead of NotFoundError. */
  ignoreMissing?: boolean | undefined;
  /** Wait until IAM stops showing the role (default 90 s); 0: do not wait. */
  timeoutMs?: number | undefined;
}

export interface ListTenantsOptions {
  /** Also read each role to compare policies, boundary and tags (one more call per tenant). */
  deep?: boolean | undefined;
  /** Only tenants in these states (counts still cover the stack). */
  status?: TenantStatus[] | undefined;
}

export interface VerifyTenantOptions {
  /** The tenant whose partition must be denied (default: another tenant of the stack). */
  against?: string | undefined;
}

export interface GcOptions {
  /** Remove the planned items (default: only plan). */
  apply?: boolean | undefined;
  /** Nothing younger is touched (default 1 h). */
  minAgeMs?: number | undefined;
  /** Tenants handled in parallel, 1-16 (default 4). */
  concurrency?: number | undefined;
  /** How long removals may take to be confirmed (default 60 s). */
  timeoutMs?: number | undefined;
}

export interface ApplyOptions {
  /** Delete the stack's tenants the spec does not name. */
  prune?: boolean | undefined;
  /** Tenants worked on at once (default 8, at most 64). */
  concurrency?: number | undefined;
  /** Called once per finished tenant. */
  onProgress?: ((e: ApplyProgress) => void) | undefined;
  dryRun?: boolean | undefined;
  /** Wait level per tenant (default 'cognito'). */
  wait?: WaitLevel | undefined;
  /** Per tenant; a tenant not visible by then ends 'pending' (default 90 s). */
  timeoutMs?: number | undefined;
}

const DEFAULT_TIMEOUT_MS = 90_000;
const CONFIG_OBJECT = 'the config object';

const silent = (): Writable =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

/** The library asks nothing: the method call is the confirmation. */
const noQuestions: Prompter = { confirmTyped: async () => undefined };

export class Isoctl {
  private readonly options: IsoctlOptions;
  private readonly signal: AbortSignal;
  private readonly configLoader: () => Promise<StackConfig>;
  private depsCache: Deps | undefined;

  constructor(options: IsoctlOptions) {
    if (!options || (typeof options.config !== 'string' && (typeof options.config !== 'object' || options.config === null)))
      throw new UsageError('new Isoctl({ config }): config must be a path or a config object', 'config_invalid');
    this.options = options;
    this.signal = options.signal ?? new AbortController().signal;
    const config = options.config;
    const region = options.region;
    if (typeof config === 'string') {
      const path = resolve(config);
      this.configLoader = async () => (await import('./config/load.js')).loadConfigFile(path, { region });
    } else {
      const raw = region === undefined ? { ...config } : { ...config, region };
      this.configLoader = async () => (await import('./config/load.js')).validateConfig(raw, CONFIG_OBJECT);
    }
  }

  /** The validated config (defaults filled in). */
  config(): Promise<StackConfig> {
    return this.call((deps) => deps.config());
  }

  /** Validates the config against AWS and creates the stack's shared pieces (idempotent). */
  init(opts: { dryRun?: boolean | undefined } = {}): Promise<InitResult> {
    return this.call(async (deps) => (await import('./commands/init.js')).runInit({ dryRun: opts.dryRun === true }, deps));
  }

  /**
   * Creates or repairs a tenant and waits until `wait` sees it. Not visible within `timeoutMs`:
   * PendingError (exitCode 75, retryable, retryAfterSeconds); calling again finishes the job.
   */
  createTenant(id: string, opts: CreateTenantOptions = {}): Promise<CreateTenantResult> {
    return this.call(async (deps) =>
      (await import('./commands/tenant/create.js')).runCreateTenant(
        {
          tenant: id,
          scopes: opts.scopes,
          wait: opts.wait ?? 'cognito',
          timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          dryRun: opts.dryRun === true,
          reuseId: opts.reuseId === true,
        },
        deps,
      ),
    );
  }

  deleteTenant(id: string, opts: DeleteTenantOptions = {}): Promise<DeleteTenantResult> {
    const timeoutMs = opts.timeoutMs === 0 ? undefined : (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return this.call(async (deps) =>
      (await import('./commands/tenant/delete.js')).runDeleteTenant(
        { tenant: id, dryRun: opts.dryRun === true, ignoreMissing: opts.ignoreMissing === true, timeoutMs },
        deps,
      ),
    );
  }

  listTenants(opts: ListTenantsOptions = {}): Promise<TenantListResult> {
    return this.call(async (deps) => (await import('./commands/tenant/list.js')).runListTenants({ deep: opts.deep === true, status: opts.status }, deps));
  }

  /** NotFoundError (code tenant_not_found) when the tenant does not exist. */
  showTenant(id: string): Promise<TenantShowResult> {
    return this.call(async (deps) => (await import('./commands/tenant/show.js')).runShowTenant({ tenant: id }, deps));
  }

  /** Runs the isolation probe; the result says `isolated` (the CLI exits 1 when it is false). */
  verifyTenant(id: string, opts: VerifyTenantOptions = {}): Promise<VerifyTenantResult> {
    return this.call(async (deps) => (await import('./commands/tenant/verify.js')).runVerifyTenant({ tenant: id, against: opts.against }, deps));
  }

  /**
   * Probes several tenants (or every tenant of the stack with 'all'), each against another
   * tenant; the result has `isolated`, `not-isolated` or `failed` per tenant and the counts.
   */
  verifyTenants(ids: string[] | 'all', opts: { concurrency?: number | undefined } = {}): Promise<VerifyManyResult> {
    return this.call(async (deps) => (await import('./commands/tenant/verify.js')).runVerifyMany(ids, opts.concurrency, deps));
  }

  /** Plans (default) or, with `apply: true`, removes the stack's leftovers; the result counts each state. */
  gc(opts: GcOptions = {}): Promise<GcResult> {
    return this.call(async (deps) => {
      const concurrency = opts.concurrency ?? 4;
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16)
        throw new UsageError('gc concurrency: a whole number from 1 to 16', 'bad_flag');
      return (await import('./commands/gc.js')).runGc(
        { apply: opts.apply === true, minAgeMs: opts.minAgeMs ?? 3_600_000, concurrency, timeoutMs: opts.timeoutMs ?? 60_000 },
        deps,
      );
    });
  }

  /**
   * Reconciles the stack to `spec` (`{ tenants: [{ id, scopes? }] }`, validated like a tenants
   * file). The result has a status per tenant (created, updated, unchanged, deleted, failed,
   * pending) and the counts; a failed or pending tenant does not throw.
   */
  apply(spec: TenantsSpec, opts: ApplyOptions & { dryRun: true }): Promise<PlannedApply>;
  apply(spec: TenantsSpec, opts?: ApplyOptions & { dryRun?: false | undefined }): Promise<ApplyResult>;
  apply(spec: TenantsSpec, opts?: ApplyOptions): Promise<ApplyResult | PlannedApply>;
  apply(spec: TenantsSpec, opts: ApplyOptions = {}): Promise<ApplyResult | PlannedApply> {
    return this.call(async (deps) => {
      const [{ validateSpec }, { runApply }] = await Promise.all([import('./ops/apply/index.js'), import('./commands/apply-run.js')]);
      return runApply(
        {
          spec: validateSpec(spec, 'the spec'),
          prune: opts.prune === true,
          dryRun: opts.dryRun === true,
          concurrency: opts.concurrency,
          wait: opts.wait ?? 'cognito',
          timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          purpose: 'apply (library)',
          onProgress: opts.onProgress,
        },
        deps,
      );
    });
  }

  /** Releases the AWS clients. The instance can be used again afterwards (clients are rebuilt). */
  async close(): Promise<void> {
    const deps = this.depsCache;
    this.depsCache = undefined;
    if (deps) await deps.close();
  }

  private deps(): Deps {
    if (this.depsCache) return this.depsCache;
    const o = this.options;
    const globals: GlobalOptions = {
      config: typeof o.config === 'string' ? o.config : CONFIG_OBJECT,
      configExplicit: true,
      region: o.region,
      profile: o.profile,
      endpointUrl: o.endpoint,
      sandbox: undefined,
      json: false,
      quiet: true,
      color: false,
      input: false,
      yes: true,
      verbose: false,
    };
    const io = new Output(
      { stdin: process.stdin, stdout: silent(), stderr: silent(), env: { ...process.env, CI: 'true', NO_COLOR: '1' } },
      { json: false, quiet: true, verbose: false, noColor: true },
    );
    this.depsCache = createDeps({ io, prompter: noQuestions, globals, signal: this.signal, loadConfig: this.configLoader, credentials: o.credentials });
    return this.depsCache;
  }

  private async call<T>(body: (deps: Deps) => Promise<T>): Promise<T> {
    try {
      return await body(this.deps());
    } catch (err) {
      throw toIsoctlError(err, this.signal.aborted);
    }
  }
}

export default Isoctl;
