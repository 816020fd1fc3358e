import { DataverseClient } from "../../components/dataverse/http/client";
import type { DataverseSettings } from "../../components/dataverse/http/settings";
import type { Emulator } from "../../emulator/server";
import { isWrite } from "../../emulator/requestLog";

/** Fast limits for tests: real retry logic, short waits. */
export const TEST_SETTINGS: DataverseSettings = {
  requestTimeoutMs: 2_000,
  maxAttempts: 5,
  retryBudgetMs: 10_000,
  retryBaseMs: 20,
  maxConcurrency: 4,
  replicationWaitMs: 10_000,
  pageSize: 2,
  publishTimeoutMs: 5_000,
  metadataTimeoutMs: 5_000,
  lockWaitMs: 10_000,
  lockBackoffBaseMs: 20,
  lockBackoffMaxMs: 200,
  progressIntervalMs: 0,
  waveGatherMs: 25,
};

export function clientFactory(emulator: Emulator, settings: Partial<DataverseSettings> = {}, lines: string[] = []) {
  return (url: string) =>
    new DataverseClient(url, {
      tokenSource: async () => emulator.token,
      settings: { ...TEST_SETTINGS, ...settings },
      log: (line) => lines.push(line),
    });
}

export const writes = (emulator: Emulator) => emulator.log.filter(isWrite);
export const rootBu = (emulator: Emulator) => emulator.data.businessUnits[0].businessunitid;
export const salesBu = (emulator: Emulator) => emulator.data.businessUnits[1].businessunitid;
export const roleId = (emulator: Emulator, name: string, bu: string) =>
  emulator.data.roles.find((r) => r.name === name && r._businessunitid_value === bu)!.roleid;

/**
 * Stages from dependency order, not clocks: a request's stage is one more than the highest stage among the requests
 * whose answers the caller had received before it sent this one. Requests a caller starts together (Promise.all)
 * are sent before any answer can arrive (an answer needs an I/O turn), so they share a stage however loaded the
 * machine is.
 */
export function stageRecorder() {
  const finished: number[] = [];
  const stages: { method: string; path: string; stage: number }[] = [];
  const wrap = (client: DataverseClient) => {
    const request = client.request.bind(client);
    client.request = (async (...args: Parameters<DataverseClient["request"]>) => {
      const stage = 1 + Math.max(0, ...finished);
      stages.push({ method: args[0], path: args[1], stage });
      try {
        return await request(...args);
      } finally {
        finished.push(stage);
      }
    }) as DataverseClient["request"];
    return client;
  };
  return { wrap, stages, count: () => Math.max(0, ...stages.map((s) => s.stage)) };
}
