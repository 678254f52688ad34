// An in-memory SandboxContext for unit tests of the Cognito services: sections in a Map, a
// settable clock, roles that become visible per observer after the configured lag, and an
// issueSession that records what it was asked for.
import type { IssuedCredentials, LagConfig, Observer, RoleView, SandboxContext } from '../../../src/sandbox/contract.js';
import type { PolicyDocument } from '../../../src/policy/types.js';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-central-1';
export const ENDPOINT = 'http://127.0.0.1:4566';

export interface IssuedSession {
  role: RoleView;
  sessionName: string;
  sessionTags: Record<string, string>;
  durationSeconds: number;
}

export interface FakeContext extends SandboxContext {
  clock: { t: number };
  sections: Map<string, object>;
  saves: number;
  sessions: IssuedSession[];
  /** Adds a role that IAM creates now (visible to each observer after its lag). */
  addRole(name: string, trustPolicy: PolicyDocument, opts?: { tags?: Record<string, string> }): RoleView;
  /** Advances the clock. */
  advance(ms: number): void;
}

export function cognitoTrust(identityPoolId: string, opts: { tagSession?: boolean } = {}): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: 'cognito-identity.amazonaws.com' },
        Action: opts.tagSession ? ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'] : 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': identityPoolId },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        },
      },
    ],
  };
}

export function roleArn(name: string): string {
  return `arn:aws:iam::${ACCOUNT}:role/${name}`;
}

export function fakeContext(opts: { lag?: Partial<LagConfig>; start?: number } = {}): FakeContext {
  const lag: LagConfig = { iam: 0, cognito: 0, dynamodb: 0, ...opts.lag };
  const roles = new Map<string, { view: RoleView; createdAt: number }>();
  const ctx: FakeContext = {
    accountId: ACCOUNT,
    region: REGION,
    lag,
    clock: { t: opts.start ?? Date.UTC(2026, 0, 1) },
    sections: new Map(),
    saves: 0,
    sessions: [],
    now() {
      return ctx.clock.t;
    },
    advance(ms: number) {
      ctx.clock.t += ms;
    },
    section<T extends object>(name: string, init: () => T): T {
      let s = ctx.sections.get(name) as T | undefined;
      if (!s) {
        s = init();
        ctx.sections.set(name, s);
      }
      return s;
    },
    save() {
      // Persisted state must survive a JSON round trip.
      for (const s of ctx.sections.values()) JSON.stringify(s);
      ctx.saves++;
    },
    getRole(nameOrArn: string, observer: Observer) {
      const name = nameOrArn.startsWith('arn:') ? nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1) : nameOrArn;
      const entry = roles.get(name);
      if (!entry) return undefined;
      if (nameOrArn.startsWith('arn:') && nameOrArn !== entry.view.arn) return undefined;
      return entry.createdAt + lag[observer] <= ctx.clock.t ? entry.view : undefined;
    },
    issueSession(role: RoleView, sessionName: string, sessionTags: Record<string, string>, durationSeconds: number): IssuedCredentials {
      ctx.sessions.push({ role, sessionName, sessionTags, durationSeconds });
      return {
        accessKeyId: 'ASIAFAKEFAKEFAKEFAKE',
        secretAccessKey: 'fake-secret',
        sessionToken: 'fake-session-token',
        expiration: ctx.clock.t + durationSeconds * 1000,
      };
    },
    endpoint() {
      return ENDPOINT;
    },
    addRole(name: string, trustPolicy: PolicyDocument, o: { tags?: Record<string, string> } = {}) {
      const view: RoleView = {
        arn: roleArn(name),
        name,
        path: '/',
        roleId: `AROA${name
          .toUpperCase()
          .replace(/[^A-Z0-9]/g, '')
          .padEnd(17, 'X')
          .slice(0, 17)}`,
        createdAt: ctx.clock.t,
        trustPolicy,
        inlinePolicies: {},
        tags: o.tags ?? {},
      };
      roles.set(name, { view, createdAt: ctx.clock.t });
      return view;
    },
  };
  return ctx;
}
