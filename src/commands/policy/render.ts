// `isoctl policy render <tenant>`: the documents isoctl would deploy for a tenant, offline.
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../../deps.js';
import { UsageError } from '../../errors.js';
import { assertTenantId } from '../../config/tenant-id.js';
import { PolicyError } from '../../policy/errors.js';
import type { LimitFinding, PolicyDocument } from '../../policy/index.js';
import type { CommandRunner } from '../runner.js';
import { collectScope, parseScopeFlag } from '../scope-flag.js';

export const POLICY_KINDS = ['trust', 'data', 'boundary', 'operator', 'admin'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

export interface RenderPolicyOptions {
  tenant: string;
  kind?: PolicyKind | undefined;
  scopes?: string[] | undefined;
  /** With kind "operator": only that part (1-based) of the operator policy as managed policies. */
  part?: number | undefined;
}

/** One managed policy of the operator policy when it does not fit one (6,144 characters). */
export interface OperatorPolicyPart {
  part: number;
  /** The name `isoctl sandbox operator` gives it (isoctl-<stack>-operator, -operator-2, ...). */
  suggestedName: string;
  chars: number;
  max: number;
  document: PolicyDocument;
}

export interface RenderPolicyResult {
  tenant: string;
  stack: string;
  scopes: string[];
  role: { name: string; arn: string; path: string; permissionsBoundary: string; inlinePolicyName: string; tags: Array<{ Key: string; Value: string }> };
  documents: Partial<Record<PolicyKind, PolicyDocument>>;
  /** Characters IAM counts (whitespace excluded) and the quota, per document. */
  sizes: Partial<Record<PolicyKind, { chars: number; max: number }>>;
  limits: LimitFinding[];
  /** Only when the operator policy is rendered and needs more than one managed policy: its parts, in order. */
  operatorParts?: OperatorPolicyPart[];
}

export function parseKind(value: string | undefined): PolicyKind | undefined {
  if (value === undefined) return undefined;
  if ((POLICY_KINDS as readonly string[]).includes(value)) return value as PolicyKind;
  throw new UsageError(`--kind must be one of ${POLICY_KINDS.join(', ')} (got ${JSON.stringify(value)})`, 'bad_flag');
}

export function parsePart(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,2}$/.test(value)) throw new UsageError(`--part must be a part number from 1 (got ${JSON.stringify(value)})`, 'bad_flag');
  return Number(value);
}

export async function runRenderPolicy(opts: RenderPolicyOptions, deps: Deps): Promise<RenderPolicyResult> {
  const config = await deps.config();
  const tenant = assertTenantId(opts.tenant, config.stack);
  const p = await import('../../policy/index.js');
  const role = p.buildTenantRole(config, tenant, opts.scopes);
  const all: Record<PolicyKind, () => PolicyDocument> = {
    trust: () => role.assumeRolePolicy,
    data: () => role.inlinePolicies[p.INLINE_POLICY_NAME] as PolicyDocument,
    boundary: () => p.buildBoundaryPolicy(config),
    operator: () => p.buildOperatorPolicy(config),
    admin: () => p.buildBoundaryAdminPolicy(config),
  };
  const max: Record<PolicyKind, number> = {
    trust: config.trustPolicyMaxChars,
    data: p.LIMITS.inlinePolicyCharsPerRole,
    boundary: p.LIMITS.managedPolicyChars,
    operator: p.LIMITS.managedPolicyChars,
    admin: p.LIMITS.managedPolicyChars,
  };
  const documents: RenderPolicyResult['documents'] = {};
  const sizes: RenderPolicyResult['sizes'] = {};
  for (const kind of opts.kind ? [opts.kind] : POLICY_KINDS) {
    const doc = all[kind]();
    // The exact wire form (stable key order), parsed back so JSON output shows that order.
    documents[kind] = JSON.parse(p.serializePolicy(doc)) as PolicyDocument;
    sizes[kind] = { chars: p.policySize(doc), max: max[kind] };
  }
  const parts = documents.operator ? operatorParts(config.stack, documents.operator, p) : undefined;
  if (opts.part !== undefined) {
    if (opts.kind !== 'operator') throw new UsageError('--part needs --kind operator', 'bad_flag');
    const count = parts?.length ?? 1;
    if (opts.part > count)
      throw new UsageError(
        `--part ${opts.part}: the operator policy of stack ${config.stack} is ${count === 1 ? 'one managed policy' : `${count} managed policies`}`,
        'bad_flag',
      );
  }
  return {
    tenant,
    stack: config.stack,
    scopes: role.scopes,
    role: {
      name: role.roleName,
      arn: role.arn,
      path: role.path,
      permissionsBoundary: role.permissionsBoundary ?? '',
      inlinePolicyName: p.INLINE_POLICY_NAME,
      tags: role.tags,
    },
    documents,
    sizes,
    limits: [...p.checkTenantLimits(config, tenant, role.scopes), ...(documents.operator ? p.checkOperatorPolicyLimits(config) : [])],
    ...(parts && parts.length > 1 ? { operatorParts: parts } : {}),
  };
}

