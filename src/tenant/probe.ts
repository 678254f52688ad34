// The probe identity: a user of the tenant in the user pool that signs in the way the tenant's
// users do (user pool -> identity pool -> temporary credentials) and tries DynamoDB reads that
// must succeed (its own partition) and reads that must be denied (another tenant's partition,
// mixed keys, a forbidden attribute, another tenant's silo table).
//
// The password is random, set right before signing in, and never printed or stored. The
// temporary credentials live for one probe: fresh ones each run, never shared between tenants.
import { randomBytes, randomUUID } from 'node:crypto';
import type { AwsApis, KeyValue, TableInfo } from '../aws/apis.js';
import { AwsCallError, cognitoProviderName } from '../aws/apis.js';
import { retry, type RetryClock } from '../aws/retry.js';
import type { StackConfig, TableConfig } from '../config/schema.js';
import { scopeRoleName, tenantRoleArn, tenantRoleName } from '../policy/index.js';
import { probeUsername } from './names.js';
import { s3ProbeChecks } from './probe-s3.js';
import { NotYet, Wrong } from './wait.js';

export type ProbeExpectation = 'allow' | 'deny';
export type ProbeOutcome = 'allowed' | 'denied' | 'error' | 'skipped';

export interface ProbeCheck {
  name:
    | 'own-partition'
    | 'other-partition'
    | 'mixed-keys'
    | 'forbidden-attribute'
    | 'own-silo-table'
    | 'other-silo-table'
    | 'own-prefix'
    | 'other-prefix'
    | 'bucket-root-list';
  action: string;
  table: string;
  /** S3 checks: the bucket (`table` names it too). */
  bucket?: string | undefined;
  /** The partition key value(s) asked for. */
  keys: string[];
  expect: ProbeExpectation;
  outcome: ProbeOutcome;
  ok: boolean;
  detail?: string | undefined;
}

export interface ProbeResult {
  tenant: string;
  against: string;
  /** The role the credentials were issued for (from STS GetCallerIdentity). */
  roleArn: string;
  identityId: string;
  /** The access key id of the probe's temporary credentials (never the secret). */
  accessKeyId: string;
  checks: ProbeCheck[];
  /** Own reads allowed and every cross-tenant read denied. */
  isolated: boolean;
}

export class ProbeError extends Error {
  constructor(
    message: string,
    readonly stage: 'user' | 'sign-in' | 'identity' | 'credentials' | 'role',
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'ProbeError';
  }
}

/** Sign-in attempts when another run keeps replacing the probe's password (see signIn). */
const SIGN_IN_ATTEMPTS = 6;

const passwordReplaced = (err: unknown): boolean => err instanceof AwsCallError && err.reason === 'password-replaced';

/** A password meeting Cognito's default policy (upper, lower, digit, symbol, >= 8). */
export function randomPassword(): string {
  return `${randomBytes(18).toString('base64url')}aA1!`;
}

