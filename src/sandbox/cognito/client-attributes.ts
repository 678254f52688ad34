// Which user attributes an app client may read (into ID tokens) and write (UpdateUserAttributes
// with the user's access token). Administrators' calls (Admin*) are not limited by either.
import type { ClientRecord } from './state.js';

/**
 * Unset ReadAttributes is AWS's default set: the standard attributes plus email_verified and
 * phone_number_verified, and no custom attribute (botocore, CreateUserPoolClientRequest
 * .ReadAttributes). Developer-only attributes never.
 */
export function clientCanRead(client: ClientRecord, name: string): boolean {
  if (name.startsWith('dev:')) return false;
  if (client.ReadAttributes && client.ReadAttributes.length > 0) return client.ReadAttributes.includes(name);
  return !name.startsWith('custom:');
}

/**
 * Unset WriteAttributes is AWS's default set: the standard attributes (botocore,
 * CreateUserPoolClientRequest.WriteAttributes), so no custom attribute; the *_verified flags are
 * set by verification, not by the user.
 */
export function clientCanWrite(client: ClientRecord, name: string): boolean {
  if (name.startsWith('dev:') || name === 'sub') return false;
  if (client.WriteAttributes && client.WriteAttributes.length > 0) return client.WriteAttributes.includes(name);
  return !name.startsWith('custom:') && !name.endsWith('_verified');
}
