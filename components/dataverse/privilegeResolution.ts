import type { Operation } from "./securityRolePlan";
import { DEPTH_RANK, DEPTH_WORDS, PRIVILEGE_DEPTHS, type PrivilegeDepth } from "./depths";

/**
 * A table's privileges as Dataverse defines them: `EntityDefinitions(LogicalName='x')?$select=Privileges` answers
 * SecurityPrivilegeMetadata rows (PrivilegeId, Name, PrivilegeType, CanBeBasic/Local/Deep/Global). Names are not a
 * formula of the table name (phonecall -> prvReadActivity, systemuser -> prvReadUser, salesorder -> prvReadOrder,
 * annotation -> prvReadNote), and the depths allowed differ per table (businessunit has no Basic); so each operation
 * is resolved by PrivilegeType against the table's own metadata.
 * learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/securityprivilegemetadata
 */
export interface TablePrivilege {
  PrivilegeId: string;
  Name: string;
  PrivilegeType: string;
  CanBeBasic: boolean;
  CanBeLocal: boolean;
  CanBeDeep: boolean;
  CanBeGlobal: boolean;
}

/** One operation on one table at a depth; "narrowest" takes the narrowest depth the privilege allows. */
export interface RoleGrant {
  table: string;
  operation: Operation;
  depth: PrivilegeDepth | "narrowest";
  /** Why: "declared", "change tracking", or what the base set needs it for. */
  reason: string;
}

export interface ResolvedPrivilege {
  name: string;
  privilegeId: string;
  depth: PrivilegeDepth;
  /** The table(s) and operation(s) it stands for, with reasons, e.g. "read phonecall, read email (change tracking)". */
  grants: string;
  /** The same as "<operation> <table>" keys, e.g. ["read phonecall", "read email"]. */
  operations: string[];
}

export const PRIVILEGE_TYPE: Record<Operation, string> = {
  read: "Read",
  create: "Create",
  write: "Write",
  delete: "Delete",
  append: "Append",
  appendTo: "AppendTo",
  assign: "Assign",
  share: "Share",
};
const RANK = DEPTH_RANK;

export const allowedDepths = (p: TablePrivilege): PrivilegeDepth[] => PRIVILEGE_DEPTHS.filter((d) => p[`CanBe${d}`]);

/** A table the environment answered as absent: its logical name is not known there. */
export const TABLE_NOT_FOUND = Symbol("table not found");

/**
 * Resolves every grant through its table's privileges. All problems are reported at once: tables not in the
 * environment, operations the table has no privilege for, depths the privilege does not allow (naming the allowed
 * ones). Grants that land on one privilege (activity tables) keep the widest depth.
 */
export function resolveGrants(
  grants: RoleGrant[],
  tables: Map<string, TablePrivilege[] | typeof TABLE_NOT_FOUND>,
  environmentUrl: string,
): ResolvedPrivilege[] {
  const problems: string[] = [];
  const byId = new Map<string, ResolvedPrivilege>();
  for (const g of grants) {
    const privileges = tables.get(g.table);
    if (privileges === TABLE_NOT_FOUND || privileges === undefined) {
      if (!problems.some((p) => p.startsWith(`table "${g.table}"`)))
        problems.push(
          `table "${g.table}" does not exist in ${environmentUrl} (access keys are table logical names, e.g. account, phonecall)`,
        );
      continue;
    }
    const type = PRIVILEGE_TYPE[g.operation];
    const privilege = privileges.find((p) => p.PrivilegeType === type);
    if (!privilege) {
      const has = [...new Set(privileges.filter((p) => p.PrivilegeType !== "None").map((p) => p.PrivilegeType))];
      problems.push(`table "${g.table}" has no ${g.operation} privilege (its operations: ${has.join(", ") || "none"})`);
      continue;
    }
    const allowed = allowedDepths(privilege);
    const depth = g.depth === "narrowest" ? allowed[0] : g.depth;
    if (!depth || !allowed.includes(depth)) {
      problems.push(
        `${g.operation} on table "${g.table}" (${privilege.Name}) cannot be granted at depth ${g.depth === "narrowest" ? "any" : `${g.depth} (${DEPTH_WORDS[g.depth]})`}; allowed: ${allowed.map((d) => `${d} (${DEPTH_WORDS[d]})`).join(", ") || "none"}`,
      );
      continue;
    }
    const what = `${g.operation} ${g.table}${g.reason && g.reason !== "declared" ? ` (${g.reason})` : ""}`;
    const key = `${g.operation} ${g.table}`;
    const known = byId.get(privilege.PrivilegeId);
    if (!known)
      byId.set(privilege.PrivilegeId, {
        name: privilege.Name,
        privilegeId: privilege.PrivilegeId,
        depth,
        grants: what,
        operations: [key],
      });
    else
      byId.set(privilege.PrivilegeId, {
        ...known,
        depth: RANK[depth] > RANK[known.depth] ? depth : known.depth,
        grants: `${known.grants}, ${what}`,
        operations: [...known.operations, key],
      });
  }
  if (problems.length) throw new Error(`the role's privileges cannot be set: ${problems.join("; ")}`);
  return [...byId.values()];
}

export { DEPTH_WORDS } from "./depths";
