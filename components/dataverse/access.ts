import type { AccessDepth, Operation } from "./securityRolePlan";

export interface AccessEntry {
  table: string;
  operations: Operation[];
  depth: AccessDepth;
  /** Why: declared in the stack, or needed by change tracking. */
  reason: string;
}

/**
 * The access contract as entries, with what change tracking needs: a sync tool reads a change-tracked table's
 * changes with RetrieveEntityChanges / `Prefer: odata.track-changes`, which needs organization-wide read on it.
 * Where two entries grant the same operation, the widest depth wins (declaredGrants).
 */
export function accessEntries(
  access: Record<string, { operations: Operation[]; depth: AccessDepth }>,
  changeTracked: string[] = [],
): AccessEntry[] {
  return [
    ...Object.entries(access).map(([table, a]) => ({
      table,
      operations: [...a.operations],
      depth: a.depth,
      reason: "declared",
    })),
    ...changeTracked.map((table) => ({
      table,
      operations: ["read" as Operation],
      depth: "organization" as AccessDepth,
      reason: "change tracking",
    })),
  ];
}

/**
 * Tables where anything beyond read administers the environment rather than syncing its data (README, "Generated
 * security role"): whoever holds it can hand out access (roles, users, teams, field security), reshape the
 * organization (business units, organization settings), or run code and change the schema (solutions,
 * customizations, plug-in and SDK-step registration, service endpoints, processes). A sync integration needs none
 * of it; one that does must say why (dataverse.administrativeAccess.reason).
 */
export const ADMINISTRATIVE_TABLES: Record<string, string> = {
  role: "security roles and their privileges",
  roleprivileges: "security roles and their privileges",
  systemuser: "users",
  team: "teams",
  teamroles: "teams' security roles",
  systemuserroles: "users' security roles",
  businessunit: "business units",
  organization: "organization settings",
  fieldsecurityprofile: "field security",
  fieldpermission: "field security",
  position: "hierarchy security",
  solution: "solutions and customizations",
  solutioncomponent: "solutions and customizations",
  publisher: "solutions and customizations",
  customapi: "solutions and customizations",
  webresource: "solutions and customizations",
  pluginassembly: "plug-in registration",
  plugintype: "plug-in registration",
  pluginpackage: "plug-in registration",
  sdkmessageprocessingstep: "SDK message processing steps",
  sdkmessageprocessingstepimage: "SDK message processing steps",
  serviceendpoint: "service endpoints (code that runs on every change)",
  workflow: "processes and flows (code that runs as their owner)",
};

/** Why this operation on this table is administrator-level access, or undefined when it is not. */
export function administrativeGrant(table: string, operation: Operation): string | undefined {
  const what = ADMINISTRATIVE_TABLES[table];
  return what && operation !== "read" ? what : undefined;
}

/** The administrator-level grants among access entries, as "write role (security roles and their privileges)". */
export function administrativeEntries(entries: { table: string; operations: Operation[] }[]): string[] {
  return entries.flatMap((e) =>
    e.operations.flatMap((op) => {
      const why = administrativeGrant(e.table, op);
      return why ? [`${op} ${e.table} (${why})`] : [];
    }),
  );
}
