import type { DataverseClient } from "./client";
import { quote, withQuery } from "./odata";

/** The metadata fields that decide whether a table is, or can be, change-tracked. */
export interface EntityTrackingRow {
  LogicalName: string;
  MetadataId: string;
  ChangeTrackingEnabled: boolean;
  CanChangeTrackingBeEnabled?: { Value: boolean } | null;
}

const definitionPath = (logicalName: string) => `/EntityDefinitions(LogicalName=${quote(logicalName)})`;

/** Change-tracking state of all the named tables in one filtered request. */
export function trackingStates(client: DataverseClient, logicalNames: string[]): Promise<EntityTrackingRow[]> {
  return client.getAll<EntityTrackingRow>(withQuery("/EntityDefinitions", {
    $select: "LogicalName,MetadataId,ChangeTrackingEnabled,CanChangeTrackingBeEnabled",
    $filter: logicalNames.map((n) => `LogicalName eq ${quote(n)}`).join(" or "),
  }));
}

/** The full table definition: PUT must send every property back, Dataverse has no partial update of metadata. */
export function getDefinition(client: DataverseClient, logicalName: string): Promise<Record<string, unknown>> {
  return client.get<Record<string, unknown>>(definitionPath(logicalName));
}

/** Writes the definition back with change tracking on, keeping localized labels that are not in the body. */
export async function putWithChangeTracking(client: DataverseClient, logicalName: string, definition: Record<string, unknown>): Promise<void> {
  await client.request("PUT", definitionPath(logicalName), { ...definition, ChangeTrackingEnabled: true }, { "MSCRM.MergeLabels": "true" });
}

/** `<importexportxml><entities><entity>a</entity>...</entities></importexportxml>` */
export function publishXml(logicalNames: string[]): string {
  const entities = logicalNames.map((n) => `<entity>${n}</entity>`).join("");
  return `<importexportxml><entities>${entities}</entities></importexportxml>`;
}

/** Publishes all the tables in one PublishXml call. */
export async function publishTables(client: DataverseClient, logicalNames: string[]): Promise<void> {
  await client.request("POST", "/PublishXml", { ParameterXml: publishXml(logicalNames) });
}
