import type { BatchOperation } from "./batch";
import type { DataverseClient } from "./client";
import { DataverseError, isDataverseError } from "./errors";
import { isTransient } from "./retryPolicy";
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

/** The definition written back with change tracking on; MergeLabels keeps localized labels that are not in the body. */
function putOperation(logicalName: string, definition: Record<string, unknown>): BatchOperation {
  return { method: "PUT", path: definitionPath(logicalName), body: { ...definition, ChangeTrackingEnabled: true }, headers: { "MSCRM.MergeLabels": "true" } };
}

/**
 * Runs the operations as one `$batch` round trip. A part that failed transiently (429, 5xx) is sent again on its
 * own with the client's retries; any other failed part fails the whole step, naming its table.
 */
async function batchPerTable(client: DataverseClient, names: string[], operations: BatchOperation[]): Promise<unknown[]> {
  let parts;
  try {
    parts = await client.batch(operations);
  } catch (err) {
    // Metadata operations inside $batch are not confirmed by Microsoft's docs (REFERENCE.md §4.7): if the service
    // refuses the batch as a whole, do the same work one request per table (bounded by the concurrency cap).
    if (!isDataverseError(err) || isTransient(err) || err.status === 401 || err.status === 403) throw err;
    return Promise.all(operations.map(async (op) => (await client.request(op.method, op.path, op.body, op.headers)).data));
  }
  return Promise.all(parts.map(async (part, i) => {
    if (part.status < 400) return part.body;
    const op = operations[i];
    const error = (part.body as { error?: { code?: string; message?: string } })?.error;
    const failure = new DataverseError(op.method, op.path, part.status, error?.code ?? "", error?.message ?? `failed for ${names[i]}`);
    if (!isTransient(failure)) throw failure;
    return (await client.request(op.method, op.path, op.body, op.headers)).data;
  }));
}

/** Full definitions of the tables in one round trip: PUT must send every property back. */
export async function getDefinitions(client: DataverseClient, logicalNames: string[]): Promise<Record<string, unknown>[]> {
  return (await batchPerTable(client, logicalNames, logicalNames.map((n) => ({ method: "GET", path: definitionPath(n) })))) as Record<string, unknown>[];
}

/** Writes every definition back with change tracking on, in one round trip. */
export async function putAllWithChangeTracking(client: DataverseClient, logicalNames: string[], definitions: Record<string, unknown>[]): Promise<void> {
  await batchPerTable(client, logicalNames, logicalNames.map((n, i) => putOperation(n, definitions[i])));
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
