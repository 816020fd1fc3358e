import type { DataverseClient } from "../../components/dataverse/http/client";
import { resolveGrants, type ResolvedPrivilege, type RoleGrant } from "../../components/dataverse/privilegeResolution";
import { tablePrivilegesAndNamesakes } from "../../components/dataverse/securityRoleApi";

/** How a generated role's declared grants resolve in one environment. */
export interface RoleResolution {
  /** The environment's own privileges (names as Dataverse spells them) at the depths the role would hold them. */
  resolved?: ResolvedPrivilege[];
  /** Why they do not resolve (tables not there, operations a table lacks, depths a privilege cannot have). */
  problem?: string;
  /** Roles of the same name already in the root business unit (create refuses them unless this stack made them). */
  namesakes?: string[];
}

/**
 * The interface preflight checks generated roles through: the SecurityRole resource's own reads
 * (tablePrivilegesAndNamesakes: each table's Privileges metadata, and roles of the same name) and its own decision
 * (resolveGrants: by PrivilegeType and CanBe* depths), so preflight and `pulumi up` cannot disagree. Read-only.
 */
export async function resolveGeneratedRole(
  client: DataverseClient,
  roleName: string,
  grants: RoleGrant[],
  rootBusinessUnitId: string,
): Promise<RoleResolution> {
  const tables = [...new Set(grants.map((g) => g.table))];
  let read;
  try {
    read = await tablePrivilegesAndNamesakes(client, tables, roleName, rootBusinessUnitId);
  } catch (err) {
    return { problem: `the tables' privileges could not be read: ${(err as Error).message}` };
  }
  const namesakes = read.namesakes.map((r) => r.roleid);
  try {
    return { resolved: resolveGrants(grants, read.tables, client.environmentUrl), namesakes };
  } catch (err) {
    return { problem: (err as Error).message.replace(/^the role's privileges cannot be set: /, ""), namesakes };
  }
}
