import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGraphEmulator, type GraphEmulator } from "../emulator/graph/server";
import { addAppPolicy, addUser, capPasswordLifetime, seedApplication } from "../emulator/graph/seed";
import { addDuration } from "../emulator/graph/passwordPolicy";
import { DYNAMICS_CRM_APP_ID, MICROSOFT_GRAPH_APP_ID } from "../emulator/graph/wellKnown";

let graph: GraphEmulator;
beforeAll(async () => {
  graph = await startGraphEmulator({ pageSize: 2 });
});
afterAll(() => graph.close());

async function call(method: string, path: string, body?: unknown, token: string | null = graph.token) {
  const res = await fetch(`${graph.url}/v1.0${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const handMade = () =>
  seedApplication(graph.data, {
    displayName: `Daktela CRM sync ${Math.random().toString(36).slice(2, 7)}`,
    delegatedPermissions: { [DYNAMICS_CRM_APP_ID]: ["user_impersonation"] },
    applicationPermissions: { [MICROSOFT_GRAPH_APP_ID]: ["User.Read.All"] },
    passwords: [
      {
        displayName: "daktela",
        startDateTime: "2024-12-01T00:00:00Z",
        endDateTime: "2026-12-01T00:00:00Z",
        hint: "Q~x",
      },
    ],
    web: ["https://customer.daktela.com/oauth/callback"],
  });

describe("Microsoft Graph emulator", () => {
  it("requires a bearer token and answers Graph's OData error body", async () => {
    const res = await call("GET", "/applications", undefined, null);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("InvalidAuthenticationToken");
    expect(res.body.error.innerError["request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call("GET", "/applications", undefined, "forged")).status).toBe(401);
    expect(graph.log.filter((r) => r.status === 401)).toHaveLength(2);
  });

  it("holds Microsoft Graph and Dynamics CRM principals with their permissions, found by appId filter", async () => {
    const res = await call(
      "GET",
      `/servicePrincipals?$filter=appId eq '${DYNAMICS_CRM_APP_ID}'&$select=appId,oauth2PermissionScopes`,
    );
    expect(res.status).toBe(200);
    expect(res.body.value).toHaveLength(1);
    expect(Object.keys(res.body.value[0]).sort()).toEqual(["appId", "id", "oauth2PermissionScopes"]);
    expect(res.body.value[0].oauth2PermissionScopes.map((s: { value: string }) => s.value)).toEqual([
      "user_impersonation",
    ]);
    const g = await call("GET", `/servicePrincipals(appId='${MICROSOFT_GRAPH_APP_ID}')`);
    expect(g.body.appRoles.find((r: { value: string }) => r.value === "User.Read.All").id).toBe(
      "df021288-bdef-4463-88db-98f22de89214",
    );
  });

  it("reads a hand-made app: permissions, redirect URIs, password metadata without the value, consent", async () => {
    const { application, servicePrincipal } = handMade();
    const app = await call(
      "GET",
      `/applications(appId='${application.appId}')?$select=id,passwordCredentials,requiredResourceAccess,web`,
    );
    expect(app.body.id).toBe(application.id);
    expect(app.body.passwordCredentials).toEqual([
      expect.objectContaining({
        displayName: "daktela",
        hint: "Q~x",
        secretText: null,
        endDateTime: "2026-12-01T00:00:00Z",
      }),
    ]);
    expect(app.body.requiredResourceAccess).toHaveLength(2);
    expect(app.body.web.redirectUris).toEqual(["https://customer.daktela.com/oauth/callback"]);
    const roles = await call("GET", `/servicePrincipals/${servicePrincipal.id}/appRoleAssignments`);
    expect(roles.body.value).toEqual([
      expect.objectContaining({
        appRoleId: "df021288-bdef-4463-88db-98f22de89214",
        principalId: servicePrincipal.id,
        principalType: "ServicePrincipal",
      }),
    ]);
    expect(roles.body.value[0].id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const grants = await call(
      "GET",
      `/oauth2PermissionGrants?$filter=clientId eq '${servicePrincipal.id}' and consentType eq 'AllPrincipals'`,
    );
    expect(grants.body.value.map((x: { scope: string }) => x.scope)).toEqual(["user_impersonation"]);
  });

  it("pages with @odata.nextLink until every row has been seen once", async () => {
    const seen: string[] = [];
    let next: string | undefined = "/servicePrincipals?$select=appId";
    let pages = 0;
    while (next) {
      const res = await call("GET", next.replace(`${graph.url}/v1.0`, ""));
      seen.push(...res.body.value.map((r: { id: string }) => r.id));
      next = res.body["@odata.nextLink"];
      pages += 1;
    }
    expect(seen.sort()).toEqual(graph.data.servicePrincipals.map((s) => s.id).sort());
    expect(pages).toBe(Math.ceil(graph.data.servicePrincipals.length / 2));
  });

  it("refuses filters and selects it does not support instead of ignoring them", async () => {
    expect((await call("GET", "/applications?$filter=startswith(displayName,'D')")).body.error.code).toBe(
      "Request_UnsupportedQuery",
    );
    expect((await call("GET", "/applications?$select=nope")).status).toBe(400);
    expect((await call("GET", "/applications/00000000-0000-0000-0000-00000000dead")).body.error.code).toBe(
      "Request_ResourceNotFound",
    );
  });

  it("returns secretText only from addPassword, and refuses a lifetime over the policy cap with the recorded 400", async () => {
    const { application } = handMade();
    const ok = await call("POST", `/applications/${application.id}/addPassword`, {
      passwordCredential: { displayName: "managed", endDateTime: new Date(Date.now() + 86_400_000 * 30).toISOString() },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.secretText.length).toBeGreaterThanOrEqual(16);
    const after = await call("GET", `/applications/${application.id}?$select=passwordCredentials`);
    expect(JSON.stringify(after.body)).not.toContain(ok.body.secretText);
    expect(after.body.passwordCredentials).toHaveLength(2);

    capPasswordLifetime(graph.data, "P90D");
    const over = await call("POST", `/applications/${application.id}/addPassword`, {
      passwordCredential: { endDateTime: new Date(Date.now() + 86_400_000 * 91).toISOString() },
    });
    expect(over.status).toBe(400);
    expect(over.body.error.code).toBe("CredentialInvalidLifetimeAsPerAppPolicy");
    expect(over.body.error.message).toContain("'00000000-0000-0000-0000-000000000000'");
    expect(over.body.error.details).toEqual([{ code: "InvalidKeyEndDate", target: "EndDate" }]);
    // No endDateTime means start + 2 years, which trips the cap too.
    expect((await call("POST", `/applications/${application.id}/addPassword`, {})).status).toBe(400);
    const policy = await call("GET", "/policies/defaultAppManagementPolicy");
    expect(policy.body.applicationRestrictions.passwordCredentials).toEqual([
      expect.objectContaining({ restrictionType: "passwordLifetime", maxLifetime: "P90D" }),
    ]);
    graph.data.defaultPolicy.isEnabled = false;
    const own = addAppPolicy(
      graph.data,
      [{ restrictionType: "passwordAddition", maxLifetime: null, restrictForAppsCreatedAfterDateTime: null }],
      [application.id],
    );
    const blocked = await call("POST", `/applications/${application.id}/addPassword`, {});
    expect(blocked.body.error.code).toBe("CredentialTypeNotAllowedAsPerAppPolicy");
    expect(
      (await call("GET", `/policies/appManagementPolicies/${own.id}/appliesTo`)).body.value.map(
        (a: { id: string }) => a.id,
      ),
    ).toEqual([application.id]);
    own.isEnabled = false;
  });

  it("answers checkMemberObjects with the directory roles the deployer holds", async () => {
    const res = await call("POST", "/me/checkMemberObjects", {
      ids: ["62e90394-69f5-4237-9190-012177145e10", "e8611ab8-c189-46e8-94e1-60213ab1f814"],
    });
    expect(res.body.value).toEqual(["62e90394-69f5-4237-9190-012177145e10"]);
    const other = addUser(graph.data, "reader@contoso.example");
    expect(
      (await call("POST", `/users/${other}/checkMemberObjects`, { ids: ["62e90394-69f5-4237-9190-012177145e10"] })).body
        .value,
    ).toEqual([]);
    expect((await call("POST", "/me/checkMemberObjects", { ids: Array(21).fill("x") })).status).toBe(400);
    const { servicePrincipal } = handMade();
    const appOnly = graph.tokenForServicePrincipal(servicePrincipal.id);
    expect((await call("GET", "/me", undefined, appOnly)).status).toBe(400);
  });

  it("counts writes: reads and membership checks are not writes, creates and grants are", async () => {
    const before = graph.writes().length;
    await call("GET", "/applications");
    await call("POST", "/me/checkMemberObjects", { ids: [] });
    expect(graph.writes().length).toBe(before);
    const app = await call("POST", "/applications", {
      displayName: "New",
      web: {
        redirectUris: ["https://x.example/cb"],
        homePageUrl: null,
        logoutUrl: null,
        implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false },
      },
    });
    expect(app.status).toBe(201);
    const sp = await call("POST", "/servicePrincipals", { appId: app.body.appId });
    expect(sp.status).toBe(201);
    expect((await call("POST", "/servicePrincipals", { appId: app.body.appId })).status).toBe(409);
    const graphSp = graph.data.servicePrincipals.find((s) => s.appId === MICROSOFT_GRAPH_APP_ID)!;
    const assign = await call("POST", `/servicePrincipals/${graphSp.id}/appRoleAssignedTo`, {
      principalId: sp.body.id,
      resourceId: graphSp.id,
      appRoleId: "df021288-bdef-4463-88db-98f22de89214",
    });
    expect(assign.status).toBe(201);
    expect(graph.writes().length - before).toBe(4);
  });

  it("adds ISO 8601 durations on the calendar", () => {
    expect(addDuration(new Date("2025-01-31T00:00:00Z"), "P90D").toISOString()).toBe("2025-05-01T00:00:00.000Z");
    expect(addDuration(new Date("2025-01-01T00:00:00Z"), "P1Y").toISOString()).toBe("2026-01-01T00:00:00.000Z");
    expect(addDuration(new Date("2025-01-01T00:00:00Z"), "P4DT12H30M5S").toISOString()).toBe(
      "2025-01-05T12:30:05.000Z",
    );
    expect(() => addDuration(new Date(), "90 days")).toThrow(/ISO 8601/);
  });
});
