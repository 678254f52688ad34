// The sandbox's run settings: per-observer lag and fault rates, from flags or environment.
// Malformed values are usage errors (exit 2), reported with what was expected.
import { UsageError } from '../errors.js';
import { parseDuration } from '../config/duration.js';
import type { LagConfig } from './contract.js';

export interface FaultConfig {
  /** Share of API requests answered with a throttling error. */
  throttle: number;
  /** Share answered with 500 InternalFailure or 503 ServiceUnavailable (half each). */
  '5xx': number;
  /** Share whose connection is reset before an answer. */
  reset: number;
}

export const NO_LAG: LagConfig = { iam: 0, cognito: 0, dynamodb: 0 };
export const NO_FAULTS: FaultConfig = { throttle: 0, '5xx': 0, reset: 0 };

function pairs(spec: string, flag: string): Array<[string, string]> {
  const trimmed = spec.trim();
  if (trimmed === '' || trimmed === 'none') return [];
  return trimmed.split(',').map((part) => {
    const m = /^\s*([\w-]+)\s*=\s*(\S+)\s*$/.exec(part);
    if (!m) throw new UsageError(`${flag}: "${part}" is not key=value`, 'bad_flag');
    return [m[1]!, m[2]!];
  });
}

/** "iam=2s,cognito=5s,dynamodb=8s" (durations as 500ms, 2s, 1m; a bare number is seconds). */
export function parseLagSpec(spec: string, flag = '--lag'): LagConfig {
  const lag: LagConfig = { ...NO_LAG };
  for (const [k, v] of pairs(spec, flag)) {
    if (k !== 'iam' && k !== 'cognito' && k !== 'dynamodb')
      throw new UsageError(`${flag}: unknown service "${k}" (expected iam, cognito or dynamodb)`, 'bad_flag');
    const ms = parseDuration(v);
    if (ms === undefined) throw new UsageError(`${flag}: "${v}" is not a duration like 500ms, 2s or 1m`, 'bad_flag');
    lag[k] = ms;
  }
  return lag;
}

/** "throttle=0.05,5xx=0.02,reset=0.01": each a probability in [0, 1], together at most 1. */
export function parseFaultSpec(spec: string, flag = '--faults'): FaultConfig {
  const faults: FaultConfig = { ...NO_FAULTS };
  for (const [k, v] of pairs(spec, flag)) {
    if (k !== 'throttle' && k !== '5xx' && k !== 'reset') throw new UsageError(`${flag}: unknown fault "${k}" (expected throttle, 5xx or reset)`, 'bad_flag');
    const n = Number(v);
    if (!/^\d*\.?\d+$/.test(v) || !(n >= 0 && n <= 1)) throw new UsageError(`${flag}: ${k}=${v} is not a rate between 0 and 1`, 'bad_flag');
    faults[k] = n;
  }
  if (faults.throttle + faults['5xx'] + faults.reset > 1) throw new UsageError(`${flag}: the rates add up to more than 1`, 'bad_flag');
  return faults;
}

export function parseSeed(text: string, flag = '--seed'): number {
  if (!/^\d{1,10}$/.test(text.trim()) || Number(text) > 0xffffffff) throw new UsageError(`${flag}: "${text}" is not a whole number 0..4294967295`, 'bad_flag');
  return Number(text);
}

export function formatLag(lag: LagConfig): string {
  return `iam=${lag.iam}ms,cognito=${lag.cognito}ms,dynamodb=${lag.dynamodb}ms`;
}

export function formatFaults(f: FaultConfig): string {
  return `throttle=${f.throttle},5xx=${f['5xx']},reset=${f.reset}`;
}

/** Settings for the in-process `--sandbox` mode from ISOCTL_SANDBOX_LAG / _FAULTS / _SEED. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): { lag?: LagConfig; faults?: FaultConfig; seed?: number } {
  const out: { lag?: LagConfig; faults?: FaultConfig; seed?: number } = {};
  if (env.ISOCTL_SANDBOX_LAG) out.lag = parseLagSpec(env.ISOCTL_SANDBOX_LAG, 'ISOCTL_SANDBOX_LAG');
  if (env.ISOCTL_SANDBOX_FAULTS) out.faults = parseFaultSpec(env.ISOCTL_SANDBOX_FAULTS, 'ISOCTL_SANDBOX_FAULTS');
  if (env.ISOCTL_SANDBOX_SEED) out.seed = parseSeed(env.ISOCTL_SANDBOX_SEED, 'ISOCTL_SANDBOX_SEED');
  return out;
}
