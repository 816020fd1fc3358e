import { MICROSOFT_GRAPH, RESOURCE_APIS } from "../../components/entra/permissionCatalog";
import { tokenClaims, type GraphReader } from "../cli/graphClient";
import type { PreflightNeeds } from "./needs";
import type { DefaultAppPolicy } from "./passwordLifetime";

/**
 * Directory roles that matter for deploying (template ids: https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference).
 */
export const DIRECTORY_ROLES: Record<string, string> = {
  "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
  "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
  "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
  "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
};

export interface ResourcePrincipal {
  id: string;
  appId: string;
  displayName: string;
  appRoles: { id: string; value: string }[];
  oauth2PermissionScopes: { id: string; value: string }[];
}

export type Deployer =
  | { kind: "user"; id: string; directoryRoles: string[]; allowedToCreateApps?: boolean }
  /** permissions: Microsoft Graph application permissions (values) from its app role assignments; tokenRoles: the token's roles claim. */
  | {
      kind: "servicePrincipal";
      appId: string;
      id?: string;
      permissions?: string[];
      tokenRoles: string[];
      assignmentsError?: string;
    }
  | { kind: "unknown"; error: string };

export interface EntraObservation {
  /** The tenant the deploying identity is signed in to, or the error finding it. */
  tenant: { id: string } | { error: string };
  deployer: Deployer;
  /** By resource appId: the principal, null when the tenant has none, or the error reading it. */
  resources: Map<string, ResourcePrincipal | null | string>;
  defaultPolicy: DefaultAppPolicy | string;
  /** By display name: apps that already carry it, or the error reading them. */
  sameName: Map<string, { id: string; appId: string }[] | string>;
}

const message = (err: unknown) => (err as Error).message;
const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function whoIsDeploying(graph: GraphReader, claims: Record<string, unknown> | undefined): Promise<Deployer> {
  // App-only tokens carry `idtyp: app` (optional claim) and no `scp`; their application permissions are in `roles`
  // (access-token claims reference, https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
  const appOnly = claims && (claims.idtyp === "app" || (claims.scp === undefined && Array.isArray(claims.roles)));
  if (appOnly) {
    const appId = String(claims!.appid ?? claims!.azp ?? "");
    const tokenRoles = (claims!.roles as string[] | undefined) ?? [];
    try {
      // "Applications should not take hard dependency on claims being present": cross-check the assignments.
      const sp = (
        await graph.getAll<{ id: string }>(`/servicePrincipals?$filter=appId eq ${quote(appId)}&$select=id,appId`)
      )[0];
      if (!sp)
        return {
          kind: "servicePrincipal",
          appId,
          tokenRoles,
          assignmentsError: "no service principal for the token's appid",
        };
      const assignments = await graph.getAll<{ appRoleId: string; resourceId: string }>(
        `/servicePrincipals/${sp.id}/appRoleAssignments`,
      );
      return {
        kind: "servicePrincipal",
        appId,
        id: sp.id,
        tokenRoles,
        permissions: assignments.map((a) => `${a.resourceId}:${a.appRoleId}`),
      };
    } catch (err) {
      return { kind: "servicePrincipal", appId, tokenRoles, assignmentsError: message(err) };
    }
  }
  try {
    const me = await graph.get<{ id: string }>("/me?$select=id");
    // Transitive membership of directory roles (https://learn.microsoft.com/graph/api/directoryobject-checkmemberobjects).
    // Asked by role template id and, where the activated roles can be listed, by their object ids too: which of the
    // two the service matches for directory roles is UNCONFIRMED, so both are sent (at most 8 of the 20 ids allowed).
    const activated = await graph
      .getAll<{ id: string; roleTemplateId: string }>("/directoryRoles?$select=id,roleTemplateId")
      .catch(() => []);
    const idsOf = (template: string) => [
      template,
      ...activated.filter((r) => r.roleTemplateId?.toLowerCase() === template).map((r) => r.id.toLowerCase()),
    ];
    const held = await graph.readAction<{ value: string[] }>("/me/checkMemberObjects", {
      ids: Object.values(DIRECTORY_ROLES).flatMap(idsOf),
    });
    const policy = await graph
      .get<{ defaultUserRolePermissions?: { allowedToCreateApps?: boolean } }>("/policies/authorizationPolicy")
      .catch(() => undefined);
    const names = Object.entries(DIRECTORY_ROLES)
      .filter(([, template]) => held.value.some((v) => idsOf(template).includes(v.toLowerCase())))
      .map(([n]) => n);
    return {
      kind: "user",
      id: me.id,
      directoryRoles: names,
      allowedToCreateApps: policy?.defaultUserRolePermissions?.allowedToCreateApps,
    };
  } catch (err) {
    return { kind: "unknown", error: message(err) };
  }
}

/** Reads what the Entra checks need, as the deploying identity; GETs and one read-only action only. */
export async function probeEntra(graph: GraphReader, needs: PreflightNeeds): Promise<EntraObservation> {
  const claims = tokenClaims(await graph.token());
  const tenantPromise =
    typeof claims?.tid === "string"
      ? Promise.resolve({ id: claims.tid as string })
      : graph.getAll<{ id: string }>("/organization?$select=id").then(
          (rows) => (rows[0] ? { id: rows[0].id } : { error: "no organization answered" }),
          (err) => ({ error: message(err) }),
        );
  const appIds = [MICROSOFT_GRAPH.appId, ...RESOURCE_APIS.map((a) => a.appId)].filter((v, i, a) => a.indexOf(v) === i);
  const [tenant, deployer, resources, defaultPolicy, sameName] = await Promise.all([
    tenantPromise,
    whoIsDeploying(graph, claims),
    Promise.all(
      appIds.map(
        async (appId) =>
          [
            appId,
            await graph
              .getAll<ResourcePrincipal>(
                `/servicePrincipals?$filter=appId eq ${quote(appId)}&$select=id,appId,displayName,appRoles,oauth2PermissionScopes`,
              )
              .then(
                (rows) => rows[0] ?? null,
                (err) => message(err),
              ),
          ] as const,
      ),
    ),
    graph.get<DefaultAppPolicy>("/policies/defaultAppManagementPolicy").catch((err) => message(err)),
    Promise.all(
      needs.entra.map(
        async (i) =>
          [
            i.displayName,
            await graph
              .getAll<{ id: string; appId: string }>(
                `/applications?$filter=displayName eq ${quote(i.displayName)}&$select=id,appId,displayName`,
              )
              .catch((err) => message(err)),
          ] as const,
      ),
    ),
  ]);
  return { tenant, deployer, resources: new Map(resources), defaultPolicy, sameName: new Map(sameName) };
}
