import { describe, expect, it } from "vitest";
import { adoptedSecretPlan } from "../components/entra/vendorSecret";
import { ConfigError, parseStackConfig } from "../components/config";
import { statusRows, renderStatus, statusFailures } from "../scripts/rotation/status";
import { loadBuilt } from "./helpers/dist";
import { TENANT } from "./helpers/stackConfig";
import type * as Evaluate from "../scripts/sandbox/evaluate";

const { evaluateStack } = loadBuilt<typeof Evaluate>("scripts/sandbox/evaluate.js");

const POLICY = { lifetimeMonths: 24, rotateEveryDays: 365, generation: 0, expiryWarningDays: 30 };
const VENDOR = {
  keyId: "0b0c3f6e-1111-4222-8333-444455556666",
  endDate: "2027-06-01T00:00:00Z",
  displayName: "Daktela",
  remove: false,
};
const at = (iso: string) => new Date(iso);

describe("the vendor's own secret of an adopted integration", () => {
  it("is held, untouched, with no managed secret until the warning window opens", () => {
    const plan = adoptedSecretPlan(POLICY, VENDOR, undefined, at("2027-04-01T00:00:00Z"));
    expect(plan.secrets).toEqual([]);
    expect(plan.handOut).toBe(0);
    expect(plan.vendorSecret).toMatchObject({ keyId: VENDOR.keyId, status: "held", daysLeft: 61 });
    expect(plan.nextRotationAt).toBe("2027-05-02T00:00:00Z");
    expect(plan.warnings).toEqual([]);
  });

  it("gets managed rotation 1 created, awaiting handover, inside the warning window", () => {
    const plan = adoptedSecretPlan(POLICY, VENDOR, undefined, at("2027-05-02T00:00:00Z"));
    expect(plan.secrets).toEqual([{ rotation: 1, role: "pending" }]);
    expect(plan.handOut).toBe(1);
    expect(plan.warnings[0]).toMatch(/ends in 30 days.*record the handover/);
  });

  it("gets rotation 1 at once on demand (generation above 0)", () => {
    expect(
      adoptedSecretPlan({ ...POLICY, generation: 1 }, VENDOR, undefined, at("2026-12-01T00:00:00Z")).secrets,
    ).toEqual([{ rotation: 1, role: "pending" }]);
  });

  it("after the handover of rotation 1 follows the normal schedule and is only listed for removal", () => {
    const handover = { rotation: 1, createdAt: "2027-05-02T00:00:00Z", generation: 0 };
    const plan = adoptedSecretPlan(POLICY, VENDOR, handover, at("2027-05-03T00:00:00Z"));
    expect(plan.secrets).toEqual([{ rotation: 1, role: "held" }]);
    expect(plan.vendorSecret.status).toBe("replaced");
    expect(plan.warnings.join(" ")).toMatch(/listed for removal/);
    expect(
      adoptedSecretPlan(POLICY, { ...VENDOR, remove: true }, handover, at("2027-05-03T00:00:00Z")).vendorSecret.status,
    ).toBe("removalRequested");
  });
});

