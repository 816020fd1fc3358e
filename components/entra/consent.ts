import type { ResourceApi } from "./permissionCatalog";
import type { Permission } from "./permissions";

export interface ResourceAccessEntry {
  resourceAppId: string;
  resourceAccesses: { id: string; type: "Role" | "Scope" }[];
}

/** Groups permissions by resource API in the shape of `azuread.Application.requiredResourceAccesses`. */
export function requiredResourceAccesses(permissions: Permission[]): ResourceAccessEntry[] {
  const byApi = new Map<string, ResourceAccessEntry>();
  for (const p of permissions) {
    const entry = byApi.get(p.api.appId) ?? { resourceAppId: p.api.appId, resourceAccesses: [] };
    entry.resourceAccesses.push({ id: p.id, type: p.kind === "application" ? "Role" : "Scope" });
    byApi.set(p.api.appId, entry);
  }
  return [...byApi.values()];
}

export interface ConsentPlan {
  /** One app role assignment per application permission. */
  appRoleAssignments: Permission[];
  /** One tenant-wide (AllPrincipals) delegated grant per resource API, with its scope values. */
  delegatedGrants: { api: ResourceApi; claimValues: string[] }[];
}

/** What admin consent as code must create for these permissions. */
export function consentPlan(permissions: Permission[]): ConsentPlan {
  const grants = new Map<string, { api: ResourceApi; claimValues: string[] }>();
  for (const p of permissions.filter((x) => x.kind === "delegated")) {
    const grant = grants.get(p.api.appId) ?? { api: p.api, claimValues: [] };
    grant.claimValues.push(p.value);
    grants.set(p.api.appId, grant);
  }
  return {
    appRoleAssignments: permissions.filter((p) => p.kind === "application"),
    delegatedGrants: [...grants.values()],
  };
}

/** The distinct resource APIs these permissions belong to. */
export function resourceApisOf(permissions: Permission[]): ResourceApi[] {
  return [...new Map(permissions.map((p) => [p.api.appId, p.api])).values()];
}

/**
 * Returns the id the tenant's service principal of the API publishes for a permission,
 * failing when it differs from the catalog (the required resource access would then be wrong).
 */
export function verifiedPermissionId(published: Record<string, string> | undefined, p: Permission): string {
  const actual = published?.[p.value];
  if (actual === undefined) {
    throw new Error(`the tenant's ${p.api.name} service principal publishes no ${p.kind} permission "${p.value}"`);
  }
  if (actual.toLowerCase() !== p.id) {
    throw new Error(
      `${p.api.name} ${p.kind} permission "${p.value}" has id ${actual} in this tenant, but the catalog says ${p.id}; fix components/entra/permissionCatalog.ts`,
    );
  }
  return actual.toLowerCase();
}
