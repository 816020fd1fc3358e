import { describe, expect, it } from "vitest";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  applicationPermissionAllowList,
  dataversePrivilegeDepth,
  dataverseAdministrativeAccess,
  dataverseSystemAdministrator,
  expiryWarningWindow,
  noWildcardRedirectUris,
  redirectUrisHttps,
  secretLifetime,
} from "../policy/policies";

const GRAPH = "00000003-0000-0000-c000-000000000000";
const USER_READ_ALL = "df021288-bdef-4463-88db-98f22de89214";

/** Runs a resource policy on one resource as the policy SDK would; returns the violations reported. */
async function violations(
  policy: ResourceValidationPolicy,
  type: string,
  props: Record<string, unknown>,
  config: object = {},
): Promise<string[]> {
  const found: string[] = [];
  const args = {
    type,
    props,
    urn: `urn:pulumi:prod::crm-sync::${type}::x`,
    name: "x",
    opts: {},
    stackTags: new Map(),
    getConfig: () => ({ ...defaults(policy), ...config }),
    isType: () => false,
    asType: () => undefined,
  } as any;
  const validate = policy.validateResource as (a: unknown, r: (m: string) => void) => void | Promise<void>;
  await validate(args, (message) => found.push(message));
  return found;
}

function defaults(policy: {
  configSchema?: { properties?: Record<string, { default?: unknown }> };
}): Record<string, unknown> {
  return Object.fromEntries(Object.entries(policy.configSchema?.properties ?? {}).map(([k, v]) => [k, v.default]));
}

const app = (over: Record<string, unknown> = {}) => ({
  displayName: "CRM sync",
  web: { redirectUris: ["https://vendor.example.com/cb"] },
  publicClient: { redirectUris: ["http://localhost:33333"] },
  singlePageApplication: { redirectUris: [] },
  requiredResourceAccesses: [],
  ...over,
});
const APPLICATION = "azuread:index/application:Application";

