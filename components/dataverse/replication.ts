import { isDataverseError } from "./http/errors";

/**
 * Whether a failed application-user create looks like Entra replication lag: the app's service principal has not
 * reached the environment yet. Dataverse's exact answer is UNCONFIRMED (no public source states it), so this takes a
 * 400/404 that speaks of the application: it names the application id, or says an application is not found / not
 * registered. A missing business unit or role ("businessunit With Id = ... Does Not Exist"), a duplicate (412) and
 * authorization failures are never lag.
 */
export function looksLikeReplicationLag(err: unknown, applicationId: string): boolean {
  if (!isDataverseError(err) || (err.status !== 400 && err.status !== 404)) return false;
  const text = err.detail.toLowerCase();
  if (/\b(businessunit|role|systemuser) with id\b/.test(text)) return false;
  return (
    text.includes(applicationId.toLowerCase()) ||
    /application.*(not (be )?found|does not exist|not registered)/.test(text)
  );
}

/** Waits between replication checks: 4 x DATAVERSE_RETRY_BASE_MS (2 s by default) doubling, at most 30 s. */
export function replicationDelayMs(attempt: number, retryBaseMs = 500): number {
  return Math.min(30_000, retryBaseMs * 4 * 2 ** (attempt - 1));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
