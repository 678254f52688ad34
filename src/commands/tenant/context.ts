// Builds the tenant operations' context from Deps: config, adapters, clock, and a spinner that
// says what isoctl is waiting for (plain lines on stderr when not on a terminal).
import type { Deps } from '../../deps.js';
import type { TenantContext } from '../../tenant/context.js';
import type { Spinner } from '../../io/spinner.js';

export interface CommandContext {
  ctx: TenantContext;
  spinner: Spinner | undefined;
  /** Stops the spinner; call before printing the result. */
  done(ok: boolean, text?: string): void;
}

export async function commandContext(deps: Deps, purpose: string, opts: { spinner?: boolean } = {}): Promise<CommandContext> {
  const config = await deps.config();
  const { awsApis } = await import('../../aws/apis.js');
  const apis = awsApis(await deps.aws());
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
