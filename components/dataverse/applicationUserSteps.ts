import {
  createUser,
  isLive,
  purgeUser,
  rolesOfBusinessUnit,
  usersByApplicationId,
  type SystemUserRow,
} from "./applicationUserApi";
import { isDataverseError } from "./http/errors";
import type { DataverseClient } from "./http/client";
import { isGuid } from "./inputs";
import { resolveRoles } from "./applicationUserPlan";
import { looksLikeReplicationLag, replicationDelayMs, sleep } from "./replication";

/** The multi-request steps of an application user's create and update, each bounded and logged. */

/**
 * Resolves role names, template ids and root role ids against the unit's roles, read once per environment and unit
 * in this provider process; a reference not found reads them again (a role created since). In a child unit a root
 * role (the generated one) is found as its copy there; Dataverse makes copies with some delay ("up to a few
 * minutes", UNCONFIRMED), so a role id not found yet is waited for, bounded by DATAVERSE_REPLICATION_WAIT_MS.
 */
export async function resolveInBusinessUnit(
  client: DataverseClient,
  businessUnitId: string,
  refs: string[],
  log: (l: string) => void,
): Promise<string[]> {
  if (refs.length === 0) return [];
  try {
    return resolveRoles(refs, await rolesOfBusinessUnit(client, businessUnitId), businessUnitId);
  } catch {
    const deadline = Date.now() + client.settings.replicationWaitMs;
    for (let attempt = 1; ; attempt++) {
      const rows = await rolesOfBusinessUnit(client, businessUnitId, true);
      try {
        return resolveRoles(
          refs,
          rows,
          businessUnitId,
          rows.map((r) => r.name),
        );
      } catch (err) {
        const delay = replicationDelayMs(attempt, client.settings.retryBaseMs);
        const waitingForCopy = refs.some(
          (ref) =>
            isGuid(ref) &&
            !rows.some((r) =>
              [r.roleid, r._roletemplateid_value, r._parentrootroleid_value].some(
                (v) => v?.toLowerCase() === ref.toLowerCase(),
              ),
            ),
        );
        if (!waitingForCopy || Date.now() + delay > deadline) throw err;
        log(
          `waiting for Dataverse to copy the role into business unit ${businessUnitId} of ${client.environmentUrl}; next look in ${Math.round(delay / 1000)} s (attempt ${attempt})`,
        );
        await sleep(delay);
      }
    }
  }
}

/** Soft-deleted rows of the app (leftovers of an earlier delete) block a new one with 412: purge them. */
export async function purgeLeftovers(
  client: DataverseClient,
  rows: SystemUserRow[],
  log: (l: string) => void,
): Promise<void> {
  for (const row of rows.filter((r) => !isLive(r))) {
    log(`purging soft-deleted application user ${row.systemuserid} of ${row.applicationid} before creating it again`);
    await purgeUser(client, row.systemuserid);
  }
}

/**
 * Creates the user, waiting out Entra replication lag (only that; bounded by DATAVERSE_REPLICATION_WAIT_MS).
 * A live user that appears meanwhile is adopted; a soft-deleted leftover behind a 412 is purged and the POST sent
 * again once, as Microsoft's Power Platform provider does
 * (https://github.com/microsoft/terraform-provider-power-platform, internal/services/user).
 */
export async function createWithReplicationRetry(
  client: DataverseClient,
  applicationId: string,
  businessUnitId: string,
  waitMs: number,
  log: (l: string) => void,
): Promise<{ user?: SystemUserRow; id?: string }> {
  const deadline = Date.now() + waitMs;
  let purged = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return { id: await createUser(client, applicationId, businessUnitId) };
    } catch (err) {
      const rows = await usersByApplicationId(client, applicationId);
      const live = rows.find(isLive);
      if (live) return { user: live };
      if (isDataverseError(err) && err.status === 412 && !purged && rows.length > 0) {
        await purgeLeftovers(client, rows, log);
        purged = true;
        continue;
      }
      if (!looksLikeReplicationLag(err, applicationId)) throw err;
      const delay = replicationDelayMs(attempt, client.settings.retryBaseMs);
      if (Date.now() + delay > deadline) {
        throw new Error(
          `the application user for ${applicationId} could not be created within ${Math.round(waitMs / 1000)} s: the app's service principal has not reached ${client.environmentUrl} yet (raise DATAVERSE_REPLICATION_WAIT_MS to wait longer). Last answer: ${(err as Error).message}`,
          { cause: err },
        );
      }
      log(
        `service principal of ${applicationId} not in ${client.environmentUrl} yet; retrying in ${delay < 1000 ? `${delay} ms` : `${Math.round(delay / 1000)} s`} (attempt ${attempt})`,
      );
      await sleep(delay);
    }
  }
}
