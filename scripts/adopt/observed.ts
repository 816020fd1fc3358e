import { permissionById, permissionLabel } from "../../components/entra/permissions";
import { RESOURCE_APIS } from "../../components/entra/permissionCatalog";
import { registeredRedirectUri } from "../../components/entra/redirectUris";
import { primaryEnvironment, type AdoptionSnapshot } from "./snapshot";

/** A snapshot in the stack file's own terms: permission names, registered redirect URIs, roles, tables. */
export interface Observed {
  displayName: string;
  signInAudience: string;
  /** Declared permissions the catalog knows, by name (`Microsoft Graph: User.Read (delegated)`). */
  permissions: string[];
  /** Declared permissions the catalog does not know: resource app id and permission id. */
  unknownPermissions: string[];
  /** Permission names with admin consent granted (app role assignment, or tenant-wide delegated grant). */
  consented: string[];
  redirectUris: { web: string[]; publicClient: string[]; spa: string[] };
  /** The first environment's application user, when there is one. */
  applicationUser: boolean;
  roles: string[];
  trackedTables: string[];
}

const normalize = (uris: string[], platform: "web" | "spa" | "publicClient") =>
  uris.map((u) => registeredRedirectUri(u, platform));

export function observe(s: AdoptionSnapshot): Observed {
  const app = s.entra.application;
  const permissions: string[] = [];
  const unknownPermissions: string[] = [];
  for (const r of app.requiredResourceAccess) {
    for (const a of r.resourceAccess) {
      const p = permissionById(r.resourceAppId, a.id.toLowerCase());
      if (p && (p.kind === "application") === (a.type === "Role")) permissions.push(permissionLabel(p));
      else unknownPermissions.push(`${r.resourceAppId}: ${a.id} (${a.type === "Role" ? "application" : "delegated"})`);
    }
  }
  const consented = [
    ...s.entra.appRoleAssignments
      .map((a) => permissionById(a.resourceAppId, a.appRoleId.toLowerCase()))
      .filter((p) => p?.kind === "application")
      .map((p) => permissionLabel(p!)),
    ...s.entra.grants
      .filter((g) => g.consentType === "AllPrincipals")
      .flatMap((g) => g.scopes.map((scope) => ({ g, scope })))
      .map(({ g, scope }) =>
        permissions.find(
          (label) => label.toLowerCase() === `${apiName(g.resourceAppId)}: ${scope} (delegated)`.toLowerCase(),
        ),
      )
      .filter((x): x is string => !!x),
  ];
  const dv = primaryEnvironment(s);
  return {
    displayName: app.displayName,
    signInAudience: app.signInAudience,
    permissions,
    unknownPermissions,
    consented: [...new Set(consented)],
    redirectUris: {
      web: normalize(app.web, "web"),
      publicClient: normalize(app.publicClient, "publicClient"),
      spa: normalize(app.spa, "spa"),
    },
    applicationUser: !!dv?.user,
    roles: dv?.user?.roles.map((r) => r.name) ?? [],
    trackedTables: dv?.trackedTables ?? [],
  };
}

/** The catalog's name of a resource API by its app id (the stack's permission names start with it). */
export function apiName(resourceAppId: string): string {
  return RESOURCE_APIS.find((a) => a.appId === resourceAppId)?.name ?? resourceAppId;
}
