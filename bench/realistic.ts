import { performance } from "node:perf_hooks";
import { DataverseClient } from "../components/dataverse/http/client";
import { makeChangeTrackingProvider } from "../components/dataverse/changeTracking";
import { isCustomizationLock, notTheLock } from "../components/dataverse/http/customizationLock";
import { quote } from "../components/dataverse/http/odata";
import { settingsFromEnv, type DataverseSettings } from "../components/dataverse/http/settings";
import { startEmulator, type Emulator } from "../emulator/server";

/**
 * The realistic profile: what a metadata step costs on a real environment. Real durations are not published
 * (UNCONFIRMED); field reports give seconds per metadata operation and tens of seconds to minutes per publish.
 */
export const REALISTIC = { metadataWriteMs: 2_000, publishMs: 20_000, latencyMs: 100 };

export interface RealisticRun {
  simulatedMs: number;
  failed?: string;
  maxInFlight: number;
  refusals: number;
  puts: number;
}
export interface RealisticRow {
  tables: number;
  floorMs: number;
  ours: RealisticRun;
  naive: RealisticRun;
}

/** Every duration setting times the scale, so the client's timeouts and backoffs keep their real proportions. */
export function scaledSettings(scale: number, base: DataverseSettings = settingsFromEnv()): DataverseSettings {
  const s = (ms: number) => Math.max(1, Math.round(ms * scale));
  return {
    ...base,
    requestTimeoutMs: s(base.requestTimeoutMs),
    retryBudgetMs: s(base.retryBudgetMs),
    retryBaseMs: s(base.retryBaseMs),
    replicationWaitMs: s(base.replicationWaitMs),
    publishTimeoutMs: s(base.publishTimeoutMs),
    metadataTimeoutMs: s(base.metadataTimeoutMs),
    lockWaitMs: s(base.lockWaitMs),
    lockBackoffBaseMs: s(base.lockBackoffBaseMs),
    lockBackoffMaxMs: s(base.lockBackoffMaxMs),
    progressIntervalMs: s(base.progressIntervalMs),
    waveGatherMs: s(base.waveGatherMs),
  };
}

/** The serial floor: every write one after the other, one publish, three round trips' latency (read, write, publish). */
export const serialFloorMs = (tables: number) =>
  tables * REALISTIC.metadataWriteMs + REALISTIC.publishMs + 3 * REALISTIC.latencyMs;

const tableNames = (n: number) => Array.from({ length: n }, (_, i) => `new_table${String(i + 1).padStart(3, "0")}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A careful script: reads and writes at most NAIVE_PARALLEL tables at a time, retries a lock answer with its own
 * backoff (2 s doubling to 30 s, 10 attempts, scaled), then publishes once the same way.
 */
const NAIVE_PARALLEL = 4;
async function carefulNaive(client: DataverseClient, tables: string[], scale: number): Promise<void> {
  const lockAware = async <T>(send: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (err) {
        if (!isCustomizationLock(err) || attempt >= 10) throw err;
        await sleep(Math.min(30_000, 2_000 * 2 ** (attempt - 1)) * scale);
      }
    }
  };
  const queue = [...tables];
  const worker = async () => {
    for (let table = queue.shift(); table; table = queue.shift()) {
      const path = `/EntityDefinitions(LogicalName=${quote(table)})`;
      const definition = await client.get<Record<string, unknown>>(path);
      await lockAware(() =>
        client.request(
          "PUT",
          path,
          { ...definition, ChangeTrackingEnabled: true },
          { "MSCRM.MergeLabels": "true" },
          { retryWhen: notTheLock },
        ),
      );
    }
  };
  await Promise.all(Array.from({ length: NAIVE_PARALLEL }, worker));
  const xml = `<importexportxml><entities>${tables.map((t) => `<entity>${t}</entity>`).join("")}</entities></importexportxml>`;
  await lockAware(() =>
    client.request("POST", "/PublishXml", { ParameterXml: xml }, undefined, {
      timeoutMs: client.settings.publishTimeoutMs,
      retryWhen: notTheLock,
    }),
  );
}

async function timed(
  tables: number,
  scale: number,
  work: (e: Emulator, client: DataverseClient) => Promise<void>,
): Promise<RealisticRun> {
  const emulator = await startEmulator({ extraTables: tables });
  try {
    Object.assign(emulator.faults, REALISTIC, { timeScale: scale });
    const client = new DataverseClient(emulator.url, {
      tokenSource: async () => emulator.token,
      settings: scaledSettings(scale),
      log: () => {},
    });
    const started = performance.now();
    let failed: string | undefined;
    try {
      await work(emulator, client);
    } catch (err) {
      failed = (err as Error).message.slice(0, 120);
    }
    const simulatedMs = (performance.now() - started) / scale;
    return {
      simulatedMs,
      failed,
      maxInFlight: emulator.faults.lock.maxInFlight,
      refusals: emulator.faults.lock.refusals,
      puts: emulator.log.filter((r) => r.method === "PUT").length,
    };
  } finally {
    await emulator.close();
  }
}

export async function realisticRow(tables: number, scale: number): Promise<RealisticRow> {
  const names = tableNames(tables);
  const ours = await timed(tables, scale, async (e, client) => {
    await makeChangeTrackingProvider({ clientFactory: () => client, log: () => {} }).create!({
      environmentUrl: e.url,
      entities: names,
    });
  });
  const naive = await timed(tables, scale, (_e, client) => carefulNaive(client, names, scale));
  return { tables, floorMs: serialFloorMs(tables), ours, naive };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const cell = (run: RealisticRun, floorMs: number) =>
  run.failed ? `failed (${run.failed})` : `${secs(run.simulatedMs)} (${(run.simulatedMs / floorMs).toFixed(2)}x)`;

export function renderRealistic(rows: RealisticRow[]): string {
  return [
    "| tables | serial floor | ours (x floor) | careful naive (x floor) | ours: PUTs, max in flight, lock refusals | naive: PUTs, max in flight, lock refusals |",
    "|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.tables} | ${secs(r.floorMs)} | ${cell(r.ours, r.floorMs)} | ${cell(r.naive, r.floorMs)} | ${r.ours.puts}, ${r.ours.maxInFlight}, ${r.ours.refusals} | ${r.naive.puts}, ${r.naive.maxInFlight}, ${r.naive.refusals} |`,
    ),
  ].join("\n");
}
