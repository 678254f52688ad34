// The request side: with the role's state repaired, each request fact that differs from a correct
// request (session tags, partition key, attributes, Select, ReturnValues) is set right in turn; the
// fact whose correction allows it is the cause. And the causes that could hide in request details
// the message does not show.
import type { TableConfig } from '../../config/schema.js';
import { USER_ID_TAG } from '../../policy/index.js';
import { cause, type Cause } from './causes.js';
import type { RequestFacts } from './facts.js';
import { sameRecord, sameValue, type Analysis, type RequestFactor, type RequestModel, type SessionOrigin, type StateModel } from './model.js';

export function requestSideCauses(a: Analysis, fixed: StateModel): Cause[] {
  const { d, table, tenant, userSub, claimSub, sessionOrigin, mapTags, createTenant, allowedAttributes, userGranularity, ideal, actual, allows } = a;
  const found: Cause[] = [];
  if (!allows(actual, fixed)) {
    const factors: RequestFactor[] = ['sessionTags', 'leadingKeys', 'attributes', 'select', 'returnValues'];
    const differing = factors.filter((f) => (f === 'sessionTags' ? !sameRecord(actual.sessionTags, ideal.sessionTags) : !sameValue(actual[f], ideal[f])));
    let flipped = differing.filter((f) => allows({ ...actual, [f]: ideal[f] }, fixed));
    let certainty: 'certain' | 'likely' = 'certain';
    if (flipped.length === 0 && allows(ideal, fixed)) {
      flipped = differing;
      certainty = 'likely';
    }
    for (const f of flipped) {
      const c = requestCause(f, certainty, {
        actual,
        ideal,
        table,
        tenant,
        userSub,
        claimSub,
        sessionOrigin,
        mapTags,
        createTenant,
        allowedAttributes,
        action: d.action,
        userGranularity,
      });
      if (c) found.push(c);
    }
  }
  return found;
}

interface RequestCauseEnv {
  actual: RequestModel;
  ideal: RequestModel;
  table: TableConfig | undefined;
  tenant: string | undefined;
  userSub: string;
  claimSub: string | undefined;
  sessionOrigin: SessionOrigin;
  mapTags: Record<string, string> | undefined;
  createTenant: string | undefined;
  allowedAttributes: string[] | undefined;
  action: string;
  userGranularity: boolean;
}

function requestCause(f: RequestFactor, certainty: 'certain' | 'likely', env: RequestCauseEnv): Cause | undefined {
  const { actual, ideal, table } = env;
  const pk = table?.partitionKey ?? 'the partition key';
  if (f === 'sessionTags') {
    const have = actual.sessionTags[USER_ID_TAG];
    if (env.sessionOrigin === 'map-missing')
      return cause(
        'principal-tag-map-missing',
        'certain',
        `the identity pool does not map the token's sub to the principal tag ${USER_ID_TAG}`,
        `The tenant policy reads the partition key from \${aws:PrincipalTag/${USER_ID_TAG}}; the identity pool's attribute map for the user pool ${env.mapTags && Object.keys(env.mapTags).length > 0 ? `is ${JSON.stringify(env.mapTags)}` : 'is missing'}, so sessions carry no ${USER_ID_TAG} tag and no key matches.`,
        {
          command: 'isoctl init',
          action: `Run init: it sets the principal-tag map ${USER_ID_TAG} <- sub (the role's trust policy must also allow sts:TagSession).`,
        },
        1,
      );
    if (have === undefined)
      return cause(
        'principal-tag-missing',
        certainty,
        `the session has no principal tag ${USER_ID_TAG}`,
        env.sessionOrigin === 'token'
          ? `The id token has no "${env.mapTags?.[USER_ID_TAG] ?? 'sub'}" claim, so the identity pool cannot set ${USER_ID_TAG}; the policy's \${aws:PrincipalTag/${USER_ID_TAG}} then matches no key.`
          : `Without ${USER_ID_TAG} the policy's \${aws:PrincipalTag/${USER_ID_TAG}} matches no partition key.`,
        {
          command: 'isoctl init',
          action: `Check that the id token carries "sub", that the identity pool maps ${USER_ID_TAG} <- sub (isoctl init sets it), and that the credentials came from GetCredentialsForIdentity with that token.`,
        },
        1,
      );
    return cause(
      'principal-tag-wrong',
      certainty,
      `the session's principal tag ${USER_ID_TAG} is ${JSON.stringify(have)}, not the user's sub ${JSON.stringify(env.userSub)}`,
      `The partition key ${JSON.stringify(actual.leadingKeys?.[0] ?? env.userSub)} must equal \${aws:PrincipalTag/${USER_ID_TAG}}; the tag carries another value (credentials of another user, or a map from another claim).`,
      {
        command: 'isoctl init',
        action: `Use the credentials issued for this user's token; check that the identity pool maps ${USER_ID_TAG} <- sub.`,
      },
      1,
    );
  }
  if (f === 'leadingKeys') {
    const keys = actual.leadingKeys ?? [];
    if (keys.length === 0)
      return cause(
        'no-partition-key',
        certainty,
        `the request names no value of ${pk}`,
        `The tenant policy requires dynamodb:LeadingKeys (Null false): a Query needs "${pk} = :value" in KeyConditionExpression; GetItem/PutItem need ${pk} in the key.`,
        {
          action: `Name the partition: ${pk} = ${JSON.stringify(ideal.leadingKeys?.[0] ?? '<tenant id>')}.`,
        },
      );
    const others = keys.filter((k) => k !== ideal.leadingKeys?.[0]);
    return cause(
      'other-tenant-key',
      certainty,
      `the request reaches partition ${others.map((k) => JSON.stringify(k)).join(', ')}, not ${JSON.stringify(ideal.leadingKeys?.[0])}`,
      `dynamodb:LeadingKeys must all equal ${JSON.stringify(ideal.leadingKeys?.[0])} (ForAllValues:StringEquals); ${others.join(', ')} belong${others.length === 1 ? 's' : ''} to another ${env.userGranularity ? 'user' : 'tenant'}: isolation working as intended.`,
      {
        action: `Use the caller's own partition key ${JSON.stringify(ideal.leadingKeys?.[0])}; a request mixing partitions is denied as a whole.`,
      },
    );
  }
  if (f === 'attributes') {
    const bad = (actual.attributes ?? []).filter((a) => !(env.allowedAttributes ?? []).includes(a));
    return cause(
      'forbidden-attribute',
      certainty,
      `the request names attribute${bad.length === 1 ? '' : 's'} ${bad.join(', ')}, which the policy does not allow`,
      `Only ${env.allowedAttributes?.join(', ')} may be read or written on ${table?.name} (dynamodb:Attributes, ForAllValues:StringEquals).`,
      {
        command: env.createTenant,
        action: `Leave ${bad.join(', ')} out of the ProjectionExpression / item, or add ${bad.length === 1 ? 'it' : 'them'} to tables[].attributes in isoctl.json and run \`isoctl init\` and \`${env.createTenant ?? 'isoctl tenant create <id>'}\`.`,
      },
      2,
    );
  }
  if (f === 'select') {
    return cause(
      'no-projection',
      certainty,
      `the request reads ${actual.select === 'ALL_ATTRIBUTES' ? 'all attributes (no ProjectionExpression)' : `with Select ${actual.select}`} on a table with an attribute restriction`,
      `${table?.name} allows only ${env.allowedAttributes?.join(', ')}; a read must name them (ProjectionExpression, Select SPECIFIC_ATTRIBUTES), which the policy checks with StringEqualsIfExists dynamodb:Select.`,
      {
        action: `Add ProjectionExpression: "${env.allowedAttributes?.join(',')}" (or a subset).`,
      },
      2,
    );
  }
  return cause(
    'forbidden-attribute',
    certainty,
    `the write asks for ReturnValues ${actual.returnValues}`,
    `Under an attribute restriction ReturnValues ALL_OLD / ALL_NEW would return attributes the role may not read.`,
    {
      action: 'Use ReturnValues NONE, UPDATED_OLD or UPDATED_NEW.',
    },
  );
}

