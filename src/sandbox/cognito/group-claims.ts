// cognito:groups, cognito:roles and cognito:preferred_role from a user's groups, as Cognito
// computes them: the preferred role is the RoleArn of the role-bearing group with the lowest
// Precedence (null ranks last); when that best precedence is shared by groups with different
// roles, the claim is left out.
import type { GroupRecord } from './state.js';

export interface GroupClaims {
  groups: string[];
  roles: string[];
  preferredRole?: string;
}

function rank(g: GroupRecord): number {
  return g.Precedence ?? Number.POSITIVE_INFINITY;
}

export function groupClaims(groups: GroupRecord[]): GroupClaims {
  const ordered = [...groups].sort((a, b) => rank(a) - rank(b) || (a.GroupName < b.GroupName ? -1 : a.GroupName > b.GroupName ? 1 : 0));
  const roles: string[] = [];
  for (const g of ordered) if (g.RoleArn && !roles.includes(g.RoleArn)) roles.push(g.RoleArn);
  const withRole = ordered.filter((g) => g.RoleArn);
  const result: GroupClaims = { groups: ordered.map((g) => g.GroupName), roles };
  if (withRole.length === 0) return result;
  const best = rank(withRole[0]!);
  const bestRoles = new Set(withRole.filter((g) => rank(g) === best).map((g) => g.RoleArn!));
  if (bestRoles.size === 1) result.preferredRole = [...bestRoles][0]!;
  return result;
}
