import { GENERIC_ERROR_CODE, isDataverseError } from "./errors";

/**
 * Whether a failed application-user create looks like Entra replication lag: the app's service principal
 * has not reached the environment yet. Dataverse's exact answer is unconfirmed (REFERENCE.md §1.4, §1.7),
 * so any client error that names the application id, says "not found", or carries the generic code counts.
 */
export function looksLikeReplicationLag(err: unknown, applicationId: string): boolean {
  if (!isDataverseError(err) || err.status === undefined || err.status === 429 || err.status >= 500) return false;
  if (err.status === 401 || err.status === 403) return false;
  const text = err.detail.toLowerCase();
  return text.includes(applicationId.toLowerCase()) || /not (be )?found|does not exist|not registered/.test(text) || err.code === GENERIC_ERROR_CODE;
}

/** Waits between replication checks: 2 s doubling to 30 s. */
export function replicationDelayMs(attempt: number): number {
  return Math.min(30_000, 2_000 * 2 ** (attempt - 1));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
