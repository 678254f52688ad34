import { describe, expect, it } from 'vitest';
import { AwsCallError, awsErrorReason, classifyAwsError, describeStrayAwsError } from '../../src/aws/errors.js';

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

describe('finer reasons, read from AWS messages in src/aws only', () => {
  it.each([
    ['NotAuthorizedException', 'Unable to resolve a role for the identity', 'role-mapping-unresolved'],
    ['NotAuthorizedException', 'Ambiguous role resolution: no rule matched', 'role-mapping-unresolved'],
    ['AccessDeniedException', 'User is not authorized to perform iam:PassRole', undefined],
    ['DeleteConflict', 'Cannot delete entity, must detach all policies first.', 'attached-policies'],
    ['DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.', 'attached-policies'],
    ['DeleteConflict', 'Cannot delete entity, must delete policies first.', undefined],
    ['CredentialsProviderError', 'Could not load credentials from any providers', 'no-credentials'],
    ['NotAuthorizedException', 'Incorrect username or password.', 'password-replaced'],
    ['NotAuthorizedException', 'User is disabled.', undefined],
    ['NotAuthorizedException', 'Password attempts exceeded', undefined],
  ])('%s "%s" -> %s', (name, message, reason) => {
    const e = err(name, message);
    expect(awsErrorReason(e)).toBe(reason);
    expect(new AwsCallError('svc', 'Op', e).reason).toBe(reason);
  });

  it('summary is "Code: message"', () => {
    expect(new AwsCallError('iam', 'DeleteRole', err('DeleteConflict', 'must detach')).summary).toBe('DeleteConflict: must detach');
  });

  it('describes errors that never went through an adapter: SDK errors and sockets, not other errors', () => {
    expect(describeStrayAwsError(err('ThrottlingException', 'Rate exceeded', 400))).toEqual({
      code: 'ThrottlingException',
      message: 'AWS ThrottlingException: Rate exceeded',
      retryable: true,
    });
    expect(describeStrayAwsError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toMatchObject({ retryable: true });
    expect(describeStrayAwsError(err('AccessDenied', 'no', 403))).toMatchObject({ code: 'AccessDenied', retryable: false });
    expect(describeStrayAwsError(new TypeError('x is undefined'))).toBeUndefined();
  });
});
