// A deleted tenant's id given to a new tenant (docs/security.md row 12d). Whoever still carries
// the old tenant X gets into the NEW tenant X:
//   - rules / ABAC: every user whose tenant claim is still X (delete does not change users);
//   - token: ID tokens issued before the delete name X's group and role (`cognito:roles`,
//     `cognito:preferred_role`); the re-created role has the same ARN, and the identity pool hands
//     out its credentials for as long as the token lives (up to a day);
//   - ABAC: the tombstone denies X on the scope roles; while it is there a re-created X never works.
// So `tenant delete` records `deleted#<id>` in the stack's lock table (before the tenant's registry
// row goes), and `tenant create` (every create path: src/tenant/create.ts calls `checkIdReuse`
// first) refuses a recently deleted id, an id some user still carries, or a tombstoned one, unless
// `--reuse-id` says it is the same tenant coming back. gc drops the record once it is harmless.
import type { RegistryRow } from '../aws/apis.js';
import { AwsCallError } from '../aws/errors.js';
import { lockTableName, type MappingMode } from '../config/schema.js';
import { RefusedError } from '../errors.js';
import { withRetry } from '../ops/retry.js';
import type { TenantContext } from './context.js';
import { changeDenyLists, readDenyLists } from './deny-list-store.js';
import { probeUsername } from './names.js';
import { getTenantRow, listRegistry } from './registry.js';
import { idTokenLifetime, LONGEST_CREDENTIAL_SECONDS } from './token-lifetimes.js';

export const DELETED_PREFIX = 'deleted#';
export const deletedKey = (tenant: string) => `${DELETED_PREFIX}${tenant}`;
/** How many claim holders a refusal names. */
const NAMED_HOLDERS = 5;

export interface DeletionRecord {
  tenant: string;
  /** ISO time of the last (re-)run of the delete: the id is free one token + credential lifetime later. */
  deletedAt: string;
  /** The stack's mapping mode when it was deleted. */
  mode: string;
  version: number;
}

function toRecord(row: RegistryRow | undefined): DeletionRecord | undefined {
  if (!row) return undefined;
  return { tenant: row.tenant, deletedAt: row.extra?.deletedAt ?? row.updatedAt, mode: row.mode, version: row.version };
}

export async function getDeletionRecord(ctx: TenantContext, tenant: string): Promise<DeletionRecord | undefined> {
  const row = await ctx.apis.registry.get(lockTableName(ctx.config), deletedKey(tenant)).catch((err: unknown) => {
    // No lock table: no record (the registry read beside this one says the stack is not initialized).
    if (err instanceof AwsCallError && err.kind === 'not-found') return undefined;
    throw err;
  });
  return toRecord(row);
}

export async function listDeletionRecords(ctx: TenantContext): Promise<DeletionRecord[]> {
  const { rows } = await ctx.apis.registry.scan(lockTableName(ctx.config), DELETED_PREFIX);
  return rows.map((r) => toRecord(r.row)!).sort((a, b) => a.tenant.localeCompare(b.tenant));
}

/**
 * `tenant delete`: records (or moves forward) the deletion time. Called before the first removal
 * (a crash keeps the record) and again after the last one, just before the registry row goes.
 */
export async function recordDeletion(ctx: TenantContext, tenant: string): Promise<void> {
  const table = lockTableName(ctx.config);
  const key = deletedKey(tenant);
  for (let i = 0; i < 8; i++) {
    const cur = await ctx.apis.registry.get(table, key);
    const now = new Date(ctx.now()).toISOString();
    const row: RegistryRow = {
      tenant,
      status: 'deleting',
      scopes: [],
      mode: ctx.config.mapping,
      createdAt: cur?.createdAt ?? now,
      updatedAt: now,
      version: (cur?.version ?? 0) + 1,
      extra: { deletedAt: now },
    };
    if (await ctx.apis.registry.put(table, key, row, cur ? { version: cur.version } : { absent: true })) return;
  }
  throw new RefusedError(`the deletion record of tenant ${tenant} kept changing under this command; try again`, 'registry_conflict');
}

/** gc: removes the record at the version it judged (false: it changed since, e.g. a new delete). */
export async function removeDeletionRecord(ctx: TenantContext, record: DeletionRecord): Promise<boolean> {
  return ctx.apis.registry.remove(lockTableName(ctx.config), deletedKey(record.tenant), { version: record.version });
}

