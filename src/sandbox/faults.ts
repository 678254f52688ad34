// Fault injection at configured rates, reproducible from a seed: one draw per API request
// from a seeded generator, so the same seed and the same request sequence give the same faults.
import type { FaultConfig } from './settings.js';
import { mulberry32 } from './prng.js';

export type Fault = 'throttle' | '500' | '503' | 'reset';

export class FaultInjector {
  private readonly next: () => number;

  constructor(
    readonly config: FaultConfig,
    readonly seed: number,
  ) {
    this.next = mulberry32(seed);
  }

  get enabled(): boolean {
    return this.config.throttle + this.config['5xx'] + this.config.reset > 0;
  }

  /** The fault for the next request, if any. */
  draw(): Fault | undefined {
    if (!this.enabled) return undefined;
    const u = this.next();
    const { throttle, reset } = this.config;
    const fiveXx = this.config['5xx'];
    if (u < throttle) return 'throttle';
    if (u < throttle + fiveXx) return (u - throttle) / fiveXx < 0.5 ? '500' : '503';
    if (u < throttle + fiveXx + reset) return 'reset';
    return undefined;
  }
}
