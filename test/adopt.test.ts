import { afterEach, describe, expect, it } from "vitest";
import { loadBuilt } from "./helpers/dist";
import type * as Evaluate from "../scripts/sandbox/evaluate";
import type * as StackFiles from "../scripts/sandbox/stackFiles";
import type * as Run from "../scripts/adopt/run";
import type * as Sandbox from "../scripts/adopt/sandbox";
import type * as StackText from "../scripts/adopt/stackText";
import type * as GraphSeed from "../emulator/graph/seed";
import type * as WellKnown from "../emulator/graph/wellKnown";

const { evaluateStack } = loadBuilt<typeof Evaluate>("scripts/sandbox/evaluate.js");
const { stackConfigFromText } = loadBuilt<typeof StackFiles>("scripts/sandbox/stackFiles.js");
const { adopt, ioFromEnv } = loadBuilt<typeof Run>("scripts/adopt/run.js");
const { startAdoptSandbox, SANDBOX_ENVIRONMENT, SANDBOX_TENANT } =
  loadBuilt<typeof Sandbox>("scripts/adopt/sandbox.js");
const { stackFileText, validateStackText } = loadBuilt<typeof StackText>("scripts/adopt/stackText.js");
const { seedApplication } = loadBuilt<typeof GraphSeed>("emulator/graph/seed.js");
const { MICROSOFT_GRAPH_APP_ID } = loadBuilt<typeof WellKnown>("emulator/graph/wellKnown.js");

const NOW = new Date("2026-12-01T12:00:00Z");
let open: Sandbox.Sandbox | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

async function adoptSandbox(vendor: string, extra: Partial<Run.AdoptRequest> = {}) {
  const sandbox = (open = await startAdoptSandbox(vendor, NOW));
  const request: Run.AdoptRequest = {
    tenantId: SANDBOX_TENANT,
    clientId: sandbox.clientId,
    environments: sandbox.usesDataverse ? [SANDBOX_ENVIRONMENT] : [],
    now: NOW,
    ...extra,
  };
  // The same reads a real run makes; only the environment variables point them at the emulators.
  const result = await adopt(request, ioFromEnv(sandbox.env));
  const text = stackFileText({
    tenantId: SANDBOX_TENANT,
    environments: request.environments,
    entry: result.entry,
    differences: result.differences,
    profile: result.match.best.profile,
    clientId: sandbox.clientId,
  });
  return { sandbox, result, text };
}

const ofType = (plan: Evaluate.Plan, short: string) =>
  plan.resources.filter((r) => r.type.endsWith(`:${short}`) && !r.component);