export function unknownRequestCauses(env: {
  facts: RequestFacts;
  table: TableConfig | undefined;
  partitioned: boolean;
  userGranularity: boolean;
  sessionOrigin: string;
  itemAction: boolean;
  tenant: string | undefined;
  ownKey: string | undefined;
  allowedAttributes: string[] | undefined;
  kind: string | undefined;
}): Cause[] {
  const out: Cause[] = [];
  const { facts, table } = env;
  if (env.userGranularity && env.sessionOrigin === 'assumed')
    out.push(
      cause(
        'principal-tag-missing',
        'possible',
        `the session may lack the principal tag ${USER_ID_TAG}, or carry a wrong value`,
        `The policy compares the partition key with \${aws:PrincipalTag/${USER_ID_TAG}}, set from the token's sub. Check the id token has "sub" and the credentials came from that token (--id-token / --principal-tag tell).`,
        {
          command: 'isoctl init',
          action: `Check the token, the identity pool's attribute map (${USER_ID_TAG} <- sub; isoctl init sets it) and the principal tag in the policy.`,
        },
        1,
      ),
    );
  if (env.allowedAttributes && (env.kind === 'read' || env.kind === 'scan') && facts.select === undefined && facts.attributes === undefined)
    out.push(
      cause(
        'no-projection',
        'possible',
        'the request may have no ProjectionExpression',
        `${table?.name} restricts attributes to ${env.allowedAttributes.join(', ')}: a read without ProjectionExpression is denied (--no-projection / --attributes tell).`,
        {
          action: `Add ProjectionExpression: "${env.allowedAttributes.join(',')}" (or a subset).`,
        },
        2,
      ),
    );
  if (env.allowedAttributes && facts.attributes === undefined)
    out.push(
      cause(
        'forbidden-attribute',
        'possible',
        'the request may name an attribute the policy does not allow',
        `Only ${env.allowedAttributes.join(', ')} are allowed on ${table?.name}.`,
        {
          action: 'Name only allowed attributes in ProjectionExpression / the item.',
        },
        2,
      ),
    );
  if (env.partitioned && env.itemAction && facts.leadingKeys === undefined)
    out.push(
      cause(
        'other-tenant-key',
        'possible',
        `the request may name another partition than ${JSON.stringify(env.ownKey)}, or none`,
        `Every partition key value of the request must equal ${JSON.stringify(env.ownKey)} (--key / --request tell).`,
        {
          action: `Use ${table?.partitionKey} = ${JSON.stringify(env.ownKey)}.`,
        },
      ),
    );
  return out;
}
