import sdkDocs from "../../emulator/recorded/privileges/crm-sdk-docs_privileges_by_table.json";
import type { Operation } from "./securityRolePlan";
import { PRIVILEGE_TYPE } from "./privilegeResolution";

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

/** The recorded name of an operation's privilege on a table, or undefined where nothing is recorded. */
export function recordedPrivilegeName(table: string, operation: Operation): string | undefined {
  const entry = TABLES[table];
  const privileges = entry?.sameAs ? TABLES[entry.sameAs]?.privileges : entry?.privileges;
  return privileges?.find((p) => p.privilegeType === PRIVILEGE_TYPE[operation])?.name;
}