/** The moment a deleted id is free: its deletion time + the longest ID token + the longest credential lifetime. */
export function freeAt(deletedAt: string, idTokenSeconds: number, credentialSeconds = LONGEST_CREDENTIAL_SECONDS): number {
  return Date.parse(deletedAt) + (idTokenSeconds + credentialSeconds) * 1000;
}

/** What the reuse decision reads. */
export interface ReuseFacts {
  tenant: string;
  mode: MappingMode;
  now: number;
  /** The tenant's registry row status, when it has one. */
  registryStatus: RegistryRow['status'] | undefined;
  record: Pick<DeletionRecord, 'deletedAt' | 'mode'> | undefined;
  /** Users other than the tenant's probe user whose tenant claim is the id (rules, ABAC; token: []). */
  holders: string[];
  /** ABAC: a scope role still carries the id's tombstone. */
  tombstoned: boolean;
  idTokenSeconds: number;
  credentialSeconds: number;
  reuseId: boolean;
}

export type ReuseReason = { kind: 'recently-deleted'; deletedAt: string; freeAt: string } | { kind: 'claim-holders'; users: string[] } | { kind: 'tombstone' };

export type ReuseDecision =
  /** existing: a registered tenant (a repair); new: nothing stands in the way. */
  | { verdict: 'existing' }
  | { verdict: 'new' }
  /** --reuse-id over these reasons; liftTombstone: ABAC's tombstone goes before the create. */
  | { verdict: 'reuse'; reasons: ReuseReason[]; liftTombstone: boolean }
  | { verdict: 'refused'; reasons: ReuseReason[] };

/** Any trace of an earlier tenant with this id: a deletion record, a half-done delete, a tombstone. */
function deletionEvidence(f: Pick<ReuseFacts, 'record' | 'registryStatus' | 'tombstoned'>): boolean {
  return f.record !== undefined || f.registryStatus === 'deleting' || f.tombstoned;
}

/** The reasons a create of this id would let someone other than the new tenant's users in (pure). */
export function reuseReasons(f: ReuseFacts): ReuseReason[] {
  const reasons: ReuseReason[] = [];
  if (f.record) {
    const free = freeAt(f.record.deletedAt, f.idTokenSeconds, f.credentialSeconds);
    if (!(f.now >= free)) reasons.push({ kind: 'recently-deleted', deletedAt: f.record.deletedAt, freeAt: new Date(free).toISOString() });
  }
  // Users carrying the claim of an id nobody had before are the new tenant's own (a control plane
  // that gives users their claim first, a stack older than the registry): only after a delete are
  // they someone else's.
  if (f.mode !== 'token' && f.holders.length > 0 && deletionEvidence(f)) reasons.push({ kind: 'claim-holders', users: [...f.holders].sort() });
  if (f.mode === 'abac' && f.tombstoned) reasons.push({ kind: 'tombstone' });
  return reasons;
}

/** The decision (pure): a registered tenant is a repair; otherwise refused while a reason holds, unless --reuse-id. */
export function decideIdReuse(f: ReuseFacts): ReuseDecision {
  if (f.registryStatus === 'active' || f.registryStatus === 'suspended') return { verdict: 'existing' };
  const reasons = reuseReasons(f);
  if (reasons.length === 0) return { verdict: 'new' };
  if (f.reuseId) return { verdict: 'reuse', reasons, liftTombstone: reasons.some((r) => r.kind === 'tombstone') };
  return { verdict: 'refused', reasons };
}

export function describeReasons(config: { tenantClaim: string }, tenant: string, reasons: ReuseReason[]): string[] {
  return reasons.map((r) => {
    if (r.kind === 'recently-deleted')
      return `tenant ${tenant} was deleted at ${r.deletedAt}: its users' ID tokens (and credentials bought with them) may still be valid and would reach the new tenant; the id is free at ${r.freeAt}`;
    if (r.kind === 'claim-holders') {
      const named = r.users.slice(0, NAMED_HOLDERS).join(', ') + (r.users.length > NAMED_HOLDERS ? `, ... (${r.users.length} in all)` : '');
      return `${r.users.length} user(s) of the pool still carry ${config.tenantClaim}=${tenant} (${named}) and would be mapped into the new tenant; remove them (\`isoctl user remove <username>\`) or change their claim`;
    }
    return `the scope roles still carry tenant ${tenant}'s tombstone (it denies every session tagged ${tenant}); \`isoctl gc --apply\` removes it once no user carries the claim and the token lifetime has passed`;
  });
}

