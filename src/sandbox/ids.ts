// Identifiers shaped like AWS's: role ids (AROA...), policy ids (ANPA...), access keys
// (AKIA... long-term, ASIA... temporary), secrets and session tokens.
import { randomBytes, randomUUID } from 'node:crypto';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomFrom(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

/** A 21-character IAM unique id with the given 4-letter prefix (AROA, ANPA, AIDA). */
export function iamUniqueId(prefix: 'AROA' | 'ANPA' | 'AIDA'): string {
  return prefix + randomFrom(ID_ALPHABET, 17);
}

/** A 20-character access key id: AKIA for long-term keys, ASIA for temporary ones. */
export function accessKeyId(prefix: 'AKIA' | 'ASIA'): string {
  return prefix + randomFrom(ID_ALPHABET, 16);
}

export function secretAccessKey(): string {
  return randomBytes(30).toString('base64').replace(/[+/=]/g, 'A').slice(0, 40);
}

export function sessionToken(): string {
  return `IQoJb3JpZ2luX2VjE${randomBytes(240).toString('base64')}`;
}

export function requestId(): string {
  return randomUUID();
}
