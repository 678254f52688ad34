// Whether two of a stack's resource templates can ever name the same thing for two tenants.
//
// Silo tables are `<prefix>-<tenant>`, pooled tables and the lock table are fixed names, and a
// bucket's object prefix is a template such as `{tenant}/`. Each template, with the tenant id
// ranging over every valid id (TENANT_ID_PATTERN, capped by the role-name length of the stack),
// is a regular language. We compile each one to a small NFA and decide, by a product search
// over the two automata (not by sampling ids):
//   - tables: do two templates share a name?           L(A) ∩ L(B) ≠ ∅
//   - prefixes in one bucket: is one a prefix of another?  L(A) ∩ Pref(L(B)) ≠ ∅ (or B, A)
//   - one prefix template against itself, for two ids: L(A) ∩ ProperPref(L(A)) ≠ ∅
// A name one template makes for one tenant is never made by another template for any tenant
// (the same tenant included: two table entries resolving to one table would mix their
// attribute and index rules). A template with several `{tenant}` is treated as if each were
// a separate id: a superset of what it produces, so the answer errs towards refusing.
// Every hit comes with a witness: the name and the tenant ids that both produce it.

/** The tenant-id alphabet of TENANT_ID_PATTERN. */
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface NameTemplate {
  /** How the config names it, e.g. `tables[1] "Vault-archive" (silo)`. */
  label: string;
  /** Literal text and holes (`null`) where the tenant id goes. */
  parts: Array<string | null>;
  /** Config path of the entry, for the validation issue. */
  path: Array<string | number>;
}

interface Nfa {
  next: Array<Map<string, number[]>>;
  accepting: Set<number>;
  /** States inside a `{tenant}` hole, with the index of that hole. */
  hole: Map<number, number>;
}

function compile(parts: Array<string | null>, maxIdLength: number): Nfa {
  const next: Array<Map<string, number[]>> = [new Map()];
  const hole = new Map<number, number>();
  const state = () => next.push(new Map()) - 1;
  const edge = (from: number, ch: string, to: number) => {
    const m = next[from] as Map<string, number[]>;
    const list = m.get(ch);
    if (list) list.push(to);
    else m.set(ch, [to]);
  };
  let frontier = [0];
  let holeIndex = 0;
  for (const part of parts) {
    if (part !== null) {
      for (const ch of part) {
        const s = state();
        for (const f of frontier) edge(f, ch, s);
        frontier = [s];
      }
      continue;
    }
    // alnum[n]: n characters read, the last one a letter or digit (an id may end here);
    // dash[n]: the last one a dash (it may not). Ids are 1..maxIdLength long.
    const alnum: number[] = [];
    const dash: number[] = [];
    for (let n = 1; n <= maxIdLength; n++) {
      alnum[n] = state();
      dash[n] = state();
      hole.set(alnum[n] as number, holeIndex);
      hole.set(dash[n] as number, holeIndex);
    }
    for (const f of frontier) for (const ch of ALNUM) edge(f, ch, alnum[1] as number);
    for (let n = 1; n < maxIdLength; n++)
      for (const from of [alnum[n] as number, dash[n] as number]) {
        for (const ch of ALNUM) edge(from, ch, alnum[n + 1] as number);
        edge(from, '-', dash[n + 1] as number);
      }
    frontier = alnum.filter((s) => s !== undefined);
    holeIndex++;
  }
  return { next, accepting: new Set(frontier), hole };
}

/** States from which an accepting state is reachable in at least `minSteps` (0 or 1) steps. */
function coReachable(nfa: Nfa, minSteps: 0 | 1): Set<number> {
  const reach0 = new Set(nfa.accepting);
  let changed = true;
  while (changed) {
    changed = false;
    nfa.next.forEach((m, s) => {
      if (reach0.has(s)) return;
      for (const targets of m.values())
        if (targets.some((t) => reach0.has(t))) {
          reach0.add(s);
          changed = true;
          return;
        }
    });
  }
  if (minSteps === 0) return reach0;
  const reach1 = new Set<number>();
  nfa.next.forEach((m, s) => {
    for (const targets of m.values()) if (targets.some((t) => reach0.has(t))) reach1.add(s);
  });
  return reach1;
}

