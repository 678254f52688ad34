// RSA signing keys kept in the state sections as JWKs. Imported KeyObjects are cached by kid,
// so signing and verifying do not re-parse the JWK on every call.
import { createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCb, randomUUID, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPair = promisify(generateKeyPairCb);

/** A signing key as persisted: private and public JWK (RS256). */
export interface StoredKey {
  kid: string;
  privateJwk: Record<string, unknown>;
  publicJwk: { kty: string; n: string; e: string; kid: string; alg: 'RS256'; use: 'sig' };
}

export async function newSigningKey(): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const kid = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64');
  const pub = publicKey.export({ format: 'jwk' });
  return {
    kid,
    privateJwk: privateKey.export({ format: 'jwk' }) as Record<string, unknown>,
    publicJwk: { alg: 'RS256', e: String(pub.e), kid, kty: 'RSA', n: String(pub.n), use: 'sig' },
  };
}

const privateCache = new Map<string, KeyObject>();
const publicCache = new Map<string, KeyObject>();

export function privateKeyOf(key: StoredKey): KeyObject {
  let k = privateCache.get(key.kid);
  if (!k) {
    k = createPrivateKey({ key: key.privateJwk as never, format: 'jwk' });
    privateCache.set(key.kid, k);
  }
  return k;
}

export function publicKeyOf(key: StoredKey): KeyObject {
  let k = publicCache.get(key.kid);
  if (!k) {
    k = createPublicKey({ key: { kty: key.publicJwk.kty, n: key.publicJwk.n, e: key.publicJwk.e } as never, format: 'jwk' });
    publicCache.set(key.kid, k);
  }
  return k;
}

export function jwksDocument(keys: StoredKey[]): string {
  return JSON.stringify({ keys: keys.map((k) => k.publicJwk) });
}
