import type { BatchOperation } from "./http/batch";
import type { DataverseClient } from "./http/client";
import type { ChangeTrackingProgress } from "./changeTrackingProgress";
import {
  isCustomizationLock,
  isTransientMetadataError,
  LockWait,
  notTheLock,
  sendCustomization,
} from "./http/customizationLock";
import { DataverseError, isDataverseError } from "./http/errors";
import { quote, withQuery } from "./http/odata";
import { isTimeout } from "./http/retryPolicy";

/** Most writes in one $batch, whatever the measured time allows. */
const MAX_BATCH = 100;
/** A batch's expected server time aims at this share of DATAVERSE_METADATA_TIMEOUT_MS. */
const TIME_SHARE = 0.25;
/** Attempts per table on transient metadata errors (0x80060891, SQL deadlock, transient cache errors). */
const TRANSIENT_ATTEMPTS = 4;
/** Fewest read-backs of a timed-out write before it is taken as no longer running. */
const STALE_READS = 3;

const definitionPath = (logicalName: string) => `/EntityDefinitions(LogicalName=${quote(logicalName)})`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Pending {
  table: string;
  /** A write of it timed out: it may still be running, so its state is read back before any new write. */
  suspect: boolean;
  transientFailures: number;
}

/**
 * Writes the definitions back with change tracking on, one customization operation at a time (call it inside
 * runCustomization). Batches are sized by measured time: the first table goes alone, then each batch holds as many
 * tables as the last writes' time per table fits in a quarter of the metadata timeout (Dataverse runs a batch's
 * parts one after the other, so a batch's server time is the sum of its parts). Lock answers are waited out; a
 * write that timed out is never sent again before the table's state has been read back.
 */
