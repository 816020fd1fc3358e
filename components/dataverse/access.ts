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
 * changes with RetrieveEntityChanges / `Prefer: odata.track-changes`, which needs organization-wide read on it
 * (REFERENCE.md 3.5). Where two entries grant the same privilege, the widest depth wins (declaredPrivileges).
 */
export function accessEntries(access: Record<string, { operations: Operation[]; depth: AccessDepth }>, changeTracked: string[] = []): AccessEntry[] {
  return [
    ...Object.entries(access).map(([table, a]) => ({ table, operations: [...a.operations], depth: a.depth, reason: "declared" })),
    ...changeTracked.map((table) => ({ table, operations: ["read" as Operation], depth: "organization" as AccessDepth, reason: "change tracking" })),
  ];
}
