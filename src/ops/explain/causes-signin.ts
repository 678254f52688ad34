// Static state that breaks sign-in for per-user roles: a trust policy without sts:TagSession
// (reported alongside whatever else denies).
import { USER_ID_TAG, evaluateTrust } from '../../policy/index.js';
import { cause, type Cause } from './causes.js';
import { asDoc, type Analysis } from './model.js';

export function signInCauses(a: Analysis): Cause[] {
  const { config, role, userGranularity, userSub, createTenant } = a;
  const found: Cause[] = [];
  if (userGranularity) {
    const trust = evaluateTrust(asDoc(role.trustPolicy), {
      action: 'sts:TagSession',
      principal: { Federated: 'cognito-identity.amazonaws.com' },
      context: {
        'cognito-identity.amazonaws.com:aud': config?.identityPoolId,
        'cognito-identity.amazonaws.com:amr': ['authenticated'],
        'aws:TagKeys': [USER_ID_TAG],
        [`aws:RequestTag/${USER_ID_TAG}`]: userSub,
      },
    });
    if (trust.decision !== 'Allow')
      found.push(
        cause(
          'trust-no-tag-session',
          'certain',
          `the trust policy of ${role.name} does not allow sts:TagSession`,
          'Cognito sets the userid principal tag as a session tag; without sts:TagSession in the trust policy it cannot, and sign-in fails or the tag is missing.',
          {
            command: createTenant,
            action: 'Restore the trust policy isoctl generates (it allows sts:TagSession for the userid tag only).',
          },
          1,
        ),
      );
  }
  return found;
}