export async function writeChangeTracking(
  client: DataverseClient,
  tables: string[],
  definitions: Map<string, Record<string, unknown>>,
  progress: ChangeTrackingProgress,
): Promise<void> {
  const { metadataTimeoutMs, lockBackoffBaseMs, retryBaseMs } = client.settings;
  const queue: Pending[] = tables.map((table) => ({ table, suspect: false, transientFailures: 0 }));
  const lockWait = new LockWait(client, "change tracking", progress);
  let msPerWrite: number | undefined;
  let batchRefused = false;

  const put = (table: string): BatchOperation => ({
    method: "PUT",
    path: definitionPath(table),
    body: { ...definitions.get(table), ChangeTrackingEnabled: true },
    headers: { "MSCRM.MergeLabels": "true" },
  });
  const named = (err: unknown, table: string) =>
    isDataverseError(err)
      ? new DataverseError(
          err.method,
          err.path,
          err.status,
          err.code,
          `${err.detail} (table ${table})`,
          err.attempts,
          err.retryAfterMs,
        )
      : err;
  const retryLater = async (item: Pending, err: unknown) => {
    item.transientFailures += 1;
    if (item.transientFailures >= TRANSIENT_ATTEMPTS) throw named(err, item.table);
    queue.unshift(item);
    await sleep(lockBackoffBaseMs);
  };

  /**
   * Reads back the tables a timed-out write may still be writing until they are all on or nothing has changed for
   * twice the metadata timeout (the write has then had three timeouts' time); answers those still off. Only reads
   * are sent meanwhile: nothing that could queue behind, or be refused by, the write still running.
   */
  const settle = async (items: Pending[]): Promise<Pending[]> => {
    progress.settling(items.length);
    const pollMs = Math.max(retryBaseMs, Math.min(msPerWrite ?? metadataTimeoutMs / 4, metadataTimeoutMs / 2));
    let off = items;
    let lastChange = Date.now();
    for (
      let reads = 0;
      off.length && (reads < STALE_READS || Date.now() - lastChange < 2 * metadataTimeoutMs);
      reads++
    ) {
      await sleep(pollMs);
      const on = await trackedTables(
        client,
        off.map((i) => i.table),
      );
      const still = off.filter((i) => !on.has(i.table));
      progress.wrote(off.length - still.length);
      if (still.length < off.length) lastChange = Date.now();
      off = still;
    }
    off.forEach((i) => {
      i.suspect = true;
    });
    return off;
  };

  /** Drops from the chunk the suspects that read as on now (their timed-out write finished after all). */
  const confirmSuspects = async (chunk: Pending[]): Promise<Pending[]> => {
    const suspects = chunk.filter((i) => i.suspect);
    if (!suspects.length) return chunk;
    const on = await trackedTables(
      client,
      suspects.map((i) => i.table),
    );
    progress.wrote(suspects.filter((i) => on.has(i.table)).length);
    return chunk.filter((i) => !on.has(i.table));
  };

  const writeAlone = async (item: Pending): Promise<void> => {
    const op = put(item.table);
    let attemptStarted = Date.now();
    try {
      const sent = await sendCustomization(
        client,
        "change tracking",
        (options) => {
          attemptStarted = Date.now();
          return client.request(op.method, op.path, op.body, op.headers, options);
        },
        {
          timeoutMs: metadataTimeoutMs,
          listener: progress,
          stillNeeded: item.suspect
            ? async () => !(await trackedTables(client, [item.table])).has(item.table)
            : undefined,
        },
      );
      if (sent) msPerWrite = Date.now() - attemptStarted;
      progress.wrote(1);
    } catch (err) {
      if (isTimeout(err)) {
        queue.unshift(...(await settle([item])));
        msPerWrite = Math.max(msPerWrite ?? 0, metadataTimeoutMs);
        return;
      }
      if (isTransientMetadataError(err)) {
        await retryLater(item, err);
        return;
      }
      throw named(err, item.table);
    }
  };

  const writeBatch = async (chunk: Pending[]): Promise<void> => {
    const started = Date.now();
    let parts;
    try {
      parts = await client.batch(
        chunk.map((i) => put(i.table)),
        { request: { timeoutMs: metadataTimeoutMs, retryTimeouts: false, retryWhen: notTheLock } },
      );
    } catch (err) {
      if (isCustomizationLock(err)) {
        queue.unshift(...chunk);
        await lockWait.after(err);
        return;
      }
      if (isTimeout(err)) {
        const still = await settle(chunk);
        msPerWrite = (Date.now() - started) / Math.max(1, chunk.length - still.length);
        queue.unshift(...still);
        return;
      }
      if (
        isDataverseError(err) &&
        err.status !== undefined &&
        err.status < 500 &&
        ![401, 403, 429].includes(err.status)
      ) {
        batchRefused = true; // metadata writes refused in $batch: one request per table from now on
        queue.unshift(...chunk);
        return;
      }
      throw err;
    }
    const ran = parts.filter((p) => p.status < 400).length;
    if (ran) msPerWrite = (Date.now() - started) / ran;
    progress.wrote(ran);
    const retry: Pending[] = [];
    let lockAnswer: unknown;
    for (const [i, part] of parts.entries()) {
      if (part.status < 400) continue;
      const error = (part.body as { error?: { code?: string; message?: string } } | undefined)?.error;
      const err = new DataverseError(
        "PUT",
        put(chunk[i].table).path,
        part.status,
        error?.code ?? "",
        error?.message ?? "metadata write failed",
      );
      if (isCustomizationLock(err)) {
        retry.push(chunk[i]);
        lockAnswer = err;
      } else if (isTransientMetadataError(err)) await retryLater(chunk[i], err);
      else await writeAlone(chunk[i]); // refused inside $batch: on its own, through the same lock-aware path
    }
    queue.unshift(...retry);
    if (lockAnswer) await lockWait.after(lockAnswer);
    else lockWait.reset();
  };

  progress.start();
  while (queue.length) {
    const size =
      batchRefused || msPerWrite === undefined
        ? 1
        : Math.max(1, Math.min(MAX_BATCH, Math.floor((metadataTimeoutMs * TIME_SHARE) / msPerWrite)));
    const chunk = await confirmSuspects(queue.splice(0, size));
    if (!chunk.length) continue;
    if (chunk.length === 1) await writeAlone(chunk[0]);
    else await writeBatch(chunk);
  }
}

/** The tables among `tables` whose change tracking reads as on, read with `Consistency: Strong` (fresh metadata). */
export async function trackedTables(client: DataverseClient, tables: string[]): Promise<Set<string>> {
  const on = new Set<string>();
  let next: string | undefined = withQuery("/EntityDefinitions", {
    $select: "LogicalName,ChangeTrackingEnabled",
    $filter: tables.map((n) => `LogicalName eq ${quote(n)}`).join(" or "),
  });
  while (next) {
    const page: { value: { LogicalName: string; ChangeTrackingEnabled: boolean }[]; "@odata.nextLink"?: string } =
      await client.get(next, { Consistency: "Strong" });
    page.value.filter((r) => r.ChangeTrackingEnabled).forEach((r) => on.add(r.LogicalName.toLowerCase()));
    next = page["@odata.nextLink"] ? client.relativePath(page["@odata.nextLink"]) : undefined;
  }
  return on;
}
