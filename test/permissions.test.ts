import { describe, expect, it } from "vitest";
import { consentPlan, requiredResourceAccesses, verifiedPermissionId } from "../components/entra/consent";
import {
  knownPermissionNames,
  parsePermission,
  permissionById,
  type Permission,
} from "../components/entra/permissions";
import { redirectUriProblem } from "../components/entra/redirectUris";
import { addMonthsUtc } from "../components/entra/secretExpiry";

const parse = (text: string) => {
  const p = parsePermission(text);
  if ("error" in p) throw new Error(p.error);
  return p;
};

describe("permission catalog", () => {
  it("resolves names to ids and kinds, case-insensitively, with API aliases", () => {
    expect(parse("Microsoft Graph: Contacts.ReadWrite (application)")).toMatchObject({
      id: "6918b873-d17a-4dc1-b314-35f528134491",
      kind: "application",
    });
    expect(parse("graph: contacts.readwrite (Delegated)")).toMatchObject({
      value: "Contacts.ReadWrite",
      id: "d56682ec-c09e-4743-aaf4-1a3aac4caa21",
      kind: "delegated",
    });
    expect(parse("Dataverse: user_impersonation (delegated)").api.appId).toBe("00000007-0000-0000-c000-000000000000");
  });

  it("suggests the closest known names for a typo", () => {
    const result = parsePermission("Microsoft Graph: Contacts.ReadWrite.All (application)");
    expect("error" in result && result.error).toMatch(
      /did you mean "Microsoft Graph: Contacts.ReadWrite \(application\)"/,
    );
  });

  it("maps ids back to names for plans and reports", () => {
    expect(permissionById("00000003-0000-0000-c000-000000000000", "44e666d1-d276-445b-a5fc-8815eeb81d55")?.value).toBe(
      "Tasks.ReadWrite.All",
    );
    expect(
      permissionById("00000003-0000-0000-c000-000000000000", "00000000-0000-0000-0000-000000000000"),
    ).toBeUndefined();
  });

  it("lists every known name in parseable form", () => {
    const names = knownPermissionNames();
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect("error" in parsePermission(name)).toBe(false);
  });
});

describe("consent plan", () => {
  const perms: Permission[] = [
    parse("Microsoft Graph: User.Read.All (application)"),
    parse("Microsoft Graph: User.Read (delegated)"),
    parse("Microsoft Graph: offline_access (delegated)"),
    parse("Dynamics CRM: user_impersonation (delegated)"),
  ];

  it("declares required resource access per API with Role and Scope types", () => {
    expect(requiredResourceAccesses(perms)).toEqual([
      {
        resourceAppId: "00000003-0000-0000-c000-000000000000",
        resourceAccesses: [
          { id: "df021288-bdef-4463-88db-98f22de89214", type: "Role" },
          { id: "e1fe6dd8-ba31-4d61-89e7-88639da4683d", type: "Scope" },
          { id: "7427e0e9-2fba-42fe-b0c0-848c9e6a8182", type: "Scope" },
        ],
      },
      {
        resourceAppId: "00000007-0000-0000-c000-000000000000",
        resourceAccesses: [{ id: "78ce3f0f-a1ce-49c2-8cde-64b5c0896db4", type: "Scope" }],
      },
    ]);
  });

  it("makes one app role assignment per application permission and one grant per API", () => {
    const plan = consentPlan(perms);
    expect(plan.appRoleAssignments.map((p) => p.value)).toEqual(["User.Read.All"]);
    expect(plan.delegatedGrants.map((g) => [g.api.name, g.claimValues])).toEqual([
      ["Microsoft Graph", ["User.Read", "offline_access"]],
      ["Dynamics CRM", ["user_impersonation"]],
    ]);
  });

  it("refuses a tenant whose service principal publishes another id", () => {
    const p = perms[0];
    expect(verifiedPermissionId({ "User.Read.All": p.id.toUpperCase() }, p)).toBe(p.id);
    expect(() => verifiedPermissionId({ "User.Read.All": "11111111-1111-1111-1111-111111111111" }, p)).toThrow(
      /catalog says/,
    );
    expect(() => verifiedPermissionId({}, p)).toThrow(/publishes no application permission "User.Read.All"/);
  });
});

describe("redirect URIs (web platform)", () => {
  it.each([
    ["https://vendor.example.com/cb", undefined],
    ["http://localhost:33333", undefined], // registered as http://localhost:33333/
    ["http://127.0.0.1:8400/callback", undefined],
    ["http://[::1]:8400", /IPv6 loopback/],
    ["http://vendor.example.com/cb", /https/],
    ["https://vendor.example.com/*", /wildcard/],
    ["https://vendor.example.com/cb;x=1", /";"/],
    ["https://vendor.example.com/cb(1)", /"\(", "\)"/],
    ["https://vendor.example.com/cb#top", /fragment/],
    ["vendor.example.com", /no host/],
    [`https://vendor.example.com/${"a".repeat(260)}`, /256/],
  ])("%s", (uri, expected) => {
    const problem = redirectUriProblem(uri, "web");
    if (expected) expect(problem).toMatch(expected);
    else expect(problem).toBeUndefined();
  });
});

describe("secret expiry", () => {
  it("adds months in UTC and clamps to the month end", () => {
    expect(addMonthsUtc(new Date("2026-03-15T10:00:00.123Z"), 24).toISOString()).toBe("2028-03-15T10:00:00.000Z");
    expect(addMonthsUtc(new Date("2026-01-31T00:00:00Z"), 1).toISOString()).toBe("2026-02-28T00:00:00.000Z");
    expect(addMonthsUtc(new Date("2027-08-31T00:00:00Z"), 6).toISOString()).toBe("2028-02-29T00:00:00.000Z");
  });
});

describe("resource ownership", () => {
  it("finds the longest integration name a resource name starts with, in one lookup per resource", async () => {
    const { integrationIndex } = await import("../components/resourceTypes");
    const owner = integrationIndex(["crm", "crm-eu", "sync"]);
    expect(["crm-app", "crm-eu-app", "crm-eu", "sync-secret-1-created", "crmx-app", "other"].map(owner)).toEqual([
      "crm",
      "crm-eu",
      "crm-eu",
      "sync",
      undefined,
      undefined,
    ]);
  });
});
