import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { loadBuilt } from "./helpers/dist";
import { FIXED_NOW, TENANT, flatConfig } from "./helpers/stackConfig";
import type * as Library from "../components/index";
import type * as Evaluate from "../scripts/sandbox/evaluate";
import type * as Resolve from "../scripts/sandbox/resolve";
import type * as Mocks from "../scripts/sandbox/mockCloud";
import type * as RenderOutputs from "../scripts/sandbox/renderOutputs";

// The built CommonJS library, as a consumer loads it (Pulumi cannot serialize vitest's module wrappers).
const pulumi = createRequire(__filename)("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
const { MockCloud } = loadBuilt<typeof Mocks>("scripts/sandbox/mockCloud.js");
const { evaluateStack } = loadBuilt<typeof Evaluate>("scripts/sandbox/evaluate.js");
const { resolveDeep, revealSecrets } = loadBuilt<typeof Resolve>("scripts/sandbox/resolve.js");
const { renderStackOutputs } = loadBuilt<typeof RenderOutputs>("scripts/sandbox/renderOutputs.js");
const now = () => FIXED_NOW;
const URL = "https://contoso.crm4.dynamics.com";
const DATAVERSE = { securityRoles: ["Basic User"], changeTracking: ["account", "contact"] };

async function underMocks<T>(
  build: (lib: typeof Library) => T,
): Promise<{ value: T; cloud: InstanceType<typeof MockCloud> }> {
  const cloud = new MockCloud({ now });
  await pulumi.runtime.setMocks(cloud, "crm-sync", "lib", false);
  const lib = loadBuilt<typeof Library>("components/index.js");
  return { value: build(lib), cloud };
}

describe("SyncIntegration as a library component", () => {
  it("exports the same object per integration as the YAML program", async () => {
    const yaml = await evaluateStack("lib", {
      now,
      config: flatConfig({
        tenantId: TENANT,
        dataverseEnvironments: { crm: URL },
        integrations: [{ name: "daktela", profile: "daktela", dataverse: DATAVERSE }],
      }),
    });
    const { value } = await underMocks(
      (lib) =>
        new lib.SyncIntegration("daktela", {
          tenantId: TENANT,
          profile: "daktela",
          now,
          dataverse: { environmentUrl: pulumi.output(URL), ...DATAVERSE },
        }),
    );
    const library = revealSecrets(await resolveDeep(value.outputs));
    const fromYaml = revealSecrets((yaml.outputs.integrations as Record<string, unknown>).daktela);
    expect(library).toEqual(fromYaml);
    expect((library as { settings: Record<string, string> }).settings["Instance URI"]).toBe(URL);
    // The plan (npm start) shows which list entries came from the profile and which from the user.
    expect(renderStackOutputs(yaml.outputs)).toContain(
      "integrations.daktela.profileEntries (which list entries came from the daktela profile, which from you):\n    dataverse.securityRoles: profile: -; yours: Basic User\n",
    );
  });

  it("keeps only the secret fields secret when the environment URL is an Output", async () => {
    const { value } = await underMocks(
      (lib) =>
        new lib.SyncIntegration("daktela", {
          tenantId: pulumi.output(TENANT),
          profile: "daktela",
          now,
          dataverse: { environmentUrl: pulumi.output(URL), ...DATAVERSE },
        }),
    );
    const settings = value.outputs.settings as Record<string, unknown>;
    expect(await pulumi.isSecret(settings["Application secret"] as never)).toBe(true);
    expect(await pulumi.isSecret(settings["Instance URI"] as never)).toBe(false);
  });

  it("throws at construction naming each bad field in the component's terms", async () => {
    const { value } = await underMocks((lib) => {
      try {
        new lib.SyncIntegration("Bad_Name", {
          tenantId: "not-a-guid",
          profile: "daktela",
          dataverse: { environmentUrl: "https://contoso.example.com", changeTracking: [] },
        });
      } catch (err) {
        return err as Error;
      }
      return undefined;
    });
    expect(value?.name).toBe("SyncIntegrationArgsError");
    const message = value!.message;
    expect(message).toContain('invalid SyncIntegration "Bad_Name" args');
    expect(message).toMatch(/- tenantId: must be a GUID/);
    expect(message).toMatch(/- name \("Bad_Name", the component's name\): must be 2-40 characters/);
    expect(message).toMatch(/- dataverse\.environmentUrl: contoso\.example\.com is not a Dataverse host/);
    expect(message).toMatch(/- dataverse\.changeTracking: lists no table/);
    expect(message).not.toContain("crm-sync:");
  });

  it("checks an Output-valued field when its value is known, failing the deployment with the field's name", async () => {
    // As under the Pulumi language host, a failed input is a rejection nobody awaits: collect them as the host does.
    const seen: string[] = [];
    let done: () => void = () => undefined;
    const both = new Promise<void>((resolve) => {
      done = resolve;
    });
    const collect = (reason: unknown) => {
      seen.push(String((reason as Error)?.message ?? reason));
      if (
        seen.some((m) => m.includes("dataverse.environmentUrl:")) &&
        seen.some((m) => m.includes("dataverse.businessUnitId:"))
      )
        done();
    };
    const previous = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", collect);
    try {
      await underMocks(
        (lib) =>
          new lib.SyncIntegration("daktela", {
            tenantId: TENANT,
            profile: "daktela",
            now,
            dataverse: {
              environmentUrl: pulumi.output("http://contoso.crm.dynamics.com"),
              businessUnitId: pulumi.output("bu-1"),
              ...DATAVERSE,
            },
          }),
      );
      await both;
    } finally {
      process.removeListener("unhandledRejection", collect);
      for (const listener of previous) process.on("unhandledRejection", listener);
    }
    expect(seen.find((m) => m.includes("dataverse.environmentUrl:"))).toMatch(
      /invalid SyncIntegration "daktela" args:\n {2}- dataverse\.environmentUrl: must use https:\/\//,
    );
    expect(seen.find((m) => m.includes("dataverse.businessUnitId:"))).toMatch(
      /- dataverse\.businessUnitId: must be a GUID/,
    );
  }, 120_000);

  it("binds its own azuread provider to its tenant and shows which entries came from the profile", async () => {
    const { value, cloud } = await underMocks(
      (lib) =>
        new lib.SyncIntegration("syncari", {
          tenantId: TENANT,
          profile: "syncari",
          now,
          permissions: ["Microsoft Graph: User.Read.All (application)"],
          dataverse: { environmentUrl: URL },
        }),
    );
    await resolveDeep(value.outputs);
    const providers = cloud.resources.filter((r) => r.type === "pulumi:providers:azuread");
    expect(providers.map((p) => [p.name, p.inputs.tenantId])).toEqual([["syncari-azuread", TENANT]]);
    expect(value.origins.permissions!.fromUser).toEqual(["Microsoft Graph: User.Read.All (application)"]);
    expect(value.origins.permissions!.fromProfile).toContain("Dynamics CRM: user_impersonation (delegated)");
  });
});
