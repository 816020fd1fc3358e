import type { BatchOperation } from "./http/batch";
import type { DataverseClient } from "./http/client";
import { DataverseError, isDataverseError } from "./http/errors";
import { isTimeout, isTransient } from "./http/retryPolicy";
import { trackedTables } from "./changeTrackingWriter";
import { formatDuration, isCustomizationLock, runCustomization, sendCustomization } from "./http/customizationLock";
import { quote, withQuery } from "./http/odata";

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
  return client.getAll<EntityTrackingRow>(
    withQuery("/EntityDefinitions", {
      $select: "LogicalName,MetadataId,ChangeTrackingEnabled,CanChangeTrackingBeEnabled",
      $filter: logicalNames.map((n) => `LogicalName eq ${quote(n)}`).join(" or "),
    }),
  );
}

/**
 * Runs the operations as one `$batch` round trip. Whether Dataverse accepts metadata writes inside `$batch` is
 * UNCONFIRMED by Microsoft's docs (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api; Microsoft's own Python Dataverse SDK batches table metadata
 * operations, microsoft/PowerPlatform-DataverseClient-Python#129, but no doc states it for EntityDefinitions PUT).
 * So: a batch refused as a whole is done again one request per table; a part that failed (transiently, or refused
 * on its own) is sent again on its own; a part that fails on its own too fails the step, naming its table.
 */
async function batchPerTable(
  client: DataverseClient,
  names: string[],
  operations: BatchOperation[],
  options: { missingAsNull?: boolean; spread?: boolean } = {},
): Promise<unknown[]> {
  const missing = (status: number | undefined) => options.missingAsNull === true && status === 404;
  const single = async (i: number) => {
    const op = operations[i];
    try {
      return (await client.request(op.method, op.path, op.body, op.headers)).data;
    } catch (err) {
      if (isDataverseError(err) && missing(err.status)) return null;
      if (isDataverseError(err))
        throw new DataverseError(
          err.method,
          err.path,
          err.status,
          err.code,
          `${err.detail} (table ${names[i]})`,
          err.attempts,
          err.retryAfterMs,
        );
      throw err;
    }
  };
  let parts;
  try {
    parts = await client.batch(operations, { spread: options.spread });
  } catch (err) {
    if (!isDataverseError(err) || isTransient(err) || err.status === 401 || err.status === 403) throw err;
    return Promise.all(operations.map((_op, i) => single(i)));
  }
  return Promise.all(
    parts.map(async (part, i) => (part.status < 400 ? part.body : missing(part.status) ? null : single(i))),
  );
}

/**
 * Full definitions of the tables, by logical name, in one round trip; a table that does not exist (404) is absent.
 * PUT must send every property back, and a full definition carries the tracking flags too (ChangeTrackingEnabled,
 * CanChangeTrackingBeEnabled: emulator/recorded/tf-power-platform/entitydefinition_contact.json), so enabling
 * needs no separate state query: read, write, publish. The reads are spread over parallel batches (reads do not take
 * the customization lock); the writes go one writer per environment (changeTrackingWriter.ts).
 */
export async function definitionsByName(
  client: DataverseClient,
  logicalNames: string[],
): Promise<Map<string, EntityTrackingRow & Record<string, unknown>>> {
  const bodies = await batchPerTable(
    client,
    logicalNames,
    logicalNames.map((n) => ({ method: "GET", path: definitionPath(n) })),
    { missingAsNull: true, spread: true },
  );
  const found = new Map<string, EntityTrackingRow & Record<string, unknown>>();
  bodies.forEach((body, i) => {
    if (body) found.set(logicalNames[i], body as EntityTrackingRow & Record<string, unknown>);
  });
  return found;
}

/** `<importexportxml><entities><entity>a</entity>...</entities></importexportxml>` */
export function publishXml(logicalNames: string[]): string {
  const entities = logicalNames.map((n) => `<entity>${n}</entity>`).join("");
  return `<importexportxml><entities>${entities}</entities></importexportxml>`;
}

/** "Another publish or customization is running": the customization lock's answer (customizationLock.ts). */
export const isPublishBusy = isCustomizationLock;

/**
 * Publishes the tables in one PublishXml call, in the environment's customization queue, with its own timeout
 * (DATAVERSE_PUBLISH_TIMEOUT_MS; publishing can take minutes). Lock answers ("another operation is running") are
 * waited out with bounded backoff (DATAVERSE_LOCK_WAIT_MS), with progress lines. A publish that timed out may still
 * be running server-side, so it is not sent again at once: the tables' state is read first (the definitions must
 * read as tracked), then the publish is sent again; while the first one runs, the lock refuses it and it waits.
 * A second timeout ends the step with a clear error.
 */
export async function publishTables(
  client: DataverseClient,
  logicalNames: string[],
  log: (line: string) => void = () => undefined,
): Promise<void> {
  await runCustomization(client.environmentUrl, async () => {
    const { publishTimeoutMs, progressIntervalMs } = client.settings;
    const what = `PublishXml of ${logicalNames.join(", ")}`;
    let lastLine = Number.NEGATIVE_INFINITY;
    const listener = {
      waiting: (waitedMs: number) => {
        if (Date.now() - lastLine < progressIntervalMs) return;
        lastLine = Date.now();
        log(
          `change tracking in ${client.environmentUrl}: publishing ${logicalNames.length} table${logicalNames.length === 1 ? "" : "s"}, waiting for another operation to finish (${formatDuration(waitedMs)})`,
        );
      },
    };
    log(
      `change tracking in ${client.environmentUrl}: publishing ${logicalNames.length} table${logicalNames.length === 1 ? "" : "s"}`,
    );
    const send = () =>
      sendCustomization(
        client,
        what,
        (options) =>
          client.request("POST", "/PublishXml", { ParameterXml: publishXml(logicalNames) }, undefined, options),
        { timeoutMs: publishTimeoutMs, listener },
      );
    try {
      await send();
      return;
    } catch (err) {
      if (!isTimeout(err)) throw err;
    }
    const on = await trackedTables(client, logicalNames);
    const off = logicalNames.filter((n) => !on.has(n));
    if (off.length)
      throw new Error(
        `PublishXml timed out and change tracking reads as off for ${off.join(", ")} in ${client.environmentUrl}: run \`pulumi up\` again`,
      );
    log(
      `PublishXml in ${client.environmentUrl}: timed out after ${formatDuration(publishTimeoutMs)}, may still be running; tables read as tracked; publishing again once it is over`,
    );
    try {
      await send();
    } catch (err) {
      if (!isTimeout(err)) throw err;
      throw new Error(
        `${what} in ${client.environmentUrl} did not finish: it timed out twice after ${formatDuration(publishTimeoutMs)}. ` +
          "Change tracking is on; publish the tables in the maker portal, or run `pulumi up` again (raise DATAVERSE_PUBLISH_TIMEOUT_MS for slow environments).",
        { cause: err },
      );
    }
  });
}
