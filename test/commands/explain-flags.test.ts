// explain's facts layer names the malformed input; the command names the flag (issue #10: no flag
// names below src/commands). In process, through src/cli.ts's main with test streams.
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { testStreams } from './test-streams.js';

const DENIED =
  'User: arn:aws:sts::000000000000:assumed-role/isoctl-js-acme/CognitoIdentityCredentials is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:us-east-1:000000000000:table/isoctl-js-data because no identity-based policy allows the dynamodb:Query action';
const IAM_DENIED = 'User: arn:aws:iam::000000000000:user/alice is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::000000000000:role/x';

async function explain(...flags: string[]) {
  const t = testStreams();
  // No ./isoctl.json in the repo: explain warns and goes on; nothing reaches AWS because the flags are refused first.
  const code = await main(['--json', 'explain', ...flags], t.streams);
  return { code, error: t.json().error as { code: string; message: string } };
}

describe('explain: malformed facts are usage errors naming their flag', () => {
  it.each([
    [[DENIED, '--id-token', 'not-a-jwt'], '--id-token: not a JWT (three base64url parts separated by dots)'],
    [[DENIED, '--id-token', 'a.bm90IGpzb24.c'], '--id-token: the payload is not a JSON object'],
    [[DENIED, '--request', '{oops'], /^--request: not JSON \(/],
    [[DENIED, '--request', '[1]'], /^--request: expected the request input object/],
    [[IAM_DENIED, '--request', '{}'], '--request: applies to DynamoDB requests only; the message names iam:ListRoles'],
    [[DENIED, '--select', 'some'], '--select: expected one of ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES, SPECIFIC_ATTRIBUTES, COUNT'],
    [[DENIED, '--principal-tag', 'novalue'], '--principal-tag: "novalue" is not key=value'],
  ])('%j', async (args, message) => {
    const r = await explain(...args);
    expect(r.code).toBe(2);
    expect(r.error.code).toBe('bad_flag');
    if (typeof message === 'string') expect(r.error.message).toBe(message);
    else expect(r.error.message).toMatch(message);
  });

  it('--no-principal-tags with --principal-tag is a flag conflict, refused before anything is read', async () => {
    const r = await explain(DENIED, '--no-principal-tags', '--principal-tag', 'userid=u1');
    expect(r).toEqual({
      code: 2,
      error: expect.objectContaining({ code: 'flag_conflict', message: '--no-principal-tags and --principal-tag cannot be combined' }),
    });
  });
});
