import { z } from "zod";

/**
 * Client limits, read from the environment of the process running the provider (the Pulumi CLI passes its
 * environment through). Every wait and retry is bounded by these.
 * Built on call: a module-level zod object would be captured by Pulumi's closure serialization, which cannot
 * serialize zod's internals.
 */
const buildSchema = () => {
  const ms = (fallback: number, min: number) => z.coerce.number().int().min(min).default(fallback);
  return z.object({
    /** Per-request timeout. */
    DATAVERSE_REQUEST_TIMEOUT_MS: ms(30_000, 100),
    /** Attempts per request, first included. */
    DATAVERSE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
    /** Total time one request may spend across retries and waits before giving up. */
    DATAVERSE_RETRY_BUDGET_MS: ms(120_000, 0),
    /** First backoff step for 5xx and network errors (doubles per attempt, with full jitter). */
    DATAVERSE_RETRY_BASE_MS: ms(500, 1),
    /** Requests in flight at once per environment; Dataverse's own limit is 52 per user and server. */
    DATAVERSE_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(40).default(8),
    /** How long a new application user's creation is retried while its service principal replicates. */
    DATAVERSE_REPLICATION_WAIT_MS: ms(300_000, 0),
    /** Rows per page asked with `Prefer: odata.maxpagesize`. */
    DATAVERSE_PAGE_SIZE: z.coerce.number().int().min(1).max(5000).default(5000),
    /** Timeout of one PublishXml, and the time spent waiting for another publish in the environment to finish. */
    DATAVERSE_PUBLISH_TIMEOUT_MS: ms(600_000, 100),
    /**
     * Timeout of one metadata write request (a PUT of a table definition, or a $batch of them). Metadata writes take
     * seconds each and Dataverse caps a message at 2 minutes; batches are sized by measured time to a quarter of this.
     */
    DATAVERSE_METADATA_TIMEOUT_MS: ms(120_000, 100),
    /** How long one customization operation waits out "another operation is running" (the customization lock) in all. */
    DATAVERSE_LOCK_WAIT_MS: ms(1_800_000, 0),
    /** First wait after a lock answer; doubles per answer (with jitter) up to DATAVERSE_LOCK_BACKOFF_MAX_MS. */
    DATAVERSE_LOCK_BACKOFF_BASE_MS: ms(5_000, 1),
    /** Longest single wait between lock answers. */
    DATAVERSE_LOCK_BACKOFF_MAX_MS: ms(60_000, 1),
    /** Least time between two progress lines of one long metadata step. */
    DATAVERSE_PROGRESS_INTERVAL_MS: ms(15_000, 0),
    /** How long change-tracking resources of one environment wait for each other to form one wave. */
    DATAVERSE_WAVE_GATHER_MS: ms(25, 0),
  });
};

export type DataverseSettings = {
  requestTimeoutMs: number;
  maxAttempts: number;
  retryBudgetMs: number;
  retryBaseMs: number;
  maxConcurrency: number;
  replicationWaitMs: number;
  pageSize: number;
  publishTimeoutMs: number;
  metadataTimeoutMs: number;
  lockWaitMs: number;
  lockBackoffBaseMs: number;
  lockBackoffMaxMs: number;
  progressIntervalMs: number;
  waveGatherMs: number;
};

/** Reads and validates the settings; a bad value fails with the variable's name. */
export function settingsFromEnv(env: Record<string, string | undefined> = process.env): DataverseSettings {
  const schema = buildSchema();
  const relevant = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, env[k] === "" ? undefined : env[k]]));
  const parsed = schema.safeParse(relevant);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; ");
    throw new Error(`invalid Dataverse client settings: ${problems}`);
  }
  const s = parsed.data;
  return {
    requestTimeoutMs: s.DATAVERSE_REQUEST_TIMEOUT_MS,
    maxAttempts: s.DATAVERSE_MAX_ATTEMPTS,
    retryBudgetMs: s.DATAVERSE_RETRY_BUDGET_MS,
    retryBaseMs: s.DATAVERSE_RETRY_BASE_MS,
    maxConcurrency: s.DATAVERSE_MAX_CONCURRENCY,
    replicationWaitMs: s.DATAVERSE_REPLICATION_WAIT_MS,
    pageSize: s.DATAVERSE_PAGE_SIZE,
    publishTimeoutMs: s.DATAVERSE_PUBLISH_TIMEOUT_MS,
    metadataTimeoutMs: s.DATAVERSE_METADATA_TIMEOUT_MS,
    lockWaitMs: s.DATAVERSE_LOCK_WAIT_MS,
    lockBackoffBaseMs: s.DATAVERSE_LOCK_BACKOFF_BASE_MS,
    lockBackoffMaxMs: s.DATAVERSE_LOCK_BACKOFF_MAX_MS,
    progressIntervalMs: s.DATAVERSE_PROGRESS_INTERVAL_MS,
    waveGatherMs: s.DATAVERSE_WAVE_GATHER_MS,
  };
}
