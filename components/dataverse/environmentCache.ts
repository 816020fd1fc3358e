import type { RoleRow } from "./applicationUserApi";

/** What the resources of one environment look up alike; cached in the provider process. */
export interface EnvironmentCache {
  /** Single-flight lookups: "root" (the root business unit's id) and "bu:<id>" (that unit exists). */
  lookups: Map<string, Promise<string>>;
  /** Role rows per business unit, single flight; refreshed when a reference is not found (a role created meanwhile). */
  roles: Map<string, Promise<RoleRow[]>>;
}

const all = new Map<string, EnvironmentCache>();

/**
 * Per environment, in this provider process: every resource's provider stub loads this one module from the installed
 * package (providerStub.ts), so module state is shared by all of them.
 */
export function environmentCache(environmentUrl: string): EnvironmentCache {
  let cache = all.get(environmentUrl);
  if (!cache) {
    cache = { lookups: new Map(), roles: new Map() };
    all.set(environmentUrl, cache);
  }
  return cache;
}

/** Forgets every environment's lookups (tests that start a fresh emulator per case). */
export function resetEnvironmentCaches(): void {
  all.clear();
}