/** Shortest path of characters from `from` to an accepting state of `nfa` taking at least one step when `proper`. */
function completion(nfa: Nfa, from: number, proper: boolean): Array<[string, number]> {
  const prev = new Map<number, [number, string] | null>([[from, null]]);
  const queue = [from];
  const done = (s: number, path: number) => nfa.accepting.has(s) && (!proper || path > 0);
  if (done(from, 0)) return [];
  for (let i = 0; i < queue.length; i++) {
    const s = queue[i] as number;
    for (const [ch, targets] of nfa.next[s] as Map<string, number[]>)
      for (const t of targets) {
        if (prev.has(t)) continue;
        prev.set(t, [s, ch]);
        if (nfa.accepting.has(t)) {
          const out: Array<[string, number]> = [];
          for (let c: number = t; c !== from;) {
            const [p, pc] = prev.get(c) as [number, string];
            out.unshift([pc, c]);
            c = p;
          }
          return out;
        }
        queue.push(t);
      }
  }
  return [];
}

export interface TemplateOverlap {
  /** The name (or the shorter prefix) both produce. */
  name: string;
  /** The longer name when one is only a prefix of the other. */
  longer?: string;
  /** Tenant ids of the first and second template that produce them. */
  firstTenant: string;
  secondTenant: string;
}

/** Tenant ids read by the path's hole states, in order of the holes (the first hole's id). */
function idsAlong(nfa: Nfa, path: Array<[string, number]>): string {
  const ids: string[] = [];
  for (const [ch, s] of path) {
    const h = nfa.hole.get(s);
    if (h === undefined) continue;
    ids[h] = (ids[h] ?? '') + ch;
  }
  return ids.join(' / ');
}

/**
 * Search the product of A and B for a word accepted by A that B accepts (`mode: 'equal'`) or can
 * extend to an accepted word (`'prefix'`, or `'proper-prefix'` for at least one more character).
 */
function intersect(a: Nfa, b: Nfa, mode: 'equal' | 'prefix' | 'proper-prefix'): TemplateOverlap | undefined {
  const bGoal = mode === 'equal' ? b.accepting : coReachable(b, mode === 'prefix' ? 0 : 1);
  const bLive = coReachable(b, 0);
  const aLive = coReachable(a, 0);
  const key = (x: number, y: number) => x * b.next.length + y;
  const prev = new Map<number, [number, string, number, number] | null>([[key(0, 0), null]]);
  const queue: Array<[number, number]> = [[0, 0]];
  for (let i = 0; i < queue.length; i++) {
    const [sa, sb] = queue[i] as [number, number];
    if (a.accepting.has(sa) && bGoal.has(sb)) {
      const pa: Array<[string, number]> = [];
      const pb: Array<[string, number]> = [];
      for (let k = key(sa, sb), cur: [number, number] = [sa, sb]; prev.get(k);) {
        const [pk, ch, x, y] = prev.get(k) as [number, string, number, number];
        pa.unshift([ch, cur[0]]);
        pb.unshift([ch, cur[1]]);
        cur = [x, y];
        k = pk;
      }
      const rest = mode === 'equal' ? [] : completion(b, sb, mode === 'proper-prefix');
      const name = pa.map(([c]) => c).join('');
      const longer = name + rest.map(([c]) => c).join('');
      return {
        name,
        ...(longer !== name ? { longer } : {}),
        firstTenant: idsAlong(a, pa),
        secondTenant: idsAlong(b, [...pb, ...rest]),
      };
    }
    for (const [ch, ta] of a.next[sa] as Map<string, number[]>) {
      const tb = (b.next[sb] as Map<string, number[]>).get(ch);
      if (!tb) continue;
      for (const x of ta) {
        if (!aLive.has(x)) continue;
        for (const y of tb) {
          if (!bLive.has(y)) continue;
          const k = key(x, y);
          if (prev.has(k)) continue;
          prev.set(k, [key(sa, sb), ch, sa, sb]);
          queue.push([x, y]);
        }
      }
    }
  }
  return undefined;
}

/** The literal text a template's names all begin with. */
function head(t: NameTemplate): string {
  const first = t.parts[0];
  return typeof first === 'string' ? first : '';
}

/** Cheap proof that no name of one is a prefix of (or equal to) a name of the other: their fixed beginnings already differ. */
function headsDiffer(a: NameTemplate, b: NameTemplate): boolean {
  const x = head(a);
  const y = head(b);
  return !x.startsWith(y) && !y.startsWith(x);
}