const adopted = (existing: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  tenantId: TENANT,
  dataverseEnvironments: { crm: "https://contoso.crm4.dynamics.com" },
  integrations: [{ name: "syncari", profile: "syncari", existing, ...extra }],
});
const IDS = {
  applicationObjectId: "6152c1d7-e581-4a9d-8ba9-f8a6cf7dfef8",
  clientId: "c5c5d1be-c759-42ca-8816-522e5fee0441",
  servicePrincipalObjectId: "b9fdd71c-ddfa-4861-b577-c23b10ae82a9",
};
const problems = (raw: Record<string, unknown>) => {
  try {
    parseStackConfig(raw);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
};

describe("existing: in the stack config", () => {
  it("needs the app's object id for the import, and says how to find it from a client id", () => {
    expect(
      problems(adopted({ clientId: IDS.clientId, servicePrincipalObjectId: IDS.servicePrincipalObjectId })),
    ).toEqual([
      expect.stringMatching(
        /^crm-sync:integrations\[0\]\.existing\.applicationObjectId: is required to take over app c5c5d1be.*npm run adopt/,
      ),
    ]);
  });

  it("refuses removing the vendor's secret before a managed one was handed over, and names typos", () => {
    const found = problems(
      adopted({
        ...IDS,
        vendorSecret: { keyId: VENDOR.keyId, endDate: VENDOR.endDate, remove: true },
        appRoleAsignments: {},
      }),
    );
    expect(found.join("\n")).toMatch(
      /existing\.appRoleAsignments: unknown setting \(did you mean appRoleAssignments\?\)/,
    );
    const ordered = problems(
      adopted({ ...IDS, vendorSecret: { keyId: VENDOR.keyId, endDate: VENDOR.endDate, remove: true } }),
    );
    expect(ordered).toEqual([
      expect.stringMatching(
        /existing\.vendorSecret\.remove: asks to remove the vendor's secret, but no managed secret has been handed over/,
      ),
    ]);
  });

  it("refuses an app role assignment for a permission the integration does not declare", () => {
    const found = problems(
      adopted({
        ...IDS,
        appRoleAssignments: {
          "Microsoft Graph: User.Read.All (application)": `/servicePrincipals/${IDS.servicePrincipalObjectId}/appRoleAssignedTo/41W1zT6z1U-kJxf62svfp1HFE8pMZhxDun-ThPczmJE`,
        },
      }),
    );
    expect(found).toEqual([
      expect.stringMatching(
        /appRoleAssignments\.Microsoft Graph: User\.Read\.All \(application\): is not an application permission of this integration/,
      ),
    ]);
  });

  it("keeps the profile's generated role and page tables off an adopted integration unless declared", () => {
    const plain = parseStackConfig(adopted(IDS)).integrations[0];
    expect(plain.dataverse?.access).toBeUndefined();
    expect(plain.dataverse?.changeTracking).toBeUndefined();
    const fresh = parseStackConfig({ ...adopted(IDS), integrations: [{ name: "syncari", profile: "syncari" }] })
      .integrations[0];
    expect(Object.keys(fresh.dataverse?.access ?? {})).toEqual(["account", "contact", "lead"]);
  });
});

describe("an adopted stack through the program and the status command", () => {
  it("creates a managed secret only once the vendor's secret is in its warning window, and secret-status says who holds what", async () => {
    const flat = Object.fromEntries(
      Object.entries(adopted({ ...IDS, vendorSecret: { keyId: VENDOR.keyId, endDate: VENDOR.endDate } })).map(
        ([k, v]) => [`crm-sync:${k}`, typeof v === "string" ? v : JSON.stringify(v)],
      ),
    );
    const early = await evaluateStack("adopted", { config: flat, now: () => at("2027-01-01T00:00:00Z") });
    expect(early.resources.filter((r) => r.type.endsWith(":ApplicationPassword"))).toHaveLength(0);
    const late = await evaluateStack("adopted", { config: flat, now: () => at("2027-05-10T00:00:00Z") });
    expect(late.resources.filter((r) => r.type.endsWith(":ApplicationPassword")).map((r) => r.name)).toEqual([
      "syncari-secret-1",
    ]);
    const outputs = late.outputs.integrations as Parameters<typeof statusRows>[0];
    const rows = statusRows(outputs, at("2027-05-10T00:00:00Z"));
    expect(rows.map((r) => [r.rotation, r.managed, r.heldByVendor, r.awaitingHandover])).toEqual([
      [0, false, true, false],
      [1, true, false, true],
    ]);
    expect(renderStatus(rows)).toMatch(/vendor's own \(unmanaged\)\s+0b0c3f6e-1111-4222-8333-444455556666/);
    expect(statusFailures(outputs, rows, "adopted")[0]).toMatch(
      /the secret the vendor holds \(rotation 0\) ends in 22 days.*paste rotation 1/,
    );
  });
});

describe("an imported app that is not the one existing.clientId names", () => {
  it("fails the run naming both client ids", async () => {
    const flat = Object.fromEntries(
      Object.entries(adopted({ ...IDS, vendorSecret: { keyId: VENDOR.keyId, endDate: VENDOR.endDate } })).map(
        ([k, v]) => [`crm-sync:${k}`, typeof v === "string" ? v : JSON.stringify(v)],
      ),
    );
    const { MockCloud } = loadBuilt<typeof import("../scripts/sandbox/mockCloud")>("scripts/sandbox/mockCloud.js");
    const cloud = new MockCloud({
      importedClientIds: { [IDS.applicationObjectId]: "99999999-9999-4999-8999-999999999999" },
    });
    await expect(
      evaluateStack("adopted", { config: flat, cloud, now: () => at("2027-01-01T00:00:00Z") }),
    ).rejects.toThrow(
      /is the app with client id 99999999-9999-4999-8999-999999999999, not c5c5d1be-c759-42ca-8816-522e5fee0441/,
    );
  });
});
