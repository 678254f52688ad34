// The AWS side: with a correct request of the tenant, does the role's state deny it? Each part
// of the state (inline policies, boundary, role tags) is replaced in turn by what isoctl would
// deploy; the part whose replacement turns the answer into Allow is the cause. Without a config
// to compare with, it says which policy type refuses.
import { uniqueSorted } from '../../policy/actions.js';
import { INLINE_POLICY_NAME, TENANT_PIN_TAG, policiesEqual, resolveScopes, type EvalResult, type PolicyDocument } from '../../policy/index.js';
import type { StackConfig } from '../../config/schema.js';
import { scopesFromTag } from '../../tenant/desired.js';
import { TAG_SCOPES } from '../../tenant/names.js';
import { cause, type Cause } from './causes.js';
import { asDoc, COGNITO_SUB_VARIABLE, docText, type Analysis, type RoleSnapshot, type StateComponent, type StateModel } from './model.js';

/** The state causes, and the state with them repaired (what the request side is judged against). */
export function stateSideCauses(a: Analysis): { found: Cause[]; fixed: StateModel } {
  const { d, config, role, tenant, ideal, observed, desired, desiredBoundaryArn, run, allows } = a;
  const found: Cause[] = [];
  let fixed: StateModel = observed;
  if (desired && !allows(ideal, observed)) {
    const want = desired;
    if (!allows(ideal, want)) {
      const inScopes = Object.entries(config?.scopes ?? {})
        .filter(([, actions]) => actions.some((a) => a.toLowerCase() === d.action.toLowerCase()))
        .map(([s]) => s);
      const tenantScopes = config ? (scopesFromTag(config, role.tags[TAG_SCOPES]) ?? resolveScopes(config)) : [];
      found.push(
        cause(
          'action-not-in-scope',
          'certain',
          `${d.action} is not in tenant ${tenant}'s scopes (${tenantScopes.join(', ')})`,
          inScopes.length > 0
            ? `The config grants ${d.action} in scope ${inScopes.join(', ')}, which tenant ${tenant} was not given.`
            : `No scope in the config contains ${d.action}, so no tenant role is ever allowed it.`,
          inScopes.length > 0
            ? {
                command: `isoctl tenant create ${tenant} --scope ${uniqueSorted([...tenantScopes, inScopes[0] as string]).join(',')}`,
                action: `Give the tenant a scope that contains ${d.action}.`,
              }
            : {
                action: `Add ${d.action} to a scope in isoctl.json ("scopes"), then run \`isoctl init\` and \`isoctl tenant create ${tenant} --scope <scope>\`.`,
              },
        ),
      );
    } else {
      const swaps: Array<[StateComponent, StateModel]> = [
        ['identity', { ...observed, identity: want.identity }],
        ['boundary', { ...observed, boundary: want.boundary }],
        ['roleTags', { ...observed, roleTags: want.roleTags }],
      ];
      let flipped = swaps.filter(([, s]) => allows(ideal, s)).map(([c]) => c);
      let certainty: 'certain' | 'likely' = 'certain';
      if (flipped.length === 0) {
        certainty = 'likely';
        flipped = (['identity', 'boundary', 'roleTags'] as StateComponent[]).filter((c) => docText(observed[c]) !== docText(want[c]));
        fixed = want;
      } else {
        fixed = { ...observed };
        for (const c of flipped) (fixed as unknown as Record<string, unknown>)[c] = want[c];
      }
      const deny = run(ideal, observed);
      for (const c of flipped) found.push(stateCause(c, certainty, { role, tenant, config, deny, desiredBoundaryArn, desiredBoundary: want.boundary }));
    }
  }

  if (!desired && !allows(ideal, observed)) {
    // No config to compare with: say which policy type refuses.
    const deny = run(ideal, observed);
    if (deny.decision === 'ExplicitDeny')
      found.push(
        cause(
          'explicit-deny',
          'certain',
          `an explicit Deny refuses it (${deny.decidedBy.map((s) => `${s.policy} ${s.sid ?? `statement ${s.index}`}`).join(', ')})`,
          deny.reason ?? 'explicit deny',
          { action: 'Remove or narrow the Deny statement.' },
        ),
      );
    else if (observed.boundary && allows(ideal, { ...observed, boundary: undefined }))
      found.push(
        cause(
          'boundary',
          'certain',
          'the permissions boundary does not allow it',
          `The inline policies allow the request; the boundary ${role.boundaryArn} does not.`,
          { action: 'Widen the boundary (isoctl init, with a config) or use an allowed request.' },
        ),
      );
  }
  return { found, fixed };
}

