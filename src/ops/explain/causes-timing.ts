// Nothing denies now: the role is younger than AWS's propagation window, or the request details
// that would show the cause are unknown (then every cause they could hide is listed), or explain
// does not recognise the reason.
import { cause, type Cause } from './causes.js';
import { unknownRequestCauses } from './causes-request.js';
import { ago, PROPAGATION_WINDOW_MS, type Analysis } from './model.js';
import type { EvalResult } from '../../policy/index.js';

/** Adds to `found` (certain/likely) and returns the possible causes. */
export function nothingDeniesCauses(a: Analysis, now: EvalResult, found: Cause[]): Cause[] {
  const { facts, table, partitioned, userGranularity, sessionOrigin, itemAction, tenant, ownKey, allowedAttributes, kind, ageMs } = a;
  const possible: Cause[] = [];
  if (found.length === 0 || found.every((c) => c.id === 'not-isoctl-role' || c.id === 'trust-no-tag-session')) {
    if (ageMs !== undefined && ageMs < PROPAGATION_WINDOW_MS && now.decision === 'Allow')
      found.push(
        cause(
          'not-propagated',
          'likely',
          `the role was created ${ago(ageMs)} before the error; DynamoDB did not know it yet`,
          `IAM changes reach the other services with a delay (up to ~30 s). The role's policies allow this request now, and the role was ${ago(ageMs)} old at the time of the error: until DynamoDB sees a new role it allows nothing.`,
          {
            command: tenant ? `isoctl tenant create ${tenant} --wait data` : undefined,
            action:
              'Retry after a few seconds (isoctl answers 75 / Retry-After while a tenant converges); `--wait data` returns only once DynamoDB lets the tenant in.',
          },
        ),
      );
    else if (now.decision === 'Allow') {
      possible.push(
        ...unknownRequestCauses({ facts, table, partitioned, userGranularity, sessionOrigin, itemAction, tenant, ownKey, allowedAttributes, kind }),
      );
      const detailsKnown = possible.length === 0;
      found.push(
        cause(
          detailsKnown ? 'allowed-now' : 'undetermined',
          'possible',
          detailsKnown
            ? 'the role allows this request now'
            : 'the role allows a correct request of this tenant; the cause is in request details the message does not show',
          detailsKnown
            ? `Evaluated with the request details given (${facts.sources.join(', ')}), the role's policies allow it now: an IAM change (a repaired policy) had not reached DynamoDB yet, or the request was not the one described.`
            : `AWS's message names only the action and table. Pass the request (--request '<JSON input>') or its details (--key, --attributes, --no-projection, --principal-tag, --id-token) to tell the causes below apart.`,
          {
            command: tenant ? `isoctl tenant verify ${tenant}` : undefined,
            action: 'Check the tenant end to end with a probe identity, then compare the failing request with what the causes below require.',
          },
        ),
      );
    }
  }
  if (found.length === 0)
    found.push(
      cause(
        'undetermined',
        'possible',
        `the role denies this request (${now.reason ?? now.decision}) for a reason explain does not recognise`,
        now.unsupported
          ? `The policy uses a construct the evaluator does not support: ${now.unsupported}.`
          : `Decision ${now.decision}; deciding statements: ${now.decidedBy.map((s) => `${s.policy}#${s.index}${s.sid ? ` (${s.sid})` : ''}`).join(', ') || 'none'}.`,
        {
          command: tenant ? `isoctl tenant show ${tenant}` : undefined,
          action: 'Compare the role with what isoctl would deploy.',
        },
      ),
    );
  return possible;
}
