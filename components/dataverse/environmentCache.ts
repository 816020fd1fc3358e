import type { RoleRow } from "./applicationUserApi";

/** What the resources of one environment look up alike; cached in the provider process. */
export interface EnvironmentCache {
  /** Single-flight lookups: "root" (the root business unit's id) and "bu:<id>" (that unit exists). */
  lookups: Map<string, Promise<string>>;
  /** Role rows per business unit, single flight; refreshed when a reference is not found (a role created meanwhile). */
  roles: Map<string, Promise<RoleRow[]>>;
}

/** Per environment, in this provider process (on globalThis: deserialized providers share nothing else). */
export function environmentCache(environmentUrl: string): EnvironmentCache {
  const all = ((globalThis as Record<string, unknown>).__crmSyncEnvironmentCache ??= new Map()) as Map<string, EnvironmentCache>;
  let cache = all.get(environmentUrl);
  if (!cache) {
    cache = { lookups: new Map(), roles: new Map() };
    all.set(environmentUrl, cache);
  }
  return cache;
}
