// Identity-provider names. A user pool is named `cognito-idp.<region>.amazonaws.com/<poolId>` in AWS;
// the sandbox's tokens carry the issuer `<endpoint>/<poolId>`, whose port changes from run to run, so
// both spellings (with or without the scheme) are reduced to the AWS form before comparing.

const AWS_FORM = /^(?:https:\/\/)?cognito-idp\.([a-z0-9-]+)\.amazonaws\.com\/([\w-]+_[0-9a-zA-Z]+)$/;
const LOOPBACK_FORM = /^(?:https?:\/\/)?(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?\/([\w-]+_[0-9a-zA-Z]+)$/;

/** The user-pool id a provider name designates, or undefined for other providers. */
export function userPoolOfProvider(name: string): string | undefined {
  const aws = AWS_FORM.exec(name);
  if (aws) return aws[2];
  const loop = LOOPBACK_FORM.exec(name);
  return loop ? loop[1] : undefined;
}

export function awsProviderName(userPoolId: string): string {
  const region = userPoolId.split('_')[0]!;
  return `cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}

/** The provider name in AWS's form (other providers unchanged). */
export function canonicalProvider(name: string): string {
  const pool = userPoolOfProvider(name);
  return pool ? awsProviderName(pool) : name;
}

/** Splits a role-mapping key `<provider>:<clientId>`; the client id has no ':'. */
export function splitMappingKey(key: string): { provider: string; clientId?: string } {
  const i = key.lastIndexOf(':');
  if (i > 0) {
    const provider = key.slice(0, i);
    const clientId = key.slice(i + 1);
    if (userPoolOfProvider(provider) && /^[\w+]+$/.test(clientId)) return { provider: canonicalProvider(provider), clientId };
  }
  return { provider: canonicalProvider(key) };
}

export function canonicalMappingKey(key: string): string {
  const { provider, clientId } = splitMappingKey(key);
  return clientId === undefined ? provider : `${provider}:${clientId}`;
}

/** Whether a token issuer names `userPoolId` (the sandbox's endpoint, another loopback port, or AWS's form). */
export function issuerMatchesPool(iss: unknown, userPoolId: string, endpoint: string): boolean {
  if (typeof iss !== 'string') return false;
  if (iss === `${endpoint.replace(/\/+$/, '')}/${userPoolId}`) return true;
  return userPoolOfProvider(iss) === userPoolId && (iss.startsWith('http://') || iss.startsWith('https://'));
}
