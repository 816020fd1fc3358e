import type { DataverseClient, DataverseResponse, RequestOptions } from "./client";
import { isDataverseError } from "./errors";
import { retryDelayMs } from "./retryPolicy";

/**
 * Dataverse runs one customization (solution) operation at a time per environment: "In the platform, we only allow
 * one solution operation at a time" (https://learn.microsoft.com/troubleshoot/power-platform/dataverse/working-with-solutions/concurrent-solution-operation-failures).
 * Another one is refused with CustomizationLockException, code 0x80071151 (-2147020463), seen as HTTP 429 and as
 * 503, so it is recognised by code and message, never by status; "Waiting is the only resolution".
 */
export function isCustomizationLock(err: unknown): boolean {
  if (!isDataverseError(err) || err.status === 401 || err.status === 403) return false;
  return (
    /^(0x80071151|-2147020463)$/i.test(err.code) ||
    /CustomizationLockException|Cannot start the requested operation|another .{0,40}(running|in progress)|another customization operation/i.test(
      err.detail,
    )
  );
}

/**
 * Transient metadata failures worth a retry after a few seconds: 0x80040216 when it says "Transient metadata cache
 * error ... Wait 3-5 seconds and retry" (the same code is also Dataverse's generic error, so the text decides),
 * 0x80060891, and SQL deadlock 1205 / -2147232060 (microsoft/Dataverse-skills, dv-metadata metadata-propagation.md).
 */
export function isTransientMetadataError(err: unknown): boolean {
  if (!isDataverseError(err)) return false;
  if (/^(0x80060891|-2147232060)$/i.test(err.code)) return true;
  if (/deadlock|SQL error 1205/i.test(err.detail)) return true;
  return err.code.toLowerCase() === "0x80040216" && /transient/i.test(err.detail);
}

/** Quick client retries for everything transient except the lock, which the caller waits out with its own backoff. */
export const notTheLock = (err: unknown) => !isCustomizationLock(err);

/** Per environment: the last customization work queued (module state, shared by every provider of this process). */
const queues = new Map<string, Promise<unknown>>();

/**
 * The per-environment customization queue: work given to it runs one at a time, in order of arrival, for all
 * providers and resources of this process (ChangeTracking waves, and whatever else writes metadata or takes the
 * lock: a security role's privilege changes may, UNCONFIRMED, so that code can queue here too).
 */
export function runCustomization<T>(environmentUrl: string, work: () => Promise<T>): Promise<T> {
  const key = environmentUrl.toLowerCase().replace(/\/+$/, "");
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(work, work);
  queues.set(
    key,
    run.catch(() => undefined),
  );
  return run;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** "300 ms", "45 s", "1 min 20 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const rest = seconds % 60;
  return `${Math.floor(seconds / 60)} min${rest ? ` ${rest} s` : ""}`;
}

/** Where a lock wait reports to: `waiting(ms)` is called at least every progress interval while it waits. */
export interface LockWaitListener {
  waiting(waitedMs: number, err: unknown): void;
}

/** One lock wait's budget: the first answer starts the clock; every wait after it counts. */
export class LockWait {
  private startedAt?: number;
  private answers = 0;

  constructor(
    private readonly client: DataverseClient,
    private readonly what: string,
    private readonly listener?: LockWaitListener,
  ) {}

  /** Waits after a lock answer (bounded backoff); throws, naming the last answer, when DATAVERSE_LOCK_WAIT_MS is spent. */
  async after(err: unknown): Promise<void> {
    const { lockWaitMs, lockBackoffBaseMs, lockBackoffMaxMs, progressIntervalMs } = this.client.settings;
    const now = Date.now();
    this.startedAt ??= now;
    this.answers += 1;
    const waited = now - this.startedAt;
    const hinted = isDataverseError(err) ? err.retryAfterMs : undefined;
    const delay = Math.min(lockBackoffMaxMs, retryDelayMs(this.answers, lockBackoffBaseMs, hinted));
    if (waited + delay > lockWaitMs) {
      const detail = isDataverseError(err) ? err.message : String(err);
      throw new Error(
        `${this.what} in ${this.client.environmentUrl}: another customization operation kept the environment busy for ${formatDuration(waited)} ` +
          `(DATAVERSE_LOCK_WAIT_MS = ${formatDuration(lockWaitMs)}); nothing is lost, run \`pulumi up\` again once it is over. Last answer: ${detail}`,
      );
    }
    // Sleep in slices so that progress keeps a steady pace through a long wait.
    const slice = Math.max(1, Math.min(delay, progressIntervalMs || delay));
    for (let slept = 0; slept < delay; slept += slice) {
      this.listener?.waiting(Date.now() - this.startedAt, err);
      await sleep(Math.min(slice, delay - slept));
    }
  }

  /** The lock answered no more: the next wait starts a new budget. */
  reset(): void {
    this.startedAt = undefined;
    this.answers = 0;
  }
}

/**
 * One customization request through the environment's queue, waiting out lock answers: the API for code outside
 * change tracking whose writes take (or may take) the lock, e.g. a security role's ReplacePrivilegesRole (whether
 * it does is UNCONFIRMED). Times out after DATAVERSE_METADATA_TIMEOUT_MS; a timeout is thrown, never re-sent.
 */
export function customizationRequest<T = unknown>(
  client: DataverseClient,
  what: string,
  method: Parameters<DataverseClient["request"]>[0],
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
  listener?: LockWaitListener,
): Promise<DataverseResponse<T> | undefined> {
  return runCustomization(client.environmentUrl, () =>
    sendCustomization<T>(client, what, (options) => client.request<T>(method, path, body, headers, options), {
      timeoutMs: client.settings.metadataTimeoutMs,
      listener,
    }),
  );
}

/**
 * Sends one customization request, waiting out lock answers (bounded backoff, at most DATAVERSE_LOCK_WAIT_MS in all).
 * A refused request did not run, so sending it again is safe; a timed-out one may still run, so it is never
 * re-sent here: the timeout is thrown for the caller to settle (read the state back). With `stillNeeded`, each
 * re-send after a lock answer is preceded by that check; answers undefined when it says the work is done.
 */
export async function sendCustomization<T>(
  client: DataverseClient,
  what: string,
  send: (options: RequestOptions) => Promise<DataverseResponse<T>>,
  options: { timeoutMs: number; listener?: LockWaitListener; stillNeeded?: () => Promise<boolean> },
): Promise<DataverseResponse<T> | undefined> {
  const wait = new LockWait(client, what, options.listener);
  for (;;) {
    try {
      return await send({ timeoutMs: options.timeoutMs, retryTimeouts: false, retryWhen: notTheLock });
    } catch (err) {
      if (!isCustomizationLock(err)) throw err;
      await wait.after(err);
      // The operation that held the lock may have been this one's earlier, timed-out attempt: check before re-sending.
      if (options.stillNeeded && !(await options.stillNeeded())) return undefined;
    }
  }
}