describe("policy pack", () => {
  it("redirect URIs: https, loopback http allowed", async () => {
    expect(await violations(redirectUrisHttps, APPLICATION, app())).toEqual([]);
    expect(
      await violations(
        redirectUrisHttps,
        APPLICATION,
        app({ web: { redirectUris: ["http://vendor.example.com/cb"] } }),
      ),
    ).toEqual([expect.stringMatching(/web redirect URI http:\/\/vendor.example.com\/cb must use https/)]);
  });

  it("redirect URIs: no wildcard", async () => {
    expect(await violations(noWildcardRedirectUris, APPLICATION, app())).toEqual([]);
    expect(
      await violations(
        noWildcardRedirectUris,
        APPLICATION,
        app({ singlePageApplication: { redirectUris: ["https://*.example.com/cb"] } }),
      ),
    ).toEqual(["singlePageApplication redirect URI https://*.example.com/cb has a wildcard"]);
  });

  it("secret lifetime at most 24 months (configurable), end date required", async () => {
    const type = "azuread:index/applicationPassword:ApplicationPassword";
    expect(
      await violations(secretLifetime, type, { startDate: "2026-01-01T00:00:00Z", endDate: "2027-12-31T00:00:00Z" }),
    ).toEqual([]);
    expect(
      await violations(secretLifetime, type, { startDate: "2026-01-01T00:00:00Z", endDate: "2028-06-01T00:00:00Z" }),
    ).toEqual([expect.stringMatching(/more than 24 months/)]);
    expect(
      await violations(
        secretLifetime,
        type,
        { startDate: "2026-01-01T00:00:00Z", endDate: "2026-12-31T00:00:00Z" },
        { maxMonths: 6 },
      ),
    ).toEqual([expect.stringMatching(/more than 6 months/)]);
    expect(await violations(secretLifetime, type, {})).toEqual([expect.stringMatching(/no endDate/)]);
  });

  it("application permissions only from the allow-list", async () => {
    const props = app({
      requiredResourceAccesses: [
        {
          resourceAppId: GRAPH,
          resourceAccesses: [
            { id: USER_READ_ALL, type: "Role" },
            { id: "e1fe6dd8-ba31-4d61-89e7-88639da4683d", type: "Scope" },
          ],
        },
      ],
    });
    expect(await violations(applicationPermissionAllowList, APPLICATION, props)).toEqual([
      'application permission "Microsoft Graph: User.Read.All (application)" is not in the allow-list (policy config "allowed")',
    ]);
    expect(
      await violations(applicationPermissionAllowList, APPLICATION, props, {
        allowed: ["Microsoft Graph: User.Read.All (application)"],
      }),
    ).toEqual([]);
  });

  it("Dataverse System Administrator only when explicitly allowed, by name or template id", async () => {
    const type = "pulumi-nodejs:dynamic/dataverse:ApplicationUser";
    expect(await violations(dataverseSystemAdministrator, type, { securityRoles: ["Basic User"] })).toEqual([]);
    expect(
      await violations(dataverseSystemAdministrator, type, { securityRoles: ["Basic User", "system administrator"] }),
    ).toHaveLength(1);
    expect(
      await violations(dataverseSystemAdministrator, type, { securityRoles: ["627090FF-40A3-4053-8790-584EDC5BE201"] }),
    ).toHaveLength(1);
    expect(
      await violations(
        dataverseSystemAdministrator,
        type,
        { securityRoles: ["System Administrator"] },
        { allowSystemAdministrator: true },
      ),
    ).toEqual([]);
  });

  it("caps the depth of generated role privileges per operation (default: no organization-wide delete, assign, share)", async () => {
    const type = "pulumi-nodejs:dynamic/dataverse:SecurityRole";
    const role = (grants: { table: string; operation: string; depth: string }[], administrativeReason?: string) => ({
      roleName: "r",
      environmentUrl: "https://x.crm.dynamics.com",
      grants,
      administrativeReason,
    });
    expect(
      await violations(
        dataversePrivilegeDepth,
        type,
        role([
          { table: "account", operation: "read", depth: "Global" },
          { table: "account", operation: "delete", depth: "Local" },
        ]),
      ),
    ).toEqual([]);
    expect(
      await violations(
        dataversePrivilegeDepth,
        type,
        role([{ table: "phonecall", operation: "delete", depth: "Global" }]),
      ),
    ).toEqual([
      "delete on phonecall (prvDeleteActivity) at organization depth exceeds the allowed businessUnit (policy config maxDepth.delete)",
    ]);
    expect(
      await violations(
        dataversePrivilegeDepth,
        type,
        role([{ table: "account", operation: "write", depth: "Global" }]),
        { maxDepth: { write: "user" } },
      ),
    ).toHaveLength(1);
    // a table whose names are not recorded: honest about it, no invented name
    expect(
      await violations(
        dataversePrivilegeDepth,
        type,
        role([{ table: "new_thing", operation: "delete", depth: "Global" }]),
      ),
    ).toEqual([
      expect.stringMatching(/^delete on new_thing \(privilege name resolved from the table's metadata at deploy\)/),
    ]);
  });

  it("flags administrator-level grants with the reason given, whether or not the stack opted in", async () => {
    const type = "pulumi-nodejs:dynamic/dataverse:SecurityRole";
    const role = (grants: { table: string; operation: string; depth: string }[], administrativeReason?: string) => ({
      roleName: "r",
      environmentUrl: "https://x.crm.dynamics.com",
      grants,
      administrativeReason,
    });
    expect(
      await violations(
        dataverseAdministrativeAccess,
        type,
        role([{ table: "systemuser", operation: "read", depth: "Local" }]),
      ),
    ).toEqual([]);
    expect(
      await violations(
        dataverseAdministrativeAccess,
        type,
        role([{ table: "role", operation: "assign", depth: "Global" }], "vendor assigns roles to its agents"),
      ),
    ).toEqual([
      "assign on role (prvAssignRole) is administrator-level access (security roles and their privileges); reason given: vendor assigns roles to its agents",
    ]);
    expect(
      await violations(
        dataverseAdministrativeAccess,
        type,
        role([{ table: "systemuser", operation: "create", depth: "Global" }]),
        { allow: true },
      ),
    ).toEqual([]);
  });

  it("every integration has an expiry warning window", async () => {
    const run = async (props: Record<string, unknown>) => {
      const found: string[] = [];
      const resource = { type: "crm-sync:entra:IntegrationApp", name: "crm", urn: "urn:x", props, opts: {} };
      await (expiryWarningWindow as StackValidationPolicy).validateStack(
        { resources: [resource], getConfig: () => defaults(expiryWarningWindow), stackTags: new Map() } as any,
        (m) => found.push(m),
      );
      return found;
    };
    expect(await run({ expiryWarningDays: 30 })).toEqual([]);
    expect(await run({ expiryWarningDays: 3 })).toEqual([
      expect.stringMatching(/integration crm has no expiry warning window of at least 7 days/),
    ]);
    expect(await run({})).toHaveLength(1);
  });
});

describe("policy pack on the example stacks", () => {
  it("passes every example stack with the example policy config", async () => {
    const { loadBuilt } = await import("./helpers/dist");
    const { evaluateStack } = loadBuilt<typeof import("../scripts/sandbox/evaluate")>("scripts/sandbox/evaluate.js");
    const { listStacks } = loadBuilt<typeof import("../scripts/sandbox/stackFiles")>("scripts/sandbox/stackFiles.js");
    const config = JSON.parse(
      await import("node:fs").then((fs) => fs.readFileSync(`${__dirname}/../policy/config.example.json`, "utf8")),
    );
    const policies = [
      redirectUrisHttps,
      noWildcardRedirectUris,
      secretLifetime,
      applicationPermissionAllowList,
      dataverseSystemAdministrator,
      dataversePrivilegeDepth,
      dataverseAdministrativeAccess,
    ];
    const found: string[] = [];
    for (const stack of listStacks()) {
      const plan = await evaluateStack(stack);
      for (const r of plan.resources) {
        for (const p of policies)
          found.push(
            ...(await violations(p, r.type, r.inputs, config[p.name] ?? {})).map((v) => `${stack} ${r.name}: ${v}`),
          );
      }
      const apps = plan.resources.filter((r) => r.type === "crm-sync:entra:IntegrationApp");
      expect(apps.length).toBeGreaterThan(0);
      await (expiryWarningWindow as StackValidationPolicy).validateStack(
        {
          resources: apps.map((r) => ({ ...r, props: r.inputs, urn: r.name, opts: {} })),
          getConfig: () => config[expiryWarningWindow.name],
          stackTags: new Map(),
        } as any,
        (m) => found.push(`${stack}: ${m}`),
      );
    }
    expect(found).toEqual([]);
  }, 180_000); // evaluates every example stack under the mock runtime
});