function decodeClaims(idToken: string): Record<string, unknown> {
  const part = idToken.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** One probe session per tenant and command: signs in once, then every `run()` gets fresh credentials. */
export interface HeldCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export class ProbeSession {
  private token: { idToken: string; sub: string } | undefined;
  /** Set once per session right before the first sign-in; lives only in this object. */
  private password: string | undefined;
  private identityId: string | undefined;
  private tables = new Map<string, TableInfo | undefined>();

  constructor(
    private readonly apis: AwsApis,
    private readonly config: StackConfig,
    readonly tenant: string,
    private readonly scopes: string[],
    /** Waits between sign-in attempts (the context's clock and abort signal). */
    private readonly clock: RetryClock,
    /** ABAC: the shared scope role the probe's group maps to (default: the tenant's own role). */
    private readonly expectedRole?: { name: string; arn: string },
    /**
     * `userExists`: the caller has just made or read the probe user, so the first sign-in skips
     * AdminGetUser (its only purpose is the clear "run tenant create" message for a missing user).
     */
    private readonly opts: { userExists?: boolean } = {},
  ) {}

  /**
   * The scopes the probe's credentials carry. A tenant role holds all of the tenant's scopes; under
   * ABAC the credentials are one scope role's, so only that scope's actions may be expected to work
   * (a read-scope probe must not expect s3:PutObject on its own prefix).
   */
  private get probeScopes(): string[] {
    const role = this.expectedRole;
    if (!role) return this.scopes;
    const own = this.scopes.filter((s) => scopeRoleName(this.config, s) === role.name);
    return own.length > 0 ? own : this.scopes;
  }

  private get logins(): Record<string, string> {
    return { [cognitoProviderName(this.config.region, this.config.userPoolId)]: this.token?.idToken ?? '' };
  }

  async signIn(): Promise<{ sub: string }> {
    if (this.token) return this.token;
    const username = probeUsername(this.tenant);
    if (this.password === undefined && !this.opts.userExists) {
      const user = await this.apis.cognitoIdp.adminGetUser(this.config.userPoolId, username);
      if (!user) throw new ProbeError(`probe user ${username} does not exist; run \`isoctl tenant create ${this.tenant}\``, 'user');
    }
    // Another isoctl probing the same tenant at the same moment (two `tenant create acme --wait
    // data`, a verify during a create) sets its own random password between ours and our
    // sign-in: Cognito then answers "Incorrect username or password" (reason `password-replaced`).
    // Each side sets a fresh random password and tries again after a jittered pause (the retry
    // layer, on the context's clock), so both get a token; the password stays unguessable and is
    // never shared or written anywhere.
    let signInError: unknown;
    let idToken: string;
    try {
      idToken = await retry(
        this.clock,
        async () => {
          if (this.password === undefined) {
            const password = randomPassword();
            await this.apis.cognitoIdp.adminSetUserPassword(this.config.userPoolId, username, password);
            this.password = password;
          }
          try {
            return (await this.apis.cognitoIdp.adminSignIn(this.config.userPoolId, this.config.userPoolClientId, username, this.password)).idToken;
          } catch (err) {
            signInError = err;
            if (passwordReplaced(err)) this.password = undefined;
            throw err;
          }
        },
        { attempts: SIGN_IN_ATTEMPTS, retryOn: passwordReplaced },
      );
    } catch (err) {
      if (err === signInError) throw new ProbeError(`probe user ${username} could not sign in: ${(err as Error).message}`, 'sign-in', err);
      throw err;
    }
    const claims = decodeClaims(idToken);
    this.token = { idToken, sub: String(claims.sub ?? '') };
    return this.token;
  }

  /**
   * Fresh temporary credentials for this probe (GetId once per token, GetCredentialsForIdentity
   * every time). When Cognito refuses, the id token is dropped: it carries the groups and roles
   * Cognito saw at sign-in, which may predate the tenant's group, so the next attempt signs in again.
   */
  private async credentials() {
    await this.signIn();
    try {
      this.identityId ??= await this.apis.cognitoIdentity.getId(this.config.identityPoolId, this.config.accountId, this.logins);
      return await this.apis.cognitoIdentity.getCredentialsForIdentity(this.identityId, this.logins);
    } catch (err) {
      // The identity id stays: it belongs to the user (its sub and provider), not to one token.
      this.token = undefined;
      throw err;
    }
  }

  private async table(name: string): Promise<TableInfo | undefined> {
    if (!this.tables.has(name)) this.tables.set(name, await this.apis.dynamodb.describeTable(name));
    return this.tables.get(name);
  }

  /**
   * The user's path, proven: sign in through the user pool, get credentials from the identity
   * pool (GetId, GetCredentialsForIdentity), and ask STS whose they are. Resolves with the
   * tenant role's ARN; throws ProbeError (stage `role`) when Cognito handed out another role, and
   * AwsCallError when it refused (the caller classifies: not yet, or wrong).
   */
  async proveRole(): Promise<{ roleArn: string; accessKeyId: string }> {
    const creds = await this.credentials();
    const probeApis = this.apis.withCredentials({ accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken });
    try {
      return { roleArn: await this.assumedTenantRole(probeApis), accessKeyId: creds.accessKeyId };
    } finally {
      probeApis.close();
    }
  }

  private async assumedTenantRole(probeApis: AwsApis): Promise<string> {
    const who = await probeApis.sts.getCallerIdentity();
    const roleName = /:assumed-role\/([^/]+)\//.exec(who.arn)?.[1] ?? '';
    const expected = this.expectedRole?.name ?? tenantRoleName(this.config, this.tenant);
    if (roleName !== expected) {
      // The token Cognito judged may predate the tenant's group or rule: sign in again next time.
      this.token = undefined;
      throw new ProbeError(`the probe of ${this.tenant} got credentials for role ${roleName || who.arn}, not ${expected}`, 'role');
    }
    return this.expectedRole?.arn ?? tenantRoleArn(this.config, this.tenant);
  }

  /** Temporary credentials of the probe identity, to hold and probe with later (`run(against, held)`). */
  async holdCredentials(): Promise<HeldCredentials> {
    const c = await this.credentials();
    return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
  }

  /**
   * One probe, with fresh credentials or with `held` ones (revoke-sessions proves credentials
   * issued before it are denied). Throws AwsCallError / ProbeError when the identity cannot be
   * obtained (the caller classifies).
   */
  async run(against: string, held?: HeldCredentials): Promise<ProbeResult> {
    const creds = held ?? (await this.credentials());
    // Only the keys: these credentials serve this one probe and are dropped with probeApis.
    const probeApis = this.apis.withCredentials({ accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken });
    try {
      const roleArn = await this.assumedTenantRole(probeApis);
      const checks = [...(await this.dataChecks(probeApis, against)), ...(await s3ProbeChecks(probeApis, this.config, this.tenant, against, this.probeScopes))];
      const isolated = checks.every((c) => c.ok);
      return { tenant: this.tenant, against, roleArn, identityId: this.identityId ?? '', accessKeyId: creds.accessKeyId, checks, isolated };
    } finally {
      probeApis.close();
    }
  }

  private readAction(): 'Query' | 'GetItem' | undefined {
    const actions = new Set(this.probeScopes.flatMap((s) => this.config.scopes[s] ?? []));
    if (actions.has('dynamodb:Query')) return 'Query';
    if (actions.has('dynamodb:GetItem')) return 'GetItem';
    return undefined;
  }

  private async dataChecks(probeApis: AwsApis, against: string): Promise<ProbeCheck[]> {
    const checks: ProbeCheck[] = [];
    const action = this.readAction();
    const pooled = this.config.tables.find((t) => t.model === 'pooled');
    const silo = this.config.tables.find((t) => t.model === 'silo');
    if (!action) {
      checks.push({
        name: 'own-partition',
        action: 'dynamodb:Query',
        table: pooled?.name ?? silo?.name ?? '',
        keys: [],
        expect: 'allow',
        outcome: 'skipped',
        ok: false,
        detail: `the scopes ${this.probeScopes.join(', ')} allow no DynamoDB read (Query or GetItem)`,
      });
      return checks;
    }
    if (pooled) {
      const own = this.config.granularity === 'user' ? (this.token?.sub ?? '') : this.tenant;
      const other = this.config.granularity === 'user' ? randomUUID() : against;
      checks.push(...(await this.pooledChecks(probeApis, pooled, action, own, other)));
    }
    if (silo) {
      const ownTable = `${silo.name}-${this.tenant}`;
      const otherTable = `${silo.name}-${against}`;
      const key = this.config.granularity === 'user' ? (this.token?.sub ?? '') : this.tenant;
      const info = await this.table(ownTable);
      checks.push(await this.attempt(probeApis, 'own-silo-table', action, ownTable, [key], 'allow', info, silo, []));
      checks.push(await this.attempt(probeApis, 'other-silo-table', action, otherTable, [key], 'deny', info, silo, []));
    }
    return checks;
  }

  private async pooledChecks(probeApis: AwsApis, table: TableConfig, action: 'Query' | 'GetItem', own: string, other: string): Promise<ProbeCheck[]> {
    const info = await this.table(table.name);
    const keyAttrs = [table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])];
    const projection = table.attributes ? keyAttrs : [];
    const out: ProbeCheck[] = [];
    out.push(await this.attempt(probeApis, 'own-partition', action, table.name, [own], 'allow', info, table, projection));
    out.push(await this.attempt(probeApis, 'other-partition', action, table.name, [other], 'deny', info, table, projection));
    const actions = new Set(this.probeScopes.flatMap((s) => this.config.scopes[s] ?? []));
    if (actions.has('dynamodb:BatchGetItem'))
      out.push(await this.attempt(probeApis, 'mixed-keys', 'BatchGetItem', table.name, [own, other], 'deny', info, table, projection));
    if (table.attributes) {
      let forbidden = 'isoctlProbeForbidden';
      while (table.attributes.includes(forbidden)) forbidden += 'X';
      out.push(await this.attempt(probeApis, 'forbidden-attribute', action, table.name, [own], 'deny', info, table, [...keyAttrs, forbidden]));
    }
    return out;
  }

  private async attempt(
    probeApis: AwsApis,
    name: ProbeCheck['name'],
    action: 'Query' | 'GetItem' | 'BatchGetItem',
    tableName: string,
    keys: string[],
    expect: ProbeExpectation,
    info: TableInfo | undefined,
    table: TableConfig,
    attributes: string[],
  ): Promise<ProbeCheck> {
    const pkType = info?.partitionKey.type ?? 'S';
    const sk = info?.sortKey ?? (table.sortKey ? { name: table.sortKey, type: 'S' as const } : undefined);
    const value = (v: string): KeyValue => (pkType === 'N' ? { N: /^\d+$/.test(v) ? v : '0' } : { S: v });
    const fullKey = (v: string): Record<string, KeyValue> => {
      const k: Record<string, KeyValue> = { [table.partitionKey]: value(v) };
      if (sk) k[sk.name] = sk.type === 'N' ? { N: '0' } : { S: 'isoctl-probe' };
      return k;
    };
    const base = { name, action: `dynamodb:${action}`, table: tableName, keys, expect };
    try {
      if (action === 'Query') await probeApis.dynamodb.query({ table: tableName, keyName: table.partitionKey, keyValue: value(keys[0] ?? ''), attributes });
      else if (action === 'GetItem') await probeApis.dynamodb.getItem(tableName, fullKey(keys[0] ?? ''), attributes);
      else await probeApis.dynamodb.batchGetItem(tableName, keys.map(fullKey), attributes);
      return { ...base, outcome: 'allowed', ok: expect === 'allow', detail: expect === 'allow' ? undefined : 'ALLOWED: isolation does not hold' };
    } catch (err) {
      if (err instanceof AwsCallError && err.kind === 'access-denied') return { ...base, outcome: 'denied', ok: expect === 'deny', detail: err.awsMessage };
      if (err instanceof AwsCallError) return { ...base, outcome: 'error', ok: false, detail: err.summary };
      throw err;
    }
  }
}

/**
 * The verdict of a probe that should read its own partition and no other tenant's: a leak is
 * Wrong (at once), an own read still denied is NotYet (IAM or Cognito still propagating), an
 * error is Wrong. Shared by `--wait data` (create) and resume's check.
 */
export function ownReadableVerdict(result: ProbeResult): string {
  const leaks = result.checks.filter((c) => c.expect === 'deny' && c.outcome === 'allowed');
  if (leaks.length > 0) throw new Wrong(`isolation does not hold: ${leaks.map((c) => `${c.name} on ${c.table} was allowed`).join('; ')}`);
  const notYet = result.checks.find((c) => c.expect === 'allow' && !c.ok);
  if (notYet) {
    if (notYet.outcome === 'denied') throw new NotYet(`own read still denied: ${notYet.detail ?? ''}`);
    throw new Wrong(`${notYet.name} on ${notYet.table}: ${notYet.detail ?? notYet.outcome}`);
  }
  const errors = result.checks.filter((c) => c.outcome === 'error');
  if (errors.length > 0) throw new Wrong(errors.map((c) => `${c.name}: ${c.detail}`).join('; '));
  return `own partition readable; ${result.checks.filter((c) => c.expect === 'deny').length} cross-tenant reads denied`;
}
