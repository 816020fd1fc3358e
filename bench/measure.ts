import { performance } from "node:perf_hooks";
import { DataverseClient } from "../components/dataverse/http/client";
import { settingsFromEnv } from "../components/dataverse/http/settings";
import { countStages, isWrite, roundTrips } from "../emulator/requestLog";
import { startEmulator, type Emulator } from "../emulator/server";
import type { BenchCase } from "./cases";

export interface Conditions {
  latencyMs: number;
  operationCostMs: number;
}

export interface Measured {
  requests: number;
  writes: number;
  stages: number;
  wallMs: number;
}

export interface Sample {
  ours: Measured;
  rerun: Omit<Measured, "wallMs">;
  sequential: Measured;
  capped: Measured;
}

type Work = (emulator: Emulator, client: () => DataverseClient) => Promise<void>;

/** Runs `work` on a fresh emulator; only `work` is timed. `after` runs on the same emulator, counted apart. */
async function onFreshEmulator(
  c: BenchCase,
  conditions: Conditions,
  work: Work,
  after?: Work,
): Promise<{ first: Measured; after?: Omit<Measured, "wallMs"> }> {
  const emulator = await startEmulator({ extraTables: c.tables });
  try {
    emulator.faults.latencyMs = conditions.latencyMs;
    emulator.faults.operationCostMs = conditions.operationCostMs;
    const settings = settingsFromEnv();
    const client = () =>
      new DataverseClient(emulator.url, { tokenSource: async () => emulator.token, settings, log: () => {} });
    const started = performance.now();
    // A naive script may fail (the customization lock refuses its concurrent writes): its time is then NaN, shown as failed.
    const failed = await work(emulator, client).then(
      () => false,
      () => true,
    );
    const wallMs = failed ? Number.NaN : performance.now() - started;
    const firstLog = [...emulator.log];
    const first = {
      requests: roundTrips(firstLog).length,
      writes: firstLog.filter(isWrite).length,
      stages: countStages(firstLog),
      wallMs,
    };
    if (!after) return { first };
    emulator.log.splice(0);
    await after(emulator, client);
    return {
      first,
      after: {
        requests: roundTrips(emulator.log).length,
        writes: emulator.log.filter(isWrite).length,
        stages: countStages(emulator.log),
      },
    };
  } finally {
    await emulator.close();
  }
}

export async function sample(c: BenchCase, conditions: Conditions): Promise<Sample> {
  const ours = await onFreshEmulator(c, conditions, c.ours, c.rerun);
  const sequential = await onFreshEmulator(c, conditions, c.naive("sequential"));
  const capped = await onFreshEmulator(c, conditions, c.naive("capped"));
  return { ours: ours.first, rerun: ours.after!, sequential: sequential.first, capped: capped.first };
}