export interface IdReuseReport {
  verdict: 'existing' | 'new' | 'reuse';
  /** --reuse-id: what was waived. */
  waived?: string[] | undefined;
  /** ABAC --reuse-id: the tombstone was lifted from these scope roles (planned with --dry-run). */
  liftedTombstone?: { roles: string[]; planned: boolean } | undefined;
  /** ABAC --reuse-id: users the delete disabled stay disabled until an operator re-enables them. */
  note?: string | undefined;
}

/** Pool-wide reads shared by the creates of one run (apply creates many tenants): reused for a short while. */
const POOL_READS_MS = 30_000;
type PoolReads = { at: number; holders?: Promise<Map<string, string[]>>; tombstones?: Promise<Set<string>> };
/** Per AWS adapters, per stack (pool, claim): a library process may serve several stacks. */
const poolReads = new WeakMap<object, Map<string, PoolReads>>();
const readsKey = (ctx: TenantContext) => `${ctx.config.stack}|${ctx.config.userPoolId}|${ctx.config.tenantClaim}`;

function cached(ctx: TenantContext): PoolReads {
  let byStack = poolReads.get(ctx.apis);
  if (!byStack) poolReads.set(ctx.apis, (byStack = new Map()));
  let c = byStack.get(readsKey(ctx));
  if (!c || ctx.now() - c.at > POOL_READS_MS) byStack.set(readsKey(ctx), (c = { at: ctx.now() }));
  return c;
}

function claimHolders(ctx: TenantContext): Promise<Map<string, string[]>> {
  const c = cached(ctx);
  return (c.holders ??= withRetry(ctx, () => ctx.apis.cognitoIdp.listUsers(ctx.config.userPoolId)).then((users) => {
    const byClaim = new Map<string, string[]>();
    for (const u of users) {
      const v = u.attributes[ctx.config.tenantClaim];
      if (v) byClaim.set(v, [...(byClaim.get(v) ?? []), u.username]);
    }
    return byClaim;
  }));
}

function tombstonedIds(ctx: TenantContext): Promise<Set<string>> {
  const c = cached(ctx);
  return (c.tombstones ??= withRetry(ctx, () => readDenyLists(ctx)).then(
    (s) => new Set(s.containers.flatMap((k) => k.entries).flatMap((e) => (e.kind === 'deleted' ? [e.tenant] : []))),
  ));
}

/** Reads what the decision needs: two GetItems; ABAC the deny lists (cached per run); the pool's users only for an id with a trace of a delete. */
/**
 * Both reads, settled before either failure is thrown: a stack never initialised fails the first
 * (`not_initialized`) while the second is still in flight, and the command must not close its
 * clients (or the embedded sandbox) under a pending call (the process then lingered for minutes).
 */
async function settledBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/** The tenant's registry row and deletion record as a consistent Scan read them moments ago (apply: one Scan for every id). */
export interface KnownTraces {
  row: RegistryRow | undefined;
  record: DeletionRecord | undefined;
}

export async function readReuseFacts(ctx: TenantContext, tenant: string, reuseId: boolean, known?: KnownTraces): Promise<ReuseFacts> {
  const { config } = ctx;
  if (!known) ctx.progress?.(`reading tenant ${tenant}'s registry row and deletion record`);
  // Reads retried on throttling (the one retry layer): a busy account must not fail a whole apply.
  const [row, record] = known
    ? [known.row, known.record]
    : await settledBoth(
        withRetry(ctx, () => getTenantRow(ctx, tenant)),
        withRetry(ctx, () => getDeletionRecord(ctx, tenant)),
      );
  const base: ReuseFacts = {
    tenant,
    mode: config.mapping,
    now: ctx.now(),
    registryStatus: row?.status,
    record,
    holders: [],
    tombstoned: false,
    idTokenSeconds: 0,
    credentialSeconds: LONGEST_CREDENTIAL_SECONDS,
    reuseId,
  };
  if (row && row.status !== 'deleting') return base;
  const probe = probeUsername(tenant);
  const [tombstoned, lifetime] = await Promise.all([
    config.mapping === 'abac' ? tombstonedIds(ctx).then((s) => s.has(tenant)) : Promise.resolve(false),
    record ? idTokenLifetime(ctx.apis, config, ctx) : Promise.resolve({ seconds: 0 }),
  ]);
  // The users still carrying the claim are looked for only when the id was someone's before (a
  // deletion record, a half-done delete, a tombstone): Cognito cannot filter ListUsers on a custom
  // attribute, so this reads the whole pool, which a fresh id (the common case, and a control
  // plane that gives users their claim before it creates the tenant) must not pay or be refused by.
  const evidence = deletionEvidence({ record, registryStatus: row?.status, tombstoned });
  const holders = config.mapping === 'token' || !evidence ? [] : await claimHolders(ctx).then((m) => (m.get(tenant) ?? []).filter((u) => u !== probe));
  const facts = { ...base, holders, tombstoned, idTokenSeconds: lifetime.seconds };
  return facts;
}