describe("npm run adopt against the Graph and Dataverse emulators", () => {
  for (const vendor of ["daktela", "bright-pattern", "syncari", "cdata", "raynet"]) {
    it(`${vendor}: detects the profile, writes nothing, and the stack imports the app and keeps the vendor's secret`, async () => {
      const { sandbox, result, text } = await adoptSandbox(vendor);
      expect(result.match.best.profile).toBe(vendor);
      expect(sandbox.writes()).toEqual({ graph: 0, dataverse: 0 });
      expect(sandbox.graph.log.every((r) => r.method === "GET")).toBe(true);
      validateStackText(text, NOW);

      const app = sandbox.graph.data.applications[0];
      const sp = sandbox.graph.data.servicePrincipals.find((s) => s.appId === app.appId)!;
      const plan = await evaluateStack(`adopted-${vendor}`, {
        config: stackConfigFromText(text, "adopted"),
        now: () => NOW,
      });
      expect(ofType(plan, "Application").map((r) => r.import)).toEqual([`/applications/${app.id}`]);
      expect(ofType(plan, "ServicePrincipal").map((r) => r.import)).toEqual([`/servicePrincipals/${sp.id}`]);
      // The imported app's inputs are what exists, so the import changes nothing on it.
      const inputs = ofType(plan, "Application")[0].inputs as {
        displayName: string;
        requiredResourceAccesses: { resourceAppId: string; resourceAccesses: { id: string; type: string }[] }[];
        web: { redirectUris: string[] };
      };
      const access = (
        list: {
          resourceAppId: string;
          resourceAccess?: { id: string; type: string }[];
          resourceAccesses?: { id: string; type: string }[];
        }[],
      ) =>
        list
          .flatMap((r) =>
            (r.resourceAccess ?? r.resourceAccesses ?? []).map((a) => `${r.resourceAppId}/${a.id}/${a.type}`),
          )
          .sort();
      expect(access(inputs.requiredResourceAccesses)).toEqual(access(app.requiredResourceAccess));
      expect(inputs.displayName).toBe(app.displayName);
      expect(inputs.web.redirectUris).toEqual(app.web.redirectUris);
      // Consent that exists is imported too, never created a second time.
      for (const r of [
        ...ofType(plan, "AppRoleAssignment"),
        ...ofType(plan, "ServicePrincipalDelegatedPermissionGrant"),
      ])
        expect(r.import).toMatch(
          /^\/(servicePrincipals\/[0-9a-f-]{36}\/appRoleAssignedTo|oauth2PermissionGrants)\/[\w-]+$/,
        );
      expect(ofType(plan, "ApplicationPassword")).toHaveLength(0);
      const out = (
        plan.outputs.integrations as Record<
          string,
          { generic: { secrets: Record<string, unknown>[]; clientId: string } }
        >
      )[result.name];
      expect(out.generic.clientId).toBe(app.appId);
      expect(out.generic.secrets).toEqual([
        expect.objectContaining({
          rotation: 0,
          keyId: app.passwordCredentials[0].keyId,
          endDate: app.passwordCredentials[0].endDateTime,
          heldByVendor: true,
          managed: false,
        }),
      ]);
    });
  }

  it("syncari: the generated role and the page's tables are not imposed on an adopted integration; the tables it tracks are kept", async () => {
    const { result, text } = await adoptSandbox("syncari");
    const plan = await evaluateStack("adopted-syncari", {
      config: stackConfigFromText(text, "adopted"),
      now: () => NOW,
    });
    expect(ofType(plan, "SecurityRole")).toHaveLength(0);
    expect(ofType(plan, "ChangeTracking").map((r) => r.inputs.entities)).toEqual([["account", "contact", "lead"]]);
    expect(result.differences.map((d) => d.found)).toContain("missing: Microsoft Graph: offline_access (delegated)");
  });

  it("daktela: reports System Administrator as a difference from the page and keeps the role as it is", async () => {
    const { result } = await adoptSandbox("daktela");
    expect(result.differences).toEqual([
      expect.objectContaining({ aspect: "security roles", found: "System Administrator held" }),
    ]);
    expect(result.entry.dataverse).toMatchObject({ securityRoles: ["System Administrator"], adoptExistingUser: true });
  });

  it("falls back to custom for a setup no vendor page explains, and flags a permission the catalog does not know", async () => {
    const sandbox = (open = await startAdoptSandbox("raynet", NOW));
    const { application } = seedApplication(sandbox.graph.data, {
      displayName: "Home-grown sync",
      applicationPermissions: { [MICROSOFT_GRAPH_APP_ID]: ["Directory.ReadWrite.All"] },
      passwords: [],
    });
    const result = await adopt(
      { tenantId: SANDBOX_TENANT, clientId: application.appId, environments: [], now: NOW },
      ioFromEnv(sandbox.env),
    );
    expect(result.match.best.profile).toBe("custom");
    expect(result.name).toBe("home-grown-sync");
    expect(result.differences.find((d) => d.found.includes("not in this package's catalog"))?.firstUp).toMatch(
      /REMOVED/,
    );
    expect(result.differences.find((d) => d.aspect === "client secret")?.found).toBe("none");
    expect(sandbox.writes().graph).toBe(0);
  });

  it("names a missing app clearly and reads nothing else", async () => {
    const sandbox = (open = await startAdoptSandbox("daktela", NOW));
    await expect(
      adopt(
        { tenantId: SANDBOX_TENANT, clientId: "11111111-2222-4333-8444-555555555555", environments: [], now: NOW },
        ioFromEnv(sandbox.env),
      ),
    ).rejects.toThrow(/no app registration with client id 11111111-2222-4333-8444-555555555555/);
    expect(sandbox.graph.log.map((r) => r.path)).toEqual(["/applications"]);
  });

  it("a wrong token is refused by the emulators and reported with Graph's error code", async () => {
    const sandbox = (open = await startAdoptSandbox("daktela", NOW));
    await expect(
      adopt(
        { tenantId: SANDBOX_TENANT, clientId: sandbox.clientId, environments: [], now: NOW },
        ioFromEnv({ ...sandbox.env, GRAPH_ACCESS_TOKEN: "stolen" }),
      ),
    ).rejects.toThrow(/401 InvalidAuthenticationToken/);
  });
});
