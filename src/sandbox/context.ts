// The SandboxContext the core gives every part: persisted sections, the lag-aware role view,
// temporary credentials, and the caller lookup for SigV4 (admin keys or issued sessions).
import type { Caller, IssuedCredentials, LagConfig, Observer, RoleView, SandboxContext } from './contract.js';
import { accessKeyId, iamUniqueId, secretAccessKey, sessionToken } from './ids.js';
import { emptyIamState, latest, roleViewFor, userByAccessKey, type IamState } from './iam-store.js';
import type { StateStore } from './state.js';

export interface CoreSection {
  admin: { accessKeyId: string; secretAccessKey: string; userId: string };
  createdAt: string;
}

export interface SessionRecord {
  secretAccessKey: string;
  sessionToken: string;
  roleArn: string;
  roleName: string;
  roleId: string;
  sessionName: string;
  sessionTags: Record<string, string>;
  issuedAt: number;
  expiresAt: number;
}

export interface StsSection {
  sessions: Record<string, SessionRecord>;
}

export type CallerLookup = { ok: true; caller: Exclude<Caller, { kind: 'anonymous' }>; secret: string } | { ok: false; reason: 'unknown' | 'expired' };

export const ADMIN_USER_NAME = 'isoctl-sandbox-admin';

export class CoreContext implements SandboxContext {
  readonly core: CoreSection;
  readonly iam: IamState;
  readonly sts: StsSection;
  private endpointUrl = '';
  private flushScheduled = false;

  constructor(
    private readonly store: StateStore,
    readonly accountId: string,
    readonly region: string,
    readonly lag: LagConfig,
    /** A failed background save (the next request's save retries it). */
    private readonly onSaveError: (err: Error) => void = () => undefined,
  ) {
    this.core = store.section<CoreSection>('core', () => ({
      admin: { accessKeyId: accessKeyId('AKIA'), secretAccessKey: secretAccessKey(), userId: iamUniqueId('AIDA') },
      createdAt: new Date().toISOString(),
    }));
    this.iam = store.section<IamState>('iam', emptyIamState);
    this.sts = store.section<StsSection>('sts', () => ({ sessions: {} }));
  }

  now(): number {
    return Date.now();
  }

  get maxLag(): number {
    return Math.max(this.lag.iam, this.lag.cognito, this.lag.dynamodb);
  }

  get adminArn(): string {
    return `arn:aws:iam::${this.accountId}:user/${ADMIN_USER_NAME}`;
  }

  setEndpoint(url: string): void {
    this.endpointUrl = url;
  }

  endpoint(): string {
    return this.endpointUrl;
  }

  section<T extends object>(name: string, init: () => T): T {
    return this.store.section(name, init);
  }

  /** Marks the state changed; it is written at the end of the request (or on the next tick outside one). */
  save(): void {
    this.store.markDirty();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      try {
        this.store.flush();
      } catch (err) {
        this.onSaveError(err as Error);
      }
    });
  }

  flush(): void {
    this.store.flush();
  }

  getRole(nameOrArn: string, observer: Observer): RoleView | undefined {
    return roleViewFor(this.iam, this.accountId, nameOrArn, this.now(), this.lag[observer]);
  }

  /** MaxSessionDuration of a role as its writer knows it (seconds). */
  maxSessionDuration(roleName: string): number {
    return latest(this.iam.roles[roleName.toLowerCase()]?.core)?.maxSessionDuration ?? 3600;
  }

  issueSession(role: RoleView, sessionName: string, sessionTags: Record<string, string>, durationSeconds: number): IssuedCredentials {
    const now = this.now();
    for (const [key, s] of Object.entries(this.sts.sessions)) if (s.expiresAt <= now) delete this.sts.sessions[key];
    const id = accessKeyId('ASIA');
    const record: SessionRecord = {
      secretAccessKey: secretAccessKey(),
      sessionToken: sessionToken(),
      roleArn: role.arn,
      roleName: role.name,
      roleId: role.roleId,
      sessionName,
      sessionTags: { ...sessionTags },
      issuedAt: now,
      expiresAt: now + durationSeconds * 1000,
    };
    this.sts.sessions[id] = record;
    this.save();
    return { accessKeyId: id, secretAccessKey: record.secretAccessKey, sessionToken: record.sessionToken, expiration: record.expiresAt };
  }

  session(accessKey: string): SessionRecord | undefined {
    return this.sts.sessions[accessKey];
  }

  /** Who signed with `accessKey` (and `token`, for temporary credentials). */
  lookupCaller(accessKey: string, token: string | undefined): CallerLookup {
    const admin = this.core.admin;
    if (accessKey === admin.accessKeyId) {
      if (token !== undefined && token !== '') return { ok: false, reason: 'unknown' };
      return { ok: true, caller: { kind: 'admin', accessKeyId: accessKey, arn: this.adminArn }, secret: admin.secretAccessKey };
    }
    if (accessKey.startsWith('AKIA')) {
      const found = userByAccessKey(this.iam, accessKey);
      if (!found || found.key.status !== 'Active' || (token !== undefined && token !== '')) return { ok: false, reason: 'unknown' };
      const { user } = found;
      return {
        ok: true,
        secret: found.key.secretAccessKey,
        caller: { kind: 'user', accessKeyId: accessKey, userName: user.name, userId: user.userId, path: user.path, arn: user.arn },
      };
    }
    const s = this.sts.sessions[accessKey];
    if (!s || token !== s.sessionToken) return { ok: false, reason: 'unknown' };
    if (s.expiresAt <= this.now()) return { ok: false, reason: 'expired' };
    return {
      ok: true,
      secret: s.secretAccessKey,
      caller: {
        kind: 'session',
        accessKeyId: accessKey,
        roleArn: s.roleArn,
        roleName: s.roleName,
        sessionName: s.sessionName,
        arn: `arn:aws:sts::${this.accountId}:assumed-role/${s.roleName}/${s.sessionName}`,
        sessionTags: { ...s.sessionTags },
        issuedAt: s.issuedAt,
        expiresAt: s.expiresAt,
      },
    };
  }
}
