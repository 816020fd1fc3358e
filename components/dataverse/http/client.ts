// Over 300 lines: the one HTTP path every Dataverse request takes (token, deadline, retries, paging, batches), kept
// together so no request can skip a part of it; its policies live in retryPolicy.ts, settings.ts and batch.ts.
import axios, { type AxiosInstance, type AxiosResponse } from "axios";
import { bulkhead, DelegateBackoff, handleWhen, retry, type BulkheadPolicy } from "cockatiel";
import { buildBatchBody, parseBatchResponse, type BatchOperation, type BatchPartResponse } from "./batch";
import { DataverseError, isDataverseError } from "./errors";
import { isTimeout, isTransient, parseRetryAfterMs, retryDelayMs } from "./retryPolicy";
import { settingsFromEnv, type DataverseSettings } from "./settings";
import { defaultTokenSource, type TokenSource } from "./token";

export const API_PATH = "/api/data/v9.2";

export interface DataverseClientOptions {
  /** Where bearer tokens come from; default `DATAVERSE_ACCESS_TOKEN` or DefaultAzureCredential. */
  tokenSource?: TokenSource;
  /** Limits; default read from the environment (see settings.ts). */
  settings?: DataverseSettings;
  /** Progress lines (retries, waits); default stderr. Never receives tokens or headers. */
  log?: (line: string) => void;
}

export interface DataverseResponse<T = unknown> {
  status: number;
  data: T;
  headers: Record<string, string>;
}

/** A request body sent as is (a multipart $batch), not as JSON. */
class RawBody {
  constructor(readonly text: string) {}
}

/** Seam for tests and the sandbox: how provider operations get their client. */
export type ClientFactory = (environmentUrl: string) => DataverseClient;

/** Seams for tests and the sandbox; by default settings and token come from the provider process's environment. */
export interface ProviderOptions {
  clientFactory?: ClientFactory;
  /** Progress lines; default stderr. */
  log?: (line: string) => void;
}

const stderrLog = (line: string) => {
  process.stderr.write(`[dataverse] ${line}\n`);
};