/** The operator policy split into managed policies; undefined when a statement alone is too large (the limit finding says so). */
function operatorParts(stack: string, doc: PolicyDocument, p: typeof import('../../policy/index.js')): OperatorPolicyPart[] | undefined {
  let docs: PolicyDocument[];
  try {
    docs = p.splitOperatorPolicy(doc, p.LIMITS.managedPolicyChars);
  } catch (err) {
    if (err instanceof PolicyError) return undefined;
    throw err;
  }
  return docs.map((d, i) => ({
    part: i + 1,
    suggestedName: p.operatorPolicyName(stack, i + 1),
    chars: p.policySize(d),
    max: p.LIMITS.managedPolicyChars,
    document: JSON.parse(p.serializePolicy(d)) as PolicyDocument,
  }));
}

/** What `--kind K` prints: the document; the operator policy's parts as an array when it needs several; one part with --part. */
export function renderedDocument(r: RenderPolicyResult, kind: PolicyKind, part: number | undefined): PolicyDocument | PolicyDocument[] | undefined {
  if (kind !== 'operator') return r.documents[kind];
  if (part !== undefined) return r.operatorParts ? r.operatorParts[part - 1]?.document : r.documents.operator;
  return r.operatorParts ? r.operatorParts.map((x) => x.document) : r.documents.operator;
}

const TITLES: Record<PolicyKind, string> = {
  trust: 'trust policy',
  data: 'inline data-access policy',
  boundary: 'permissions boundary',
  operator: 'operator policy',
  admin: "administrator's policy for init's boundary step",
};

export function renderPolicyText(r: RenderPolicyResult, c: ChalkInstance, kind: PolicyKind | undefined, part?: number): string {
  if (kind) return JSON.stringify(renderedDocument(r, kind, part), null, 2);
  const lines = [`${c.bold(`tenant ${r.tenant}`)} (stack ${r.stack}, scopes ${r.scopes.join(', ')}): role ${r.role.arn}`];
  for (const k of POLICY_KINDS) {
    const doc = r.documents[k];
    if (!doc) continue;
    const size = r.sizes[k];
    const where =
      k === 'data'
        ? ` ${r.role.inlinePolicyName} of ${r.role.name}`
        : k === 'trust'
          ? ` of ${r.role.name}`
          : k === 'boundary'
            ? ` ${r.role.permissionsBoundary}`
            : '';
    if (k === 'operator' && r.operatorParts) {
      const n = r.operatorParts.length;
      lines.push(
        '',
        c.bold(`# ${TITLES[k]} (${size?.chars.toLocaleString('en-US')} characters: ${n} managed policies of at most ${size?.max.toLocaleString('en-US')})`),
      );
      for (const x of r.operatorParts)
        lines.push(
          '',
          c.bold(
            `# ${TITLES[k]}, part ${x.part} of ${n}, e.g. ${x.suggestedName} (${x.chars.toLocaleString('en-US')} of ${x.max.toLocaleString('en-US')} characters)`,
          ),
          JSON.stringify(x.document, null, 2),
        );
      continue;
    }
    lines.push(
      '',
      c.bold(`# ${TITLES[k]}${where} (${size?.chars.toLocaleString('en-US')} of ${size?.max.toLocaleString('en-US')} characters)`),
      JSON.stringify(doc, null, 2),
    );
  }
  return lines.join('\n');
}

export function registerRenderPolicy(policy: Command, runner: CommandRunner): void {
  policy
    .command('render')
    .description('print the documents isoctl would deploy for a tenant, offline, from the config')
    .argument('<tenant>', 'tenant id')
    .option('--kind <kind>', `only one document: ${POLICY_KINDS.join(', ')} (with --json: that document alone)`)
    .option('--scope <names>', 'scopes for the data policy (comma-separated or repeated; default: all)', collectScope)
    .option(
      '--part <n>',
      'with --kind operator: only managed policy N of the operator policy (when it exceeds 6,144 characters, --kind operator prints its parts as a JSON array)',
    )
    .action(async (id: string, o: { kind?: string; scope?: string[]; part?: string }, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const kind = parseKind(o.kind);
        const part = parsePart(o.part);
        const result = await runRenderPolicy({ tenant: id, kind, scopes: parseScopeFlag(o.scope), part }, deps);
        for (const l of result.limits) deps.io.warn(`${l.limit}: ${l.message}`);
        const parts = result.operatorParts;
        if (kind === 'operator' && parts && part === undefined)
          deps.io.info(
            `the operator policy is ${result.sizes.operator?.chars.toLocaleString('en-US')} characters, more than one managed policy holds (6,144): ` +
              `printed as a JSON array of ${parts.length} policies; attach all of them (e.g. ${parts.map((x) => x.suggestedName).join(', ')}); --part N prints one`,
          );
        deps.io.result(kind ? renderedDocument(result, kind, part) : result, (c) => renderPolicyText(result, c, kind, part));
      }),
    );
}
