// Reads an AccessDenied message as AWS, the SDKs, the AWS CLI or a log line print it, e.g.
//   User: arn:aws:sts::123456789012:assumed-role/isoctl-prod-acme/CognitoIdentityCredentials is not
//   authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:eu-central-1:123456789012:table/Orders
//   because no identity-based policy allows the dynamodb:Query action
// Tolerates prefixes ("An error occurred (AccessDeniedException) when calling ..."), line breaks,
// shell continuations (" \" at a line end) and spaces that wrapping put inside an ARN. Pure.
import { UsageError } from '../../errors.js';

/** Which policy type AWS says refused the request. */
export type DenialKind =
  | 'no-identity-allow'
  | 'no-boundary-allow'
  | 'explicit-deny-identity'
  | 'explicit-deny-boundary'
  | 'no-session-policy-allow'
  | 'explicit-deny-scp'
  | 'no-resource-policy-allow'
  | 'unstated';

export interface ParsedDenial {
  /** The message as it was read (normalised whitespace). */
  message: string;
  principalArn: string;
  principalType: 'assumed-role' | 'role' | 'user' | 'other';
  accountId: string | undefined;
  /** For an assumed-role session: the role's name (the ARN carries no path). */
  roleName: string | undefined;
  sessionName: string | undefined;
  action: string;
  resource: string;
  region: string | undefined;
  /** DynamoDB: the table (and index) the resource names. */
  table: string | undefined;
  index: string | undefined;
  /** S3: bucket and object key of the resource. */
  bucket: string | undefined;
  objectKey: string | undefined;
  denial: DenialKind;
  /** The reason text after "because" / "with", as AWS wrote it. */
  reasonText: string | undefined;
}

/** Undoes what terminals, shells and log wrappers do to a one-line message. */
export function normalizeMessage(text: string): string {
  return (
    text
      // shell-style continuation: "... \" + newline
      .replace(/[ \t]*\\[ \t]*\r?\n/g, ' ')
      .replace(/\s+/g, ' ')
      // ARNs never contain spaces: wrapping after a "/" or ":" inside one is undone
      .replace(/(arn:[^\s]*[/:])\s+(?=[\w.@+=,-])/g, '$1')
      .trim()
  );
}

const DENIAL_PATTERNS: Array<[RegExp, DenialKind]> = [
  [/because no identity-based policy allows/i, 'no-identity-allow'],
  [/because no permissions boundary allows/i, 'no-boundary-allow'],
  [/with an explicit deny in an identity-based policy/i, 'explicit-deny-identity'],
  [/with an explicit deny in a permissions boundary/i, 'explicit-deny-boundary'],
  [/because no session policy allows/i, 'no-session-policy-allow'],
  [/with an explicit deny in a service control policy/i, 'explicit-deny-scp'],
  [/because no resource-based policy allows/i, 'no-resource-policy-allow'],
];

const CORE =
  /(?:User:\s*)?(arn:[^\s]+)\s+is not authorized to perform:?\s+([\w-]+:[\w*-]+)(?:\s+on resource:?\s+["']?(arn:[^\s"']+|\S+))?(?:\s+((?:because|with)\b[^(]*))?/i;

/** Parses the first AccessDenied sentence in `text`; UsageError (exit 2) when there is none. */
export function parseAccessDenied(text: string): ParsedDenial {
  const message = normalizeMessage(text);
  const start = message.search(/(?:User:\s*)?arn:[^\s]+\s+is not authorized to perform/i);
  if (start < 0)
    throw new UsageError(
      'no AccessDenied message found: expected text like "User: arn:aws:sts::<account>:assumed-role/<role>/<session> is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:... because ..."',
      'not_access_denied',
    );
  const m = CORE.exec(message.slice(start));
  if (!m) throw new UsageError(`cannot read the AccessDenied message: ${message.slice(start, start + 200)}`, 'not_access_denied');
  const principalArn = trimTrailing(m[1] as string);
  const action = m[2] as string;
  const resource = m[3] ? trimTrailing(m[3]) : '*';
  const reasonText = m[4]?.replace(/[.\s]+$/, '');
  const denial = DENIAL_PATTERNS.find(([re]) => re.test(reasonText ?? ''))?.[1] ?? 'unstated';

  const fields = principalArn.split(':');
  const accountId = fields[4] && /^\d{12}$/.test(fields[4]) ? fields[4] : undefined;
  const rest = fields.slice(5).join(':');
  let principalType: ParsedDenial['principalType'] = 'other';
  let roleName: string | undefined;
  let sessionName: string | undefined;
  const assumed = /^assumed-role\/([^/]+)\/(.+)$/.exec(rest);
  if (fields[2] === 'sts' && assumed) {
    principalType = 'assumed-role';
    roleName = assumed[1];
    sessionName = assumed[2];
  } else if (fields[2] === 'iam' && rest.startsWith('role/')) {
    principalType = 'role';
    roleName = rest.split('/').pop();
  } else if (fields[2] === 'iam' && rest.startsWith('user/')) principalType = 'user';

  const r = resource.split(':');
  const region = r[0] === 'arn' && r[3] ? r[3] : undefined;
  let table: string | undefined;
  let index: string | undefined;
  let bucket: string | undefined;
  let objectKey: string | undefined;
  if (r[0] === 'arn' && r[2] === 'dynamodb') {
    const t = /^table\/([^/]+)(?:\/index\/([^/]+))?/.exec(r.slice(5).join(':'));
    table = t?.[1];
    index = t?.[2];
  } else if (r[0] === 'arn' && r[2] === 's3') {
    const path = r.slice(5).join(':');
    const slash = path.indexOf('/');
    bucket = slash < 0 ? path : path.slice(0, slash);
    objectKey = slash < 0 ? undefined : path.slice(slash + 1);
  }
  return {
    message: message.slice(start),
    principalArn,
    principalType,
    accountId,
    roleName,
    sessionName,
    action,
    resource,
    region,
    table,
    index,
    bucket,
    objectKey,
    denial,
    reasonText,
  };
}

function trimTrailing(s: string): string {
  return s.replace(/[.,;)"'\]]+$/, '');
}
