// What user pools (pools.ts) and identity pools (identity-pools.ts) do alike: pick an id no
// pool or identity holds yet, and answer List*Pools one page at a time (MaxResults, NextToken).
import { optString, paginate, PATTERNS, reqInt, type Input } from './validate.js';

/** An id from `make` that `taken` does not know yet. */
export function freshId(make: () => string, taken: (id: string) => boolean): string {
  let id: string;
  do id = make();
  while (taken(id));
  return id;
}

/** A List*Pools page, validated as AWS does: MaxResults 1..60, NextToken (at most `tokenMax` characters when AWS says so). */
export function poolsPage<T>(input: Input, pools: T[], idOf: (pool: T) => string, kind: string, tokenMax?: number): { page: T[]; nextToken?: string } {
  const max = reqInt(input, 'MaxResults', { min: 1, max: 60 });
  const token = optString(input, 'NextToken', { min: 1, ...(tokenMax !== undefined ? { max: tokenMax } : {}), pattern: PATTERNS.paginationKey });
  return paginate(pools, idOf, kind, max, token);
}