interface StateCauseEnv {
  role: RoleSnapshot;
  tenant: string | undefined;
  config: StackConfig | undefined;
  deny: EvalResult;
  desiredBoundaryArn: string | undefined;
  desiredBoundary: PolicyDocument | undefined;
}

function stateCause(c: StateComponent, certainty: 'certain' | 'likely', env: StateCauseEnv): Cause {
  const { role, tenant } = env;
  const fixCmd = tenant ? `isoctl tenant create ${tenant}` : undefined;
  if (c === 'identity') {
    const names = Object.keys(role.inlinePolicies);
    if (!(INLINE_POLICY_NAME in role.inlinePolicies))
      return cause(
        'inline-policy-missing',
        certainty,
        `the role has no inline policy ${INLINE_POLICY_NAME}`,
        `${role.name} carries ${names.length === 0 ? 'no inline policy at all' : `only ${names.join(', ')}`}: a half-created tenant (a create stopped after CreateRole), or the policy was deleted by hand.`,
        {
          command: fixCmd,
          action: 'Re-run the create: it puts the missing policy and waits until DynamoDB sees it.',
        },
      );
    const sub = names.find((n) => docText(role.inlinePolicies[n]).includes(COGNITO_SUB_VARIABLE));
    if (sub)
      return cause(
        'cognito-sub-variable',
        certainty,
        `inline policy ${sub} uses \${${COGNITO_SUB_VARIABLE}}`,
        `\${${COGNITO_SUB_VARIABLE}} is the identity pool's identity id (<region>:<uuid>), not the user pool's sub: it never equals a partition key written with the user's sub. isoctl maps the token's sub to the principal tag userid and uses \${aws:PrincipalTag/userid} (granularity "user").`,
        { command: fixCmd, action: 'Restore the policy isoctl generates (set "granularity": "user" in isoctl.json for per-user partitions).' },
        3,
      );
    if (env.deny.decision === 'ExplicitDeny' && env.deny.decidedBy.some((s) => s.policy.startsWith('identity')))
      return cause(
        'explicit-deny',
        certainty,
        `an inline policy of ${role.name} denies it explicitly (${env.deny.decidedBy.map((s) => s.sid ?? `statement ${s.index}`).join(', ')})`,
        'isoctl never writes Deny statements into tenant policies: someone added one by hand.',
        {
          command: fixCmd,
          action: 'Remove the statement, or re-run the create to restore the generated policy.',
        },
      );
    return cause(
      'inline-policy-edited',
      certainty,
      `the inline policy of ${role.name} differs from what the config gives`,
      `${names.join(', ')} no longer matches the policy isoctl generates for tenant ${tenant} (edited by hand, or the config changed since the tenant was created).`,
      {
        command: fixCmd,
        action: 'Re-run the create: it rewrites the policy from the config.',
      },
    );
  }
  if (c === 'boundary') {
    if (env.desiredBoundaryArn && role.boundaryArn !== env.desiredBoundaryArn)
      return cause(
        'boundary-other',
        certainty,
        `the role's permissions boundary is ${role.boundaryArn ?? 'missing'}, not the stack's`,
        `isoctl puts ${env.desiredBoundaryArn} on every tenant role; ${role.boundaryArn} does not allow this request.`,
        {
          command: fixCmd,
          action: "Re-run the create: it puts the stack's boundary back.",
        },
      );
    if (env.desiredBoundary && !policiesEqual(env.desiredBoundary, asDoc(role.boundaryDocument)))
      return cause(
        'boundary-outdated',
        certainty,
        "the stack's permissions boundary is older than the config",
        `The boundary's default version does not allow ${env.deny.reason ? 'this request' : 'it'}: the config changed (a table, attribute or scope was added) but \`isoctl init\` did not run since.`,
        {
          command: 'isoctl init',
          action: 'Run init: it makes the boundary from the config a new default version.',
        },
      );
    return cause(
      'boundary',
      certainty,
      'the permissions boundary does not allow it',
      `The inline policy allows the request; the boundary ${role.boundaryArn} does not.`,
      { command: fixCmd, action: 'Re-run the create and `isoctl init`.' },
    );
  }
  const have = role.tags[TENANT_PIN_TAG];
  return cause(
    'tenant-tag',
    certainty,
    have === undefined ? `the role has no ${TENANT_PIN_TAG} tag` : `the role's ${TENANT_PIN_TAG} tag is ${JSON.stringify(have)}, not ${JSON.stringify(tenant)}`,
    `The stack's boundary allows only the partitions named by the role's own tag \${aws:PrincipalTag/${TENANT_PIN_TAG}}; with the tag ${have === undefined ? 'missing' : 'wrong'} it allows none of tenant ${tenant}'s.`,
    {
      command: fixCmd,
      action: 'Re-run the create: it restores the tags.',
    },
  );
}