/** A provider's progress log and its client per environment, from its options (defaults: stderr, a real client). */
export function providerContext(options: ProviderOptions): {
  log: (line: string) => void;
  clientFor: (environmentUrl: string) => DataverseClient;
} {
  const log = options.log ?? stderrLog;
  return {
    log,
    clientFor: (url) => (options.clientFactory ? options.clientFactory(url) : new DataverseClient(url, { log })),
  };
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * The fewest parts a spread batch holds: below it one more request (a concurrency slot, a service-protection count)
 * costs more than the server work it would share out. A judgement, not a measured figure: the real per-part cost of
 * a metadata read is UNCONFIRMED (see README "Benchmarks").
 */
const MIN_SPREAD_PARTS = 5;

const ODATA_HEADERS = {
  Accept: "application/json",
  "OData-MaxVersion": "4.0",
  "OData-Version": "4.0",
  "If-None-Match": "null",
};

/** One concurrency cap per environment for the whole process, whatever number of clients or resources. */
const registry = new Map<string, BulkheadPolicy>();
function sharedBulkhead(environmentUrl: string, limit: number): BulkheadPolicy {
  const key = `${environmentUrl}#${limit}`;
  let policy = registry.get(key);
  if (!policy) {
    policy = bulkhead(limit, Number.MAX_SAFE_INTEGER);
    registry.set(key, policy);
  }
  return policy;
}

function dataverseErrorFrom(method: Method, path: string, res: AxiosResponse): DataverseError {
  const body = res.data as { error?: { code?: string; message?: string } } | string | undefined;
  const error = typeof body === "object" ? body?.error : undefined;
  const detail =
    error?.message ?? (typeof body === "string" && body ? body.slice(0, 300) : res.statusText || "no message");
  return new DataverseError(
    method,
    path,
    res.status,
    error?.code ?? "",
    detail,
    1,
    parseRetryAfterMs(res.headers["retry-after"] as string | undefined),
  );
}

function networkError(method: Method, path: string, err: unknown): DataverseError {
  const e = err as { code?: string; message?: string };
  // Only the code and message are kept: axios errors also carry the request config, Authorization header included.
  return new DataverseError(method, path, undefined, e.code ?? "", e.message ?? "request failed");
}

/**
 * A total deadline per request: axios' `timeout` only counts idle time on the socket (a server trickling a byte
 * every 2 s holds it for ever), so the request is also aborted when the whole exchange exceeds the timeout.
 */
function deadlineOptions(ms: number): { timeout: number; signal: AbortSignal } {
  return { timeout: ms, signal: AbortSignal.timeout(ms) };
}

/** An abort by the deadline reads as the timeout it is (retried as one), never as a cancellation. */
function deadlineError(err: unknown, ms: number): unknown {
  const e = err as { code?: string; name?: string };
  if (e?.code === "ERR_CANCELED" || e?.name === "CanceledError" || e?.name === "TimeoutError") {
    return {
      code: "ETIMEDOUT",
      message: `timeout: no complete answer within the ${ms} ms request deadline (DATAVERSE_REQUEST_TIMEOUT_MS)`,
    };
  }
  return err;
}

/** More pages than any collection this program reads (5000 rows each): a server answering nextLinks for ever is refused. */
export const MAX_PAGES = 1000;

/** Stops `@odata.nextLink` paging that loops back to a page already read, or runs past MAX_PAGES. */
function checkPaging(collection: string, next: string, seen: Set<string>): void {
  if (seen.has(next))
    throw new DataverseError(
      "GET",
      collection,
      undefined,
      "",
      `@odata.nextLink loops back to a page already read (after ${seen.size} pages); refusing to follow it`,
    );
  if (seen.size >= MAX_PAGES)
    throw new DataverseError(
      "GET",
      collection,
      undefined,
      "",
      `more than ${MAX_PAGES} pages of @odata.nextLink; refusing to follow further`,
    );
  seen.add(next);
}

export interface RequestOptions {
  /** This request's timeout instead of DATAVERSE_REQUEST_TIMEOUT_MS (a publish takes longer than a read). */
  timeoutMs?: number;
  /** false: a timed-out request is not sent again (the work may still be running server-side). Default true. */
  retryTimeouts?: boolean;
  /** Further condition on a transient failure for this client's own quick retries (e.g. never for the customization lock, which its caller waits out). */
  retryWhen?: (err: unknown) => boolean;
}

/** Dataverse Web API client: OData headers, bearer auth, bounded retries, a concurrency cap, paging. */
export class DataverseClient {
  readonly apiRoot: string;
  private readonly http: AxiosInstance;
  readonly settings: DataverseSettings;
  private readonly tokenSource: TokenSource;
  private readonly log: (line: string) => void;
  private readonly cap: BulkheadPolicy;

  constructor(
    readonly environmentUrl: string,
    options: DataverseClientOptions = {},
  ) {
    this.apiRoot = `${environmentUrl}${API_PATH}`;
    this.settings = options.settings ?? settingsFromEnv();
    this.log = options.log ?? stderrLog;
    this.tokenSource = options.tokenSource ?? defaultTokenSource(environmentUrl, process.env, this.log);
    this.cap = sharedBulkhead(environmentUrl, this.settings.maxConcurrency);
    this.http = axios.create({
      baseURL: this.apiRoot,
      timeout: this.settings.requestTimeoutMs,
      validateStatus: () => true,
      maxRedirects: 0,
      proxy: false,
    });
  }

  get<T>(path: string, headers?: Record<string, string>): Promise<T> {
    return this.request<T>("GET", path, undefined, headers).then((r) => r.data);
  }

  /** Every row of a collection, following `@odata.nextLink` to the end. */
  async getAll<T>(path: string): Promise<T[]> {
    const rows: T[] = [];
    let next: string | undefined = path;
    const prefer = { Prefer: `odata.maxpagesize=${this.settings.pageSize}` };
    const seen = new Set<string>();
    while (next) {
      checkPaging(path, next, seen);
      const page: { value: T[]; "@odata.nextLink"?: string } = await this.get(next, prefer);
      if (!Array.isArray(page?.value))
        throw new DataverseError("GET", path, undefined, "", "a page of the collection has no value list");
      rows.push(...page.value);
      next = page["@odata.nextLink"] ? this.relativePath(page["@odata.nextLink"]) : undefined;
    }
    return rows;
  }

  /**
   * Sends the operations as `$batch` requests (one round trip per 1000 operations) and answers each part's
   * status and body, in order. Parts fail alone (`odata.continue-on-error`); the batch itself is retried like any
   * request when the whole of it fails transiently. Dataverse runs a batch's parts one after the other
   * (execute-batch-operations-using-web-api), so with `spread` the operations go as up to `maxConcurrency` batches
   * at once, none smaller than MIN_SPREAD_PARTS: the server's work is shared out and the round trips stay one stage.
   */
  async batch(
    operations: BatchOperation[],
    options: { spread?: boolean; request?: RequestOptions } = {},
  ): Promise<BatchPartResponse[]> {
    if (options.spread && operations.length > MIN_SPREAD_PARTS) {
      const size = Math.min(
        1000,
        Math.max(MIN_SPREAD_PARTS, Math.ceil(operations.length / this.settings.maxConcurrency)),
      );
      const chunks = Array.from({ length: Math.ceil(operations.length / size) }, (_, i) =>
        operations.slice(i * size, (i + 1) * size),
      );
      return (await Promise.all(chunks.map((chunk) => this.batch(chunk)))).flat();
    }
    const results: BatchPartResponse[] = [];
    for (let i = 0; i < operations.length; i += 1000) {
      const chunk = operations.slice(i, i + 1000);
      const boundary = `batch_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
      const res = await this.request<string>(
        "POST",
        "/$batch",
        new RawBody(buildBatchBody(boundary, this.apiRoot, chunk)),
        {
          "Content-Type": `multipart/mixed; boundary="${boundary}"`,
          Prefer: "odata.continue-on-error",
        },
        options.request,
      );
      const parts = parseBatchResponse(res.headers["content-type"] ?? "", String(res.data));
      if (parts.length !== chunk.length)
        throw new DataverseError(
          "POST",
          "/$batch",
          res.status,
          "",
          `answered ${parts.length} parts for ${chunk.length} operations`,
        );
      results.push(...parts);
    }
    return results;
  }

  request<T = unknown>(
    method: Method,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
    options: RequestOptions = {},
  ): Promise<DataverseResponse<T>> {
    const deadline = Date.now() + this.settings.retryBudgetMs;
    let attempts = 0;
    let nextDelay = 0;
    const policy = retry(
      handleWhen((err) => {
        if (!isTransient(err) || attempts >= this.settings.maxAttempts) return false;
        if (options.retryTimeouts === false && isTimeout(err)) return false;
        if (options.retryWhen && !options.retryWhen(err)) return false;
        nextDelay = retryDelayMs(attempts, this.settings.retryBaseMs, (err as DataverseError).retryAfterMs);
        if (Date.now() + nextDelay > deadline) return false;
        this.log(
          `${method} ${path}: ${(err as DataverseError).message.replace(/^Dataverse \S+ \S+ failed: /, "")}; retry ${attempts} of ${this.settings.maxAttempts - 1} in ${nextDelay} ms`,
        );
        return true;
      }),
      { maxAttempts: this.settings.maxAttempts - 1, backoff: new DelegateBackoff(() => nextDelay) },
    );
    return (
      policy
        // The token is fetched before a concurrency slot is taken: a slow token source must not hold request slots.
        .execute(async () => {
          const token = await this.tokenSource();
          return this.cap.execute(() => {
            attempts += 1;
            return this.send<T>(token, method, path, body, headers, options.timeoutMs);
          });
        })
        .catch((err) => {
          throw isDataverseError(err) && attempts > 1 ? err.withAttempts(attempts) : err;
        })
    );
  }

  private async send<T>(
    token: string,
    method: Method,
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
    timeoutMs?: number,
  ): Promise<DataverseResponse<T>> {
    let res: AxiosResponse;
    try {
      res = await this.http.request({
        method,
        url: path,
        ...deadlineOptions(timeoutMs ?? this.settings.requestTimeoutMs),
        data: body === undefined ? undefined : body instanceof RawBody ? body.text : JSON.stringify(body),
        // A batch answer is multipart text, not JSON.
        ...(body instanceof RawBody ? { responseType: "text" as const, transformResponse: (d: unknown) => d } : {}),
        headers: {
          ...ODATA_HEADERS,
          ...(body === undefined || body instanceof RawBody ? {} : { "Content-Type": "application/json" }),
          ...headers,
          Authorization: `Bearer ${token}`,
        },
      });
    } catch (err) {
      throw networkError(method, path, deadlineError(err, timeoutMs ?? this.settings.requestTimeoutMs));
    }
    if (res.status >= 400) throw dataverseErrorFrom(method, path, res);
    return { status: res.status, data: res.data as T, headers: res.headers as Record<string, string> };
  }

  /** Turns an absolute Web API URL (nextLink, OData-EntityId) into a path, refusing other hosts: the token goes only to the environment. */
  relativePath(url: string): string {
    if (!url.startsWith(`${this.apiRoot}/`)) {
      throw new DataverseError(
        "GET",
        url.split("?")[0],
        undefined,
        "",
        `link points outside ${this.apiRoot}; refusing to follow it`,
      );
    }
    return url.slice(this.apiRoot.length);
  }
}
