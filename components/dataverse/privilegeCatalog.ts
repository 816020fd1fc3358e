import sdkDocs from "../../emulator/recorded/privileges/crm-sdk-docs_privileges_by_table.json";
import type { Operation } from "./securityRolePlan";

/**
 * Privilege names Microsoft's pages record per table (emulator/recorded/privileges/crm-sdk-docs_privileges_by_table.json,
 * each entry citing its learn.microsoft.com page), for previews and policy checks that run without an environment.
 * Deploys never use these: they resolve each operation through the environment's own table metadata.
 */
const TABLES = (
  sdkDocs as unknown as {
    tables: Record<string, { sameAs?: string; privileges?: { name: string; privilegeType: string }[] }>;
  }
).tables;

const TYPE: Record<Operation, string> = {
  read: "Read",
  create: "Create",
  write: "Write",
  delete: "Delete",
  append: "Append",
  appendTo: "AppendTo",
  assign: "Assign",
  share: "Share",
};

/** The recorded name of an operation's privilege on a table, or undefined where nothing is recorded. */
export function recordedPrivilegeName(table: string, operation: Operation): string | undefined {
  const entry = TABLES[table];
  const privileges = entry?.sameAs ? TABLES[entry.sameAs]?.privileges : entry?.privileges;
  return privileges?.find((p) => p.privilegeType === TYPE[operation])?.name;
}
