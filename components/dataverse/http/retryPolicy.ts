import { isDataverseError } from "./errors";

/** Seconds or an HTTP date, per RFC 9110; undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** 429 (service protection), 5xx except 501, and network failures/timeouts are worth another try. */
export function isTransient(err: unknown): boolean {
  if (!isDataverseError(err)) return false;
  if (err.status === undefined) return true;
  return err.status === 429 || (err.status >= 500 && err.status !== 501);
}

/** A request the client gave up waiting for (axios ECONNABORTED / ETIMEDOUT): the server may still be working on it. */
export function isTimeout(err: unknown): boolean {
  return (
    isDataverseError(err) &&
    err.status === undefined &&
    (/^(ECONNABORTED|ETIMEDOUT)$/.test(err.code) || /timeout/i.test(err.detail))
  );
}

/**
 * How long to wait before the next attempt: Retry-After when the service sent one, else exponential
 * backoff with equal jitter, between half and all of the step (`random` is injectable for tests).
 */
export function retryDelayMs(
  attempt: number,
  baseMs: number,
  retryAfterMs: number | undefined,
  random = Math.random,
): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const cap = baseMs * 2 ** Math.min(attempt - 1, 10);
  return Math.round(cap / 2 + random() * (cap / 2));
}
