// One wrapper around every SDK call of the adapters: SDK errors become AwsCallError here,
// so classification happens once and nothing above src/aws sees an SDK error type.
import { AwsCallError } from './errors.js';

export async function call<T>(service: string, operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AwsCallError) throw err;
    if ((err as Error)?.name === 'AbortError') throw err;
    throw new AwsCallError(service, operation, err);
  }
}

/** Runs `fn`; a not-found error becomes `undefined` (reads of things that may not exist). */
export async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof AwsCallError && err.kind === 'not-found') return undefined;
    throw err;
  }
}

/**
 * IAM returns policy documents URL-encoded (RFC 3986) inside its XML; some emulators return
 * them plain. Accepts both and returns the parsed JSON.
 */
export function decodePolicyDocument(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  const trimmed = text.trim();
  try {
    const json = trimmed.startsWith('{') ? trimmed : decodeURIComponent(trimmed.replace(/\+/g, '%20'));
    return JSON.parse(json);
  } catch {
    // A document that is not JSON (an emulator accepted it, or it was hand-edited elsewhere) is
    // returned as text: it then compares unequal to every desired document, i.e. drift.
    return text;
  }
}

/** Tags as AWS lists them -> a plain record. */
export function tagRecord(tags: ReadonlyArray<{ Key?: string | undefined; Value?: string | undefined }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

export function tagList(tags: Record<string, string>): Array<{ Key: string; Value: string }> {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}
