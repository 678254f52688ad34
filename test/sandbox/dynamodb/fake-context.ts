// An in-memory SandboxContext for the DynamoDB service tests: roles with a visibility time for
// the dynamodb observer (to play the lag), sections kept in memory, a settable clock.
import type { Caller, RoleView, SandboxContext } from '../../../src/sandbox/contract.js';
import type { PolicyDocument } from '../../../src/policy/types.js';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-central-1';

export interface FakeRole {
  name: string;
  inlinePolicies: Record<string, PolicyDocument>;
  boundary?: PolicyDocument;
  tags?: Record<string, string>;
  /** When DynamoDB starts seeing the role (epoch ms); default: always. */
  visibleToDynamoAt?: number;
}

export class FakeContext implements SandboxContext {
  accountId = ACCOUNT;
  region = REGION;
  lag = { iam: 0, cognito: 0, dynamodb: 0 };
  clock = Date.now();
  saves = 0;
  readonly roles = new Map<string, FakeRole>();
  readonly getRoleCalls: Array<{ nameOrArn: string; observer: string }> = [];
  private readonly sections = new Map<string, object>();

  now(): number {
    return this.clock;
  }
  section<T extends object>(name: string, init: () => T): T {
    if (!this.sections.has(name)) this.sections.set(name, init());
    return this.sections.get(name) as T;
  }
  save(): void {
    this.saves++;
  }
  addRole(role: FakeRole): void {
    this.roles.set(role.name, role);
  }
  getRole(nameOrArn: string, observer: 'iam' | 'cognito' | 'dynamodb'): RoleView | undefined {
    this.getRoleCalls.push({ nameOrArn, observer });
    const name = nameOrArn.split('/').pop()!;
    const role = this.roles.get(name);
    if (!role) return undefined;
    if (observer === 'dynamodb' && role.visibleToDynamoAt !== undefined && this.clock < role.visibleToDynamoAt) return undefined;
    return {
      arn: roleArn(name),
      name,
      path: '/',
      roleId: `AROA${name
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '')
        .slice(0, 17)
        .padEnd(17, 'X')}`,
      createdAt: 0,
      trustPolicy: { Version: '2012-10-17', Statement: [] },
      inlinePolicies: role.inlinePolicies,
      permissionsBoundary: role.boundary ? { arn: `arn:aws:iam::${ACCOUNT}:policy/boundary`, document: role.boundary } : undefined,
      tags: role.tags ?? {},
    };
  }
  issueSession(): never {
    throw new Error('not used by the DynamoDB service');
  }
  endpoint(): string {
    return 'http://127.0.0.1:0';
  }
}

export function roleArn(name: string): string {
  return `arn:aws:iam::${ACCOUNT}:role/${name}`;
}

export const ADMIN: Caller = { kind: 'admin', accessKeyId: 'AKIASANDBOXADMIN', arn: `arn:aws:iam::${ACCOUNT}:user/admin` };

export function session(roleName: string, sessionTags: Record<string, string> = {}, sessionName = 'CognitoIdentityCredentials'): Caller {
  return {
    kind: 'session',
    accessKeyId: `ASIA${roleName.length}`,
    roleArn: roleArn(roleName),
    roleName,
    sessionName,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${sessionName}`,
    sessionTags,
    expiresAt: Date.now() + 3_600_000,
  };
}