/** One `{tenant}` followed by a character no id contains: `u a v` is a prefix of `u b v` only when a = b. */
function selfDelimited(t: NameTemplate): boolean {
  const holes = t.parts.filter((p) => p === null).length;
  const after = t.parts[t.parts.indexOf(null) + 1];
  return holes === 1 && typeof after === 'string' && !/^[a-z0-9-]/.test(after);
}

export interface TemplateCollision {
  kind: 'table-name' | 'object-prefix';
  first: NameTemplate;
  second: NameTemplate;
  overlap: TemplateOverlap;
  message: string;
}

function describeOverlap(kind: TemplateCollision['kind'], a: NameTemplate, b: NameTemplate, o: TemplateOverlap): string {
  const who = (t: NameTemplate, id: string) => (t.parts.includes(null) ? `tenant "${id}" of ${t.label}` : t.label);
  if (kind === 'table-name')
    return `${a.label} and ${b.label} can name the same table "${o.name}": ${who(a, o.firstTenant)} and ${who(b, o.secondTenant)} would share it`;
  if (a === b)
    return `${a.label} gives one tenant a prefix of another's: "${o.name}" (tenant "${o.firstTenant}") is a prefix of "${o.longer ?? o.name}" (tenant "${o.secondTenant}"), so the first reaches the second's objects`;
  return `${a.label} and ${b.label} overlap: "${o.name}" (${who(a, o.firstTenant)}) ${o.longer ? `is a prefix of "${o.longer}"` : 'is also'} (${who(b, o.secondTenant)})`;
}

/** Longest tenant id the stack allows: 32, or less where `isoctl-<stack>-<id>` would pass IAM's 64. */
export function maxTenantIdLength(stack: string): number {
  return Math.max(1, Math.min(32, 64 - `isoctl-${stack}-`.length));
}

/** Every pair of table-name templates that can produce one name, and every pair of prefix templates of one bucket that can overlap. */
export function findTemplateCollisions(tables: NameTemplate[], prefixesByBucket: Map<string, NameTemplate[]>, maxIdLength: number): TemplateCollision[] {
  const out: TemplateCollision[] = [];
  const nfa = new Map<NameTemplate, Nfa>();
  const of = (t: NameTemplate) => {
    let n = nfa.get(t);
    if (!n) nfa.set(t, (n = compile(t.parts, maxIdLength)));
    return n;
  };
  for (let i = 0; i < tables.length; i++)
    for (let j = i + 1; j < tables.length; j++) {
      const a = tables[i] as NameTemplate;
      const b = tables[j] as NameTemplate;
      if (headsDiffer(a, b)) continue;
      const o = intersect(of(a), of(b), 'equal');
      if (o) out.push({ kind: 'table-name', first: a, second: b, overlap: o, message: describeOverlap('table-name', a, b, o) });
    }
  for (const list of prefixesByBucket.values()) {
    for (let i = 0; i < list.length; i++) {
      const a = list[i] as NameTemplate;
      const self = selfDelimited(a) ? undefined : intersect(of(a), of(a), 'proper-prefix');
      if (self) out.push({ kind: 'object-prefix', first: a, second: a, overlap: self, message: describeOverlap('object-prefix', a, a, self) });
      for (let j = i + 1; j < list.length; j++) {
        const b = list[j] as NameTemplate;
        if (headsDiffer(a, b)) continue;
        const o = intersect(of(a), of(b), 'prefix');
        if (o) {
          out.push({ kind: 'object-prefix', first: a, second: b, overlap: o, message: describeOverlap('object-prefix', a, b, o) });
          continue;
        }
        const r = intersect(of(b), of(a), 'prefix');
        if (r) out.push({ kind: 'object-prefix', first: b, second: a, overlap: r, message: describeOverlap('object-prefix', b, a, r) });
      }
    }
  }
  return out;
}

/** Split a template on `{tenant}` into literal parts and holes. */
export function templateParts(template: string): Array<string | null> {
  const out: Array<string | null> = [];
  template.split('{tenant}').forEach((lit, i) => {
    if (i > 0) out.push(null);
    if (lit) out.push(lit);
  });
  return out;
}
