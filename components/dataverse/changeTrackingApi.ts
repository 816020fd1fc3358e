import type { BatchOperation } from "./batch";
import type { DataverseClient } from "./client";
import { DataverseError, isDataverseError } from "./errors";
import { isTimeout, isTransient, retryDelayMs } from "./retryPolicy";
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
 * Runs the operations as one `$batch` round trip. Whether Dataverse accepts metadata writes inside `$batch` is
 * UNCONFIRMED by Microsoft's docs (REFERENCE.md 4.7; Microsoft's own Python Dataverse SDK batches table metadata
 * operations, microsoft/PowerPlatform-DataverseClient-Python#129, but no doc states it for EntityDefinitions PUT).
 * So: a batch refused as a whole is done again one request per table; a part that failed (transiently, or refused
 * on its own) is sent again on its own; a part that fails on its own too fails the step, naming its table.
 */
async function batchPerTable(client: DataverseClient, names: string[], operations: BatchOperation[], options: { missingAsNull?: boolean; spread?: boolean } = {}): Promise<unknown[]> {
  const missing = (status: number | undefined) => options.missingAsNull === true && status === 404;
  const single = async (i: number) => {
    const op = operations[i];
    try {
      return (await client.request(op.method, op.path, op.body, op.headers)).data;
    } catch (err) {
      if (isDataverseError(err) && missing(err.status)) return null;
      if (isDataverseError(err)) throw new DataverseError(err.method, err.path, err.status, err.code, `${err.detail} (table ${names[i]})`, err.attempts, err.retryAfterMs);
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
  return Promise.all(parts.map(async (part, i) => (part.status < 400 ? part.body : missing(part.status) ? null : single(i))));
}

/**
 * Full definitions of the tables, by logical name, in one round trip; a table that does not exist (404) is absent.
 * PUT must send every property back, and a full definition carries the tracking flags too (ChangeTrackingEnabled,
 * CanChangeTrackingBeEnabled: real-api-fixtures/tf-power-platform/entitydefinition_contact.json), so enabling
 * needs no separate state query: read, write, publish. The reads are spread over parallel batches; the writes stay
 * in one batch, one table after the other, since whether concurrent metadata writes to one environment conflict is
 * UNCONFIRMED.
 */
export async function definitionsByName(client: DataverseClient, logicalNames: string[]): Promise<Map<string, EntityTrackingRow & Record<string, unknown>>> {
  const bodies = await batchPerTable(client, logicalNames, logicalNames.map((n) => ({ method: "GET", path: definitionPath(n) })), { missingAsNull: true, spread: true });
  const found = new Map<string, EntityTrackingRow & Record<string, unknown>>();
  bodies.forEach((body, i) => { if (body) found.set(logicalNames[i], body as EntityTrackingRow & Record<string, unknown>); });
  return found;
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

/**
 * "Another publish or customization is running": the wording and code are UNCONFIRMED by Microsoft's docs; tools
 * that automate customizations retry on it (REFERENCE.md 3.4). Matched loosely on purpose.
 */
export function isPublishBusy(err: unknown): boolean {
  return isDataverseError(err) && err.status !== undefined && err.status < 500 && err.status !== 401 && err.status !== 403 &&
    (err.code === "0x80071151" || /another .{0,40}(running|in progress)|customization operation/i.test(err.detail));
}

/**
 * Runs `work` after every earlier publish of the same environment in this provider process has finished:
 * ChangeTracking resources of one environment in one `pulumi up` never publish at the same time.
 * (The registry lives on globalThis: module state is not shared between serialized provider closures.)
 */
export function withPublishLock<T>(environmentUrl: string, work: () => Promise<T>): Promise<T> {
  const locks = ((globalThis as Record<string, unknown>).__crmSyncPublishLocks ??= new Map()) as Map<string, Promise<unknown>>;
  const previous = locks.get(environmentUrl) ?? Promise.resolve();
  const run = previous.then(work, work);
  locks.set(environmentUrl, run.catch(() => undefined));
  return run;
}

/**
 * Publishes the tables in one PublishXml call, with its own timeout (DATAVERSE_PUBLISH_TIMEOUT_MS; publishing can
 * take minutes). "Another publish running" answers back off and retry. A publish that timed out may still be running
 * server-side, so it is not sent again at once: the tables' state is read first (the definitions must read as
 * tracked), then the publish is sent again once the running one is over (busy answers say it is not). A second
 * timeout ends the step with a clear error. Waiting is bounded by the publish timeout plus DATAVERSE_RETRY_BUDGET_MS.
 */
export async function publishTables(client: DataverseClient, logicalNames: string[], log: (line: string) => void = () => undefined): Promise<void> {
  await withPublishLock(client.environmentUrl, async () => {
    const { publishTimeoutMs, retryBudgetMs, retryBaseMs } = client.settings;
    const deadline = Date.now() + publishTimeoutMs + retryBudgetMs;
    let timeouts = 0;
    for (let attempt = 1; ; attempt++) {
      const timeoutMs = Math.max(1, Math.min(publishTimeoutMs, deadline - Date.now()));
      try {
        await client.request("POST", "/PublishXml", { ParameterXml: publishXml(logicalNames) }, undefined, { timeoutMs, retryTimeouts: false });
        return;
      } catch (err) {
        const timedOut = isTimeout(err);
        if (!timedOut && !isPublishBusy(err)) throw err;
        const fail = (why: string) => new Error(`PublishXml of ${logicalNames.join(", ")} in ${client.environmentUrl} did not finish: ${why}. ` +
          "Change tracking is on; publish the tables in the maker portal, or run `pulumi up` again (raise DATAVERSE_PUBLISH_TIMEOUT_MS for slow environments).");
        if (timedOut) {
          timeouts += 1;
          if (timeouts > 1) throw fail(`it timed out twice after ${Math.round(publishTimeoutMs / 1000)} s`);
          const rows = await trackingStates(client, logicalNames);
          const off = logicalNames.filter((n) => !rows.some((r) => r.LogicalName.toLowerCase() === n && r.ChangeTrackingEnabled));
          if (off.length) throw new Error(`PublishXml timed out and change tracking reads as off for ${off.join(", ")} in ${client.environmentUrl}: run \`pulumi up\` again`);
        }
        const delay = retryDelayMs(Math.min(attempt, 6), retryBaseMs * 4, undefined);
        if (Date.now() + delay >= deadline) throw fail(timedOut ? "it timed out and there was no time left to confirm it" : "another publish kept running");
        log(`PublishXml in ${client.environmentUrl}: ${timedOut ? "timed out, may still be running; tables read as tracked" : "another publish is running"}; trying again in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  });
}
