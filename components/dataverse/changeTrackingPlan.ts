import type { EntityTrackingRow } from "./changeTrackingApi";
import { environmentUrlProblem, normalizeEnvironmentUrl, type CheckFailure } from "./inputs";

export interface ChangeTrackingInputs {
  environmentUrl: string;
  /** Table logical names whose change tracking must be on. */
  entities: string[];
}

export interface ChangeTrackingState extends ChangeTrackingInputs {
  /** Of `entities`, those whose change tracking is on now. */
  enabledEntities: string[];
  /** Tables dropped from `entities` that stay tracked: Dataverse cannot turn change tracking off. */
  retainedEntities: string[];
}

const TABLE = /^[a-z][a-z0-9_]{0,63}$/;

export function checkChangeTracking(news: Record<string, unknown>): {
  inputs: ChangeTrackingInputs;
  failures: CheckFailure[];
} {
  const failures: CheckFailure[] = [];
  const urlProblem = environmentUrlProblem(news.environmentUrl);
  if (urlProblem) failures.push({ property: "environmentUrl", reason: urlProblem });
  const entities: string[] = [];
  if (!Array.isArray(news.entities) || news.entities.length === 0) {
    failures.push({
      property: "entities",
      reason: "must list at least one table logical name, e.g. [account, contact]",
    });
  } else {
    news.entities.forEach((e, i) => {
      if (typeof e !== "string" || !TABLE.test(e))
        failures.push({
          property: `entities[${i}]`,
          reason: "must be a table logical name: lowercase letters, digits and _",
        });
      else if (entities.includes(e)) failures.push({ property: `entities[${i}]`, reason: `duplicate table "${e}"` });
      else entities.push(e);
    });
  }
  const environmentUrl = urlProblem
    ? String(news.environmentUrl)
    : normalizeEnvironmentUrl(String(news.environmentUrl));
  return { inputs: { environmentUrl, entities }, failures };
}

export interface TrackingClassification {
  alreadyEnabled: string[];
  toEnable: string[];
}

/** Splits the wanted tables by state; throws one error naming every table that does not exist or cannot be tracked. */
export function classifyTables(wanted: string[], rows: EntityTrackingRow[]): TrackingClassification {
  const byName = new Map(rows.map((r) => [r.LogicalName.toLowerCase(), r]));
  const missing = wanted.filter((n) => !byName.has(n));
  const ineligible = wanted.filter((n) => {
    const row = byName.get(n);
    return row && !row.ChangeTrackingEnabled && row.CanChangeTrackingBeEnabled?.Value === false;
  });
  if (missing.length || ineligible.length) {
    const parts = [
      missing.length ? `no such table: ${missing.join(", ")}` : "",
      ineligible.length ? `change tracking cannot be enabled on: ${ineligible.join(", ")}` : "",
    ].filter(Boolean);
    throw new Error(`change tracking: ${parts.join("; ")}`);
  }
  return {
    alreadyEnabled: wanted.filter((n) => byName.get(n)!.ChangeTrackingEnabled),
    toEnable: wanted.filter((n) => !byName.get(n)!.ChangeTrackingEnabled),
  };
}

/**
 * Changes when a wanted table is not known to be enabled (new in the list, or found off by read), or when
 * tables leave the list (recorded, nothing sent). A different environment means a different resource.
 */
export function diffChangeTracking(
  olds: ChangeTrackingState,
  news: ChangeTrackingInputs,
): { changes: boolean; replaces: string[] } {
  const replaces = olds.environmentUrl?.toLowerCase() === news.environmentUrl.toLowerCase() ? [] : ["environmentUrl"];
  const enabled = new Set(olds.enabledEntities ?? []);
  const notEnabled = news.entities.some((e) => !enabled.has(e));
  const dropped = (olds.entities ?? []).some((e) => !news.entities.includes(e));
  return { changes: replaces.length > 0 || notEnabled || dropped, replaces };
}
