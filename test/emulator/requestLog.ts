export interface LoggedRequest {
  method: string;
  /** Path below /api/data/v9.2, query excluded, percent-decoded. */
  path: string;
  /** Decoded query string. */
  query: string;
  status: number;
  /** Request headers the assertions care about (never Authorization). */
  headers: { prefer?: string; mergeLabels?: string };
  body?: unknown;
  startedAt: number;
  endedAt: number;
}

export const isWrite = (r: LoggedRequest) => r.method !== "GET";

/**
 * Sequential round-trip stages: requests overlapping in time share a stage; a request that starts after
 * every earlier one has ended opens a new stage. With latency injected this counts the waits a caller sat through.
 */
export function countStages(requests: LoggedRequest[]): number {
  const sorted = [...requests].sort((a, b) => a.startedAt - b.startedAt);
  let stages = 0;
  let stageEnd = -Infinity;
  for (const r of sorted) {
    if (r.startedAt >= stageEnd) {
      stages += 1;
      stageEnd = r.endedAt;
    } else {
      stageEnd = Math.max(stageEnd, r.endedAt);
    }
  }
  return stages;
}
