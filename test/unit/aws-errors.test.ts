import { describe, expect, it } from 'vitest';
import { classifyAwsError } from '../../src/aws/errors.js';

const err = (name: string, message = '', status?: number) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

describe('classifyAwsError', () => {
  it.each([
    ['NoSuchEntity', 'not-found'],
    ['ResourceNotFoundException', 'not-found'],
    ['UserNotFoundException', 'not-found'],
    ['EntityAlreadyExists', 'already-exists'],
    ['GroupExistsException', 'already-exists'],
    ['Throttling', 'throttled'],
    ['ThrottlingException', 'throttled'],
    ['TooManyRequestsException', 'throttled'],
    ['ServiceUnavailable', 'throttled'],
    ['AccessDeniedException', 'access-denied'],
    ['ValidationError', 'invalid'],
    ['MalformedPolicyDocument', 'invalid'],
    ['InvalidParameterException', 'invalid'],
    ['DeleteConflict', 'conflict'],
    ['ConditionalCheckFailedException', 'conflict'],
    ['LimitExceeded', 'limit'],
    ['SomethingElse', 'other'],
  ])('%s -> %s', (name, expected) => {
    expect(classifyAwsError(err(name))).toBe(expected);
  });

  it('treats "Invalid principal in policy" as still propagating, not invalid', () => {
    expect(classifyAwsError(err('MalformedPolicyDocument', 'Invalid principal in policy: "AWS":"arn:aws:iam::1:role/x"'))).toBe('still-propagating');
  });

  it('treats Cognito not seeing a new role as still propagating', () => {
    expect(
      classifyAwsError(err('InvalidIdentityPoolConfigurationException', 'Invalid identity pool configuration. Check assigned IAM roles for this pool.')),
    ).toBe('still-propagating');
  });

  it('uses the HTTP status for unnamed server errors', () => {
    expect(classifyAwsError(err('UnknownError', '', 503))).toBe('throttled');
    expect(classifyAwsError(err('UnknownError', '', 429))).toBe('throttled');
    expect(classifyAwsError(err('UnknownError', '', 400))).toBe('other');
  });

  it('treats connection resets as retryable', () => {
    expect(classifyAwsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', name: 'Error' }))).toBe('throttled');
  });
});
