import { beforeAll, describe, expect, it } from "vitest";
import { loadBuilt } from "./helpers/dist";
import { FIXED_NOW, TENANT, flatConfig } from "./helpers/stackConfig";
import type * as Evaluate from "../scripts/sandbox/evaluate";
import type * as Resolve from "../scripts/sandbox/resolve";
import type * as RenderOutputs from "../scripts/sandbox/renderOutputs";
import type * as Render from "../scripts/sandbox/renderPlan";

const { evaluateStack } = loadBuilt<typeof Evaluate>("scripts/sandbox/evaluate.js");
const { Secret } = loadBuilt<typeof Resolve>("scripts/sandbox/resolve.js");
const { planJson, renderPlanText } = loadBuilt<typeof Render>("scripts/sandbox/renderPlan.js");
const { renderStackOutputs } = loadBuilt<typeof RenderOutputs>("scripts/sandbox/renderOutputs.js");
const now = () => FIXED_NOW;

const ofType = (plan: Evaluate.Plan, short: string) =>
  plan.resources.filter((r) => r.type.endsWith(`:${short}`) && !r.component);
const typeCounts = (plan: Evaluate.Plan) => {
  const counts: Record<string, number> = {};
  for (const r of plan.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
};

describe("program under mocks: stacks/Pulumi.dev.yaml", () => {
  let plan: Evaluate.Plan;
  beforeAll(async () => {
    plan = await evaluateStack("dev", { now });
  });

  it("registers exactly the expected resource graph", () => {
    expect(typeCounts(plan)).toEqual({
      "pulumi:providers:azuread": 1,
      "crm-sync:sync:Integration": 2,
      "crm-sync:entra:IntegrationApp": 2,
      "azuread:index/application:Application": 2,
      "azuread:index/servicePrincipal:ServicePrincipal": 2,
      "azuread:index/applicationPassword:ApplicationPassword": 2,
      "time:index/static:Static": 2,
      "azuread:index/appRoleAssignment:AppRoleAssignment": 2,
      "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant": 1,
      "pulumi-nodejs:dynamic/dataverse:ApplicationUser": 1,
      "pulumi-nodejs:dynamic/dataverse:ChangeTracking": 1,
    });
  });

  it("creates the Dataverse application user for the app's client id, after its service principal and consent", () => {
    const clientId = [...plan.labels].find(([, l]) => l === "contact-center-app clientId")![0];
    const [user] = ofType(plan, "ApplicationUser");
    expect(user.name).toBe("contact-center-app-user");
    expect(user.inputs).toMatchObject({
      environmentUrl: "https://contoso-dev.crm4.dynamics.com",
      applicationId: clientId,
      securityRoles: ["Basic User"],
    });
    expect(user.inputs.businessUnitId).toBeUndefined();
    const order = (name: string) => plan.resources.findIndex((r) => r.name === name);
    expect(order("contact-center-app-user")).toBeGreaterThan(order("contact-center-sp"));
    expect(order("contact-center-app-user")).toBeGreaterThan(order("contact-center-grant-dynamics"));
    const [tracking] = ofType(plan, "ChangeTracking");
    expect(tracking.inputs).toMatchObject({
      environmentUrl: "https://contoso-dev.crm4.dynamics.com",
      entities: ["account", "contact"],
    });
  });

  it("does not give an integration without a Dataverse part any Dataverse resource", () => {
    const names = plan.resources.filter((r) => r.type.includes("dataverse")).map((r) => r.name);
    expect(names.some((n) => n.startsWith("mailbox-sync"))).toBe(false);
  });

  it("declares permissions, redirect URIs and audience on the applications", () => {
    const [cc] = ofType(plan, "Application").filter((r) => r.name === "contact-center-app");
    expect(cc.inputs).toMatchObject({
      displayName: "CRM sync contact-center (dev)",
      signInAudience: "AzureADMyOrg",
      requiredResourceAccesses: [
        {
          resourceAppId: "00000007-0000-0000-c000-000000000000",
          resourceAccesses: [{ id: "78ce3f0f-a1ce-49c2-8cde-64b5c0896db4", type: "Scope" }],
        },
      ],
      web: { redirectUris: ["https://contoso.example-vendor.com/oauth/callback"] },
      publicClient: { redirectUris: [] },
    });
  });

  it("grants application permissions with app role assignments on the Graph service principal", () => {
    const graphSp = [...plan.labels].find(([, label]) => label === "Microsoft Graph service principal")![0];
    const clientSp = [...plan.labels].find(([, label]) => label === "mailbox-sync-sp objectId")![0];
    const assignments = ofType(plan, "AppRoleAssignment").map((r) => r.inputs);
    expect(assignments).toEqual(
      expect.arrayContaining([
        { appRoleId: "df021288-bdef-4463-88db-98f22de89214", principalObjectId: clientSp, resourceObjectId: graphSp },
        { appRoleId: "ef54d2bf-783f-4e0f-bca1-3210c0444d99", principalObjectId: clientSp, resourceObjectId: graphSp },
      ]),
    );
  });

  it("grants delegated permissions tenant-wide with the scope names", () => {
    const dynamicsSp = [...plan.labels].find(([, label]) => label === "Dynamics CRM service principal")![0];
    const [grant] = ofType(plan, "ServicePrincipalDelegatedPermissionGrant");
    expect(grant.inputs).toEqual({
      servicePrincipalObjectId: [...plan.labels].find(([, l]) => l === "contact-center-sp objectId")![0],
      resourceServicePrincipalObjectId: dynamicsSp,
      claimValues: ["user_impersonation"],
    });
    expect(grant.inputs.userObjectId).toBeUndefined();
  });

  it("creates one secret per integration on the first deploy, each with its full lifetime from its creation", () => {
    const secrets = Object.fromEntries(ofType(plan, "ApplicationPassword").map((r) => [r.name, r.inputs.endDate]));
    // 24 and 12 months counted from the creation moment (the fixed clock: 2026-03-15T10:00:00Z), kept by time.Static.
    expect(secrets).toEqual({
      "contact-center-secret-1": "2028-03-15T10:00:00Z",
      "mailbox-sync-secret-1": "2027-03-15T10:00:00Z",
    });
    expect(ofType(plan, "Static").map((r) => r.name)).toEqual([
      "contact-center-secret-1-created",
      "mailbox-sync-secret-1-created",
    ]);
  });

  it("exports ids in the clear and the client secret as a Pulumi secret", () => {
    const out = (plan.outputs.integrations as Record<string, { generic: Record<string, unknown> }>)["contact-center"]
      .generic;
    expect(out.stack).toBe("dev"); // record-handover refuses outputs of another stack by this
    expect(out.tenantId).toBe(TENANT);
    expect(out.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.organizationUrl).toBe("https://contoso-dev.crm4.dynamics.com");
    expect(out.webApiUrl).toBe("https://contoso-dev.crm4.dynamics.com/api/data/v9.2");
    expect(out.applicationUserId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.changeTrackedTables).toEqual(["account", "contact"]);
    expect(out.secretExpiresAt).toBe("2028-03-15T10:00:00Z");
    expect(out.secrets).toEqual([
      {
        rotation: 1,
        keyId: expect.any(String),
        createdAt: "2026-03-15T10:00:00Z",
        endDate: "2028-03-15T10:00:00Z",
        heldByVendor: false,
        awaitingHandover: true,
      },
    ]);
    expect(out.clientSecret).toBeInstanceOf(Secret);
    expect((out.clientSecret as Resolve.Secret).value).toMatch(/^fake~/);
  });

  it("prints no secret value in the text or JSON plan", () => {
    const secret = String(
      ((plan.outputs.integrations as any)["contact-center"].generic.clientSecret as Resolve.Secret).value,
    );
    const text = `${renderPlanText(plan)}\n${renderStackOutputs(plan.outputs)}`;
    const json = planJson(plan);
    expect(text).toContain("clientSecret: [secret]");
    expect(text).toMatch(/clientSecret\s+\[secret\]/);
    expect(text).toContain("Microsoft Graph: User.Read.All (application)");
    expect(text).toContain("security roles: Basic User");
    expect(text).toContain("change tracking on: account, contact");
    expect(json).not.toContain("__provider");
    expect(text).not.toContain(secret);
    expect(json).not.toContain(secret);
    expect(JSON.parse(json).outputs.integrations["contact-center"].generic.clientSecret).toBe("[secret]");
    expect(JSON.parse(json).outputs.integrations["contact-center"].settings.clientSecret).toBe("[secret]");
  });
});

describe("program under mocks: consent switched off", () => {
  it("creates no app role assignment or delegated grant", async () => {
    const plan = await evaluateStack("consent-off", {
      now,
      config: flatConfig({
        tenantId: TENANT,
        integrations: [
          {
            name: "graph-reader",
            profile: "custom",
            grantAdminConsent: false,
            permissions: ["Microsoft Graph: User.Read.All (application)", "Microsoft Graph: User.Read (delegated)"],
          },
        ],
      }),
    });
    expect(ofType(plan, "AppRoleAssignment")).toHaveLength(0);
    expect(ofType(plan, "ServicePrincipalDelegatedPermissionGrant")).toHaveLength(0);
    expect(ofType(plan, "Application")[0].inputs.requiredResourceAccesses).toHaveLength(1);
  });
});

describe("program under mocks: invalid config", () => {
  it("fails before any resource is registered, naming the path", async () => {
    await expect(
      evaluateStack("bad", {
        config: flatConfig({
          tenantId: TENANT,
          integrations: [{ name: "x1", profile: "custom", secret: { lifetimeMonths: 30 } }],
        }),
      }),
    ).rejects.toThrow(/crm-sync:integrations\[0\]\.secret\.lifetimeMonths: must be at most 24 months/);
  });
});
