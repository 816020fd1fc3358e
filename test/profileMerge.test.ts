import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../components/config";
import { permissionLabel } from "../components/entra/permissions";

const TENANT = "5f3c1a2b-7d4e-4f60-9a8b-0c1d2e3f4a5b";
const syncari = (extra: Record<string, unknown>) =>
  parseStackConfig({
    tenantId: TENANT,
    dataverseEnvironments: { crm: "https://contoso.crm.dynamics.com" },
    integrations: [{ name: "syncari", profile: "syncari", ...extra }],
  }).integrations[0]!;
const labels = (integration: ReturnType<typeof syncari>) => integration.permissions.map(permissionLabel);

describe("profile lists merge with the user's, never silently drop", () => {
  it("one extra Graph permission keeps Syncari's user_impersonation, User.Read and offline_access", () => {
    const integration = syncari({ permissions: ["Microsoft Graph: User.Read.All (application)"] });
    expect(labels(integration)).toEqual([
      "Microsoft Graph: User.Read.All (application)",
      "Dynamics CRM: user_impersonation (delegated)",
      "Microsoft Graph: User.Read (delegated)",
      "Microsoft Graph: offline_access (delegated)",
    ]);
    expect(integration.origins.permissions).toEqual({
      fromProfile: [
        "Dynamics CRM: user_impersonation (delegated)",
        "Microsoft Graph: User.Read (delegated)",
        "Microsoft Graph: offline_access (delegated)",
      ],
      fromUser: ["Microsoft Graph: User.Read.All (application)"],
    });
  });

  it("a permission the profile already has is not a duplicate and counts as the profile's", () => {
    const integration = syncari({ permissions: ["Dynamics CRM: user_impersonation (delegated)"] });
    expect(labels(integration)).toHaveLength(3);
    expect(integration.origins.permissions!.fromUser).toEqual([]);
  });

  it("one extra table keeps write on the tables Syncari syncs; operations add up and the user's depth wins", () => {
    const integration = syncari({
      dataverse: {
        access: {
          opportunity: { operations: ["read"], depth: "businessUnit" },
          account: { operations: ["delete"], depth: "businessUnit" },
        },
        changeTracking: ["opportunity"],
      },
    });
    const access = integration.dataverse!.access!;
    expect(Object.keys(access).sort()).toEqual(["account", "contact", "lead", "opportunity"]);
    expect(access.contact).toEqual({
      operations: ["read", "create", "write", "append", "appendTo"],
      depth: "organization",
    });
    expect(access.account).toEqual({
      operations: ["delete", "read", "create", "write", "append", "appendTo"],
      depth: "businessUnit",
    });
    expect(integration.dataverse!.changeTracking).toEqual(["opportunity", "account", "contact", "lead"]);
    expect(integration.origins["dataverse.access.account"]).toEqual({
      fromProfile: ["read", "create", "write", "append", "appendTo"],
      fromUser: ["delete"],
    });
    expect(integration.origins["dataverse.access.opportunity"]).toEqual({ fromProfile: [], fromUser: ["read"] });
    expect(integration.origins["dataverse.changeTracking"]).toEqual({
      fromProfile: ["account", "contact", "lead"],
      fromUser: ["opportunity"],
    });
  });

  it("replaces the profile's list only when the user names it in replaceProfileDefaults, and records that", () => {
    const integration = syncari({
      permissions: ["Dynamics CRM: user_impersonation (delegated)"],
      dataverse: { changeTracking: ["account"] },
      replaceProfileDefaults: ["permissions", "dataverse.changeTracking"],
    });
    expect(labels(integration)).toEqual(["Dynamics CRM: user_impersonation (delegated)"]);
    expect(integration.dataverse!.changeTracking).toEqual(["account"]);
    expect(integration.origins.permissions).toEqual({
      fromProfile: [],
      fromUser: ["Dynamics CRM: user_impersonation (delegated)"],
      replaced: true,
    });
    // Lists not named still merge.
    expect(Object.keys(integration.dataverse!.access!)).toEqual(["account", "contact", "lead"]);
  });

  it("keeps the user's own indices in error paths, and names an unknown switch", () => {
    const problems = (() => {
      try {
        syncari({ permissions: ["Microsoft Graph: No.Such (application)"], replaceProfileDefaults: ["permission"] });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).problems;
      }
      return [];
    })();
    expect(problems.some((p) => p.startsWith("crm-sync:integrations[0].permissions[0]:"))).toBe(true);
    expect(
      problems.some((p) =>
        p.startsWith("crm-sync:integrations[0].replaceProfileDefaults[0]: must be one of: permissions"),
      ),
    ).toBe(true);
  });
});
