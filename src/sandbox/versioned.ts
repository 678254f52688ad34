// Time-based visibility for eventual consistency: every write is stamped, and each observer
// sees the newest version older than its lag. Stamps are wall-clock ms, so the lag holds across
// processes and restarts (the history is persisted with the state).

export interface Versioned<T> {
  history: Array<{ at: number; value: T | null }>;
}

export function versioned<T>(value: T | null, at: number): Versioned<T> {
  return { history: [{ at, value }] };
}

/** Appends a version (null = deleted). Keeps only what some observer may still need. */
export function writeVersion<T>(v: Versioned<T>, value: T | null, at: number, maxLagMs: number): void {
  v.history.push({ at, value });
  // Drop versions that every observer has moved past: keep the newest one at or before (at - maxLag).
  const horizon = at - maxLagMs;
  let keepFrom = 0;
  for (let i = 0; i < v.history.length; i++) if (v.history[i]!.at <= horizon) keepFrom = i;
  if (keepFrom > 0) v.history.splice(0, keepFrom);
}

/** What an observer with `lagMs` sees at `now`: the value, null when deleted, undefined when not yet created. */
export function readVersion<T>(v: Versioned<T> | undefined, now: number, lagMs: number): T | null | undefined {
  if (!v) return undefined;
  let seen: T | null | undefined;
  for (const entry of v.history) if (entry.at + lagMs <= now) seen = entry.value;
  return seen;
}

/** The newest value regardless of lag (what the writer itself knows). */
export function latestVersion<T>(v: Versioned<T> | undefined): T | null | undefined {
  return v?.history[v.history.length - 1]?.value;
}
