// The ops reads (src/aws/ops.ts) over test/tenant/fake-aws.ts's state, for gc and doctor unit tests.
import type { AccountScansApi } from '../../src/aws/account-scans.js';
import type { FakeAws } from '../tenant/fake-aws.js';

const HOUR = 3600_000;

/** The ops reads over the fake's state; groups and users carry the dates set here. */
export class FakeOps implements AccountScansApi {
  groupDates = new Map<string, string>();
  userDates = new Map<string, string>();
  constructor(private readonly fake: FakeAws) {}
  private rec(service: string, operation: string) {
    this.fake.calls.push({ service, operation, mutating: false, caller: 'admin' });
  }
  async listRolesUnderPath(prefix: string) {
    this.rec('iam', 'ListRoles');
    return [...this.fake.roles.values()]
      .filter((r) => r.path.startsWith(prefix))
      .map((r) => ({
        name: r.name,
        arn: r.arn,
        path: r.path,
        roleId: r.roleId,
        createDate: r.createDate,
        description: undefined,
        trustPolicy: JSON.parse(r.trust),
        permissionsBoundaryArn: undefined,
        tags: undefined,
      }));
  }
  async listGroupsWithDates() {
    this.rec('cognito-idp', 'ListGroups');
    return [...this.fake.groups.values()].map((g) => ({ ...g, createDate: this.groupDates.get(g.name) ?? new Date(Date.now() - 2 * HOUR).toISOString() }));
  }
  async listUsersByPrefix(_pool: string, prefix: string) {
    this.rec('cognito-idp', 'ListUsers');
    return [...this.fake.users.entries()]
      .filter(([n]) => n.startsWith(prefix))
      .map(([username, u]) => ({
        username,
        sub: u.sub,
        status: u.status,
        attributes: { ...u.attributes },
        createDate: this.userDates.get(username) ?? new Date(Date.now() - 2 * HOUR).toISOString(),
      }));
  }
  /** What GetAccountSummary answers. */
  summary: Record<string, number> = { Roles: 0, RolesQuota: 1000 };
  async getAccountSummary() {
    this.rec('iam', 'GetAccountSummary');
    return { ...this.summary, Roles: this.summary.Roles || this.fake.roles.size };
  }
}
