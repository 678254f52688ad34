// Builds the tenant operations' context from Deps: config, adapters, clock, and a spinner that
// says what isoctl is waiting for (plain lines on stderr when not on a terminal).
import type { Deps } from '../../deps.js';
import type { TenantContext } from '../../tenant/context.js';
import type { Spinner } from '../../io/spinner.js';
import { NotFoundError } from '../../errors.js';
import { roleName } from '../../config/tenant-id.js';
import { didYouMean } from '../../config/did-you-mean.js';

export interface CommandContext {
  ctx: TenantContext;
  spinner: Spinner | undefined;
  /** Stops the spinner; call before printing the result. */
  done(ok: boolean, text?: string): void;
}

export async function commandContext(deps: Deps, purpose: string, opts: { spinner?: boolean } = {}): Promise<CommandContext> {
  const config = await deps.config();
  const apis = await deps.apis();
  let spinner: Spinner | undefined;
  const progress = (message: string) => {
    if (opts.spinner === false) return deps.io.debug(message);
    if (!spinner) spinner = deps.io.spinner(message);
    else spinner.update(message);
  };
  return {
    ctx: { config, apis, now: () => deps.clock.now(), sleep: (ms, signal) => deps.clock.sleep(ms, signal), signal: deps.signal, progress, purpose },
    get spinner() {
      return spinner;
    },
    done(ok, text) {
      if (!spinner) return;
      if (ok) spinner.succeed(text);
      else if (text) spinner.fail(text);
      else spinner.stop();
      spinner = undefined;
    },
  };
}

/** Runs `body`, ending the spinner as failed when it throws. */
export async function withSpinner<T>(cc: CommandContext, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    cc.done(false);
    throw err;
  }
}

/**
 * Runs `body`; a "tenant not found" gains the stack's closest tenant ids ("tenant show acmee":
 * did you mean "acme"?). One extra list call, only on that error path.
 */
export async function suggestingTenants<T>(cc: CommandContext, tenant: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (!(err instanceof NotFoundError) || err.code !== 'tenant_not_found') throw err;
    const { config, apis } = cc.ctx;
    const prefix = roleName(config.stack, '');
    const known = await apis.iam.listStackRoles(config.stack).then(
      (roles) => roles.map((r) => r.name.slice(prefix.length)),
      () => [] as string[],
    );
    const hint = didYouMean(tenant, known);
    if (!hint) throw err;
    throw new NotFoundError(`${err.message}${hint}`, err.code, err.details);
  }
}
