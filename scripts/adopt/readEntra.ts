import type { GraphReader } from "../cli/graphClient";
import type { EntraSnapshot } from "./snapshot";

type Row = Record<string, unknown>;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads an app registration and what hangs off it, by client id, with GETs only:
 * GET /applications?$filter=appId eq '<id>' (https://learn.microsoft.com/graph/api/application-list),
 * GET /servicePrincipals?$filter=appId eq '<id>' (serviceprincipal-list),
 * GET /servicePrincipals/{id}/appRoleAssignments (serviceprincipal-list-approleassignments),
 * GET /oauth2PermissionGrants?$filter=clientId eq '<spId>' (oauth2permissiongrant-list), and the resource principals
 * to name the roles. passwordCredentials carry metadata only: Graph never returns secretText after addPassword.
 */
export async function readEntra(graph: GraphReader, tenantId: string, clientId: string): Promise<EntraSnapshot> {
  if (!GUID.test(clientId))
    throw new Error(`--client-id must be the application (client) id, a GUID; got "${clientId}"`);
  const select =
    "id,appId,displayName,signInAudience,createdDateTime,requiredResourceAccess,web,spa,publicClient,passwordCredentials";
  const apps = await graph.getAll<Row>(`/applications?$filter=appId eq '${clientId}'&$select=${select}`);
  if (apps.length === 0)
    throw new Error(
      `no app registration with client id ${clientId} in tenant ${tenantId} (or the signed-in identity cannot read it: it needs Application.Read.All)`,
    );
  const app = apps[0];
  const sps = await graph.getAll<Row>(`/servicePrincipals?$filter=appId eq '${clientId}'&$select=id,appId,displayName`);
  if (sps.length === 0)
    throw new Error(
      `app ${clientId} has no service principal (Enterprise application) in tenant ${tenantId}: nothing can have been consented; create it (Enterprise applications -> New) or let a fresh stack create one`,
    );
  const sp = sps[0];
  const [assignments, grants] = await Promise.all([
    graph.getAll<Row>(`/servicePrincipals/${sp.id}/appRoleAssignments`),
    graph.getAll<Row>(`/oauth2PermissionGrants?$filter=clientId eq '${sp.id}'`),
  ]);
  const resourceIds = [...new Set([...assignments, ...grants].map((r) => String(r.resourceId)))];
  const resources = new Map(
    await Promise.all(
      resourceIds.map(
        async (id) => [id, await graph.get<Row>(`/servicePrincipals/${id}?$select=id,appId,appRoles`)] as const,
      ),
    ),
  );
  const appIdOf = (resourceId: string) => String(resources.get(resourceId)?.appId ?? "");
  const uris = (platform: unknown) => ((platform as { redirectUris?: string[] } | null)?.redirectUris ?? []).slice();
  return {
    tenantId,
    application: {
      id: String(app.id),
      appId: String(app.appId),
      displayName: String(app.displayName),
      signInAudience: String(app.signInAudience),
      ...(app.createdDateTime ? { createdDateTime: String(app.createdDateTime) } : {}),
      requiredResourceAccess:
        (app.requiredResourceAccess as EntraSnapshot["application"]["requiredResourceAccess"]) ?? [],
      web: uris(app.web),
      spa: uris(app.spa),
      publicClient: uris(app.publicClient),
      passwords: ((app.passwordCredentials as Row[]) ?? []).map((p) => ({
        keyId: String(p.keyId),
        displayName: (p.displayName as string | null) ?? null,
        startDateTime: String(p.startDateTime),
        endDateTime: String(p.endDateTime),
        hint: (p.hint as string | null) ?? null,
      })),
    },
    servicePrincipal: { id: String(sp.id), appId: String(sp.appId), displayName: String(sp.displayName) },
    appRoleAssignments: assignments.map((a) => {
      const roles =
        (resources.get(String(a.resourceId))?.appRoles as { id: string; value: string }[] | undefined) ?? [];
      const value = roles.find((r) => r.id === a.appRoleId)?.value;
      return {
        id: String(a.id),
        resourceId: String(a.resourceId),
        resourceAppId: appIdOf(String(a.resourceId)),
        appRoleId: String(a.appRoleId),
        ...(value ? { value } : {}),
      };
    }),
    grants: grants.map((g) => ({
      id: String(g.id),
      resourceId: String(g.resourceId),
      resourceAppId: appIdOf(String(g.resourceId)),
      consentType: String(g.consentType),
      scopes: String(g.scope ?? "")
        .split(" ")
        .filter(Boolean),
    })),
  };
}
