// Durations as users write them in flags and environment variables ("90", "90s", "2m", "500ms").
// It lives in config, below both the commands and the sandbox, which both parse durations.

/** Parses a duration like "90", "90s", "2m", "500ms" into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * factor);
}
