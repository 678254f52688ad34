// The kinds of AWS resources isoctl owns, one module each. Every module exports the single
// ownership filter of its kind (`owned(config, observed)`: owned, or the reason why not),
// `plan(desired, observed)` and `remove(ctx, item)`. `tenant create`, `tenant delete`,
// `tenant list`/`show`, `gc`, `doctor` and `explain` ask these modules and nothing else whether a
// resource is isoctl's and how it goes away.
//
// ABAC mode adds two kinds here, in the same shape: the stack's shared scope roles
// (`isoctl-<stack>-<scope>`, owned when at the stack path with the stack's tags and no tenant
// tag) and the registry's rows (owned when the row's stack attribute is this stack).
import * as role from './role.js';
import * as group from './group.js';
import * as rule from './rule.js';
import * as probeUser from './probe-user.js';
import * as siloTable from './silo-table.js';
import * as boundary from './boundary.js';
import * as denyListPolicy from './deny-list-policy.js';

export { role, group, rule, probeUser, siloTable, boundary, denyListPolicy };

/** Every kind, in removal order (mapping first, the role last; silo tables are never removed). */
export const RESOURCE_KINDS = [group, rule, probeUser, role, siloTable] as const;

export type { Ownership, RemovalState, RemovalOutcome, RemovalContext } from './types.js';
export { countRemovals, outcomeOfError, REMOVAL_STATES } from './types.js';
