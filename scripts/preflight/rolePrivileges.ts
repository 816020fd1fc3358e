import type { DataverseClient } from "../../components/dataverse/client";
import { privilegeRows, resolvePrivileges } from "../../components/dataverse/securityRoleApi";
import type { DeclaredPrivilege, PrivilegeDepth } from "../../components/dataverse/securityRolePlan";

/** How a generated role's declared privileges resolve in one environment. */
export interface RoleResolution {
  /** Each declared privilege with the environment's own privilege (name as Dataverse spells it) at the declared depth. */
  resolved?: { declared: string; name: string; privilegeId: string; depth: PrivilegeDepth }[];
  /** Why they do not resolve (unknown privileges, depths a privilege cannot have), as the SecurityRole resource would say it. */
  problem?: string;
}

/**
 * The interface preflight checks generated roles through: the SecurityRole resource's own resolution (the same
 * reads and the same decision as its create), so preflight and `pulumi up` cannot disagree. Read-only.
 */
export async function resolveGeneratedRole(
  client: DataverseClient,
  declared: DeclaredPrivilege[],
): Promise<RoleResolution> {
  let rows;
  try {
    rows = await privilegeRows(
      client,
      declared.map((p) => p.name),
    );
  } catch (err) {
    return { problem: `the privileges could not be read: ${(err as Error).message}` };
  }
  try {
    const resolved = resolvePrivileges(
      declared.map((p) => ({ name: p.name, depth: p.depth })),
      rows,
    );
    return {
      resolved: resolved.map((r, i) => ({
        declared: declared[i].name,
        name: r.name,
        privilegeId: r.privilegeId,
        depth: r.depth,
      })),
    };
  } catch (err) {
    return { problem: (err as Error).message.replace(/^the role's privileges cannot be set: /, "") };
  }
}
