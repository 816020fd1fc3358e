export interface LoggedRequest {
  method: string;
  /** Path below /api/data/v9.2, query excluded, percent-decoded. */
  path: string;
  /** Decoded query string. */
  query: string;
  status: number;
  /** Request headers the assertions care about (never Authorization). */
  headers: { prefer?: string; mergeLabels?: string; ifMatch?: string };
  body?: unknown;
  /** A part of a $batch request (the batch itself is the round trip). */
  batched?: boolean;
  startedAt: number;
  endedAt: number;
}

/** A request that changes data: a $batch counts through its parts, never as a whole (it may hold only reads). */
export const isWrite = (r: LoggedRequest) => r.method !== "GET" && !(r.path === "/$batch" && !r.batched);

/** The HTTP round trips (a $batch is one, whatever it holds). */
export const roundTrips = (log: LoggedRequest[]) => log.filter((r) => !r.batched);

/**
 * Sequential round trips a caller sat through: the longest chain of requests in which each one started only after
 * the one before it had ended. Requests in flight together share a step; a request that waited for a free slot
 * under the concurrency cap counts as one more step, as it should.
 */
export function countStages(requests: LoggedRequest[]): number {
  const sorted = [...requests].filter((r) => !r.batched).sort((a, b) => a.startedAt - b.startedAt);
  const depth: number[] = [];
  sorted.forEach((r, i) => {
    let best = 0;
    for (let j = 0; j < i; j++) if (sorted[j].endedAt <= r.startedAt && depth[j] > best) best = depth[j];
    depth[i] = best + 1;
  });
  return Math.max(0, ...depth);
}