/**
 * The one check every create path runs before its first write (src/tenant/create.ts). Refuses
 * (exit 4, nothing changed, `tenant_id_recently_deleted`) a reused id; with `reuseId` lets it
 * through and, in ABAC mode, lifts the id's tombstone (planned only, with `dryRun`).
 */
export async function checkIdReuse(
  ctx: TenantContext,
  tenant: string,
  opts: { reuseId: boolean; dryRun: boolean; known?: KnownTraces | undefined },
): Promise<IdReuseReport> {
  const facts = await readReuseFacts(ctx, tenant, opts.reuseId, opts.known);
  const decision = decideIdReuse(facts);
  if (decision.verdict === 'existing' || decision.verdict === 'new') return { verdict: decision.verdict };
  const lines = describeReasons(ctx.config, tenant, decision.reasons);
  if (decision.verdict === 'refused') {
    const free = decision.reasons.find((r) => r.kind === 'recently-deleted');
    throw new RefusedError(
      `tenant id ${tenant} cannot be given to a new tenant yet; nothing was changed:\n${lines.map((l) => `  - ${l}`).join('\n')}\n` +
        `If this is the same tenant coming back (an accidental delete), pass --reuse-id: its old users and tokens get in again.`,
      'tenant_id_recently_deleted',
      { tenant, reasons: decision.reasons, ...(free?.kind === 'recently-deleted' ? { freeAt: free.freeAt } : {}) },
    );
  }
  const report: IdReuseReport = { verdict: 'reuse', waived: lines };
  if (decision.liftTombstone) {
    const roles = opts.dryRun
      ? (await withRetry(ctx, () => readDenyLists(ctx))).roles
      : (await changeDenyLists(ctx, { add: [], drop: (e) => e.kind === 'deleted' && e.tenant === tenant }, `lift tenant ${tenant}'s tombstone (--reuse-id)`))
          .roles;
    poolReads.get(ctx.apis)?.delete(readsKey(ctx));
    report.liftedTombstone = { roles, planned: opts.dryRun };
  }
  if (ctx.config.mapping === 'abac') {
    const named =
      facts.holders.length === 0 ? '' : ` (${facts.holders.slice(0, NAMED_HOLDERS).join(', ')}${facts.holders.length > NAMED_HOLDERS ? ', ...' : ''})`;
    report.note = `the users of ${tenant} its delete disabled${named} stay disabled until an operator re-enables them (\`aws cognito-idp admin-enable-user\`)`;
  }
  return report;
}

/**
 * Role-mode `apply` creates tenants without `createTenant` (src/ops/apply/execute.ts): each
 * planned create of an id `checkIdReuse` refuses becomes a refused tenant of the plan (exit 1 for
 * the run, the others go on), before any write. No --reuse-id here: take an id back with
 * `tenant create <id> --reuse-id`.
 */
export async function refuseReusedIds(
  ctx: TenantContext,
  tenants: Array<{ tenant: string; action: string; steps: unknown[]; reason?: string | undefined; code?: string | undefined }>,
): Promise<void> {
  const creates = tenants.filter((t) => t.action === 'create');
  if (creates.length === 0) return;
  // One consistent Scan of the rows and one of the deletion records for the whole run, instead of
  // two GetItems per new id (1,000 new tenants: 2 calls, not 2,000).
  const [registry, records] = await Promise.all([withRetry(ctx, () => listRegistry(ctx)), withRetry(ctx, () => listDeletionRecords(ctx))]);
  const rows = new Map(registry.rows.map((r) => [r.tenant, r]));
  const recs = new Map(records.map((r) => [r.tenant, r]));
  for (let i = 0; i < creates.length; i += 16)
    await Promise.all(
      creates.slice(i, i + 16).map(async (t) => {
        try {
          await checkIdReuse(ctx, t.tenant, { reuseId: false, dryRun: true, known: { row: rows.get(t.tenant), record: recs.get(t.tenant) } });
        } catch (err) {
          if (!(err instanceof RefusedError) || err.code !== 'tenant_id_recently_deleted') throw err;
          Object.assign(t, { action: 'refused', steps: [], reason: err.message, code: err.code });
        }
      }),
    );
}
