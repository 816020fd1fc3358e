import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../components/config";

const TENANT = "5f3c1a2b-7d4e-4f60-9a8b-0c1d2e3f4a5b";
const valid = () => ({
  tenantId: TENANT,
  dataverseEnvironments: { sales: "https://contoso.crm4.dynamics.com" },
  integrations: [
    {
      name: "crm",
      profile: "custom",
      permissions: ["Dynamics CRM: user_impersonation (delegated)"],
      redirectUris: { web: ["https://vendor.example.com/cb"], publicClient: ["http://localhost:33333"] },
      dataverse: { securityRoles: ["Basic User"], changeTracking: ["account"] },
    },
  ],
});

function problemsOf(mutate: (cfg: any) => void): string[] {
  const cfg: any = valid();
  mutate(cfg);
  try {
    parseStackConfig(cfg);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("config was accepted");
}

describe("stack config", () => {
  it("accepts a valid config and fills defaults", () => {
    const cfg = parseStackConfig(valid());
    const integ = cfg.integrations[0];
    expect(integ.signInAudience).toBe("AzureADMyOrg");
    expect(integ.grantAdminConsent).toBe(true);
    expect(integ.secret.lifetimeMonths).toBe(24);
    expect(integ.redirectUris.spa).toEqual([]);
    expect(integ.permissions.map((p) => [p.api.name, p.value, p.kind, p.id])).toEqual([
      ["Dynamics CRM", "user_impersonation", "delegated", "78ce3f0f-a1ce-49c2-8cde-64b5c0896db4"],
    ]);
  });

  it("normalizes GUID case and environment URLs", () => {
    const cfg = parseStackConfig({
      ...valid(),
      tenantId: TENANT.toUpperCase(),
      dataverseEnvironments: { sales: "https://Contoso.crm4.dynamics.com/" },
    });
    expect(cfg.tenantId).toBe(TENANT);
    expect(cfg.dataverseEnvironments.sales).toBe("https://contoso.crm4.dynamics.com");
  });

  const cases: [string, (cfg: any) => void, string, RegExp][] = [
    [
      "bad tenant GUID",
      (c) => {
        c.tenantId = "not-a-guid";
      },
      "crm-sync:tenantId",
      /GUID/,
    ],
    [
      "missing tenant",
      (c) => {
        delete c.tenantId;
      },
      "crm-sync:tenantId",
      /GUID/,
    ],
    [
      "bad business unit GUID",
      (c) => {
        c.integrations[0].dataverse.businessUnitId = "123";
      },
      "crm-sync:integrations[0].dataverse.businessUnitId",
      /GUID/,
    ],
    [
      "non-https web redirect",
      (c) => {
        c.integrations[0].redirectUris.web = ["http://vendor.example.com/cb"];
      },
      "crm-sync:integrations[0].redirectUris.web[0]",
      /https/,
    ],
    [
      "wildcard redirect",
      (c) => {
        c.integrations[0].redirectUris.spa = ["https://*.example.com/cb"];
      },
      "crm-sync:integrations[0].redirectUris.spa[0]",
      /wildcard/,
    ],
    [
      "redirect with fragment",
      (c) => {
        c.integrations[0].redirectUris.web = ["https://a.example.com/cb#x"];
      },
      "crm-sync:integrations[0].redirectUris.web[0]",
      /fragment/,
    ],
    [
      "duplicate redirect",
      (c) => {
        c.integrations[0].redirectUris.web = ["https://a.example.com/cb", "https://A.example.com/cb"];
      },
      "crm-sync:integrations[0].redirectUris.web[1]",
      /duplicate/,
    ],
    [
      "unknown redirect platform",
      (c) => {
        c.integrations[0].redirectUris.mobile = [];
      },
      "crm-sync:integrations[0].redirectUris.mobile",
      /unknown setting/,
    ],
    [
      "unknown permission",
      (c) => {
        c.integrations[0].permissions = ["Microsoft Graph: User.Reed.All (application)"];
      },
      "crm-sync:integrations[0].permissions[0]",
      /did you mean "Microsoft Graph: User.Read.All \(application\)"/,
    ],
    [
      "unknown API",
      (c) => {
        c.integrations[0].permissions = ["SharePoint: Sites.Read.All (application)"];
      },
      "crm-sync:integrations[0].permissions[0]",
      /unknown API "SharePoint"/,
    ],
    [
      "permission without kind",
      (c) => {
        c.integrations[0].permissions = ["Microsoft Graph: User.Read.All"];
      },
      "crm-sync:integrations[0].permissions[0]",
      /\(application\)" or "\(delegated\)/,
    ],
    [
      "delegated-only permission asked as application",
      (c) => {
        c.integrations[0].permissions = ["Dynamics CRM: user_impersonation (application)"];
      },
      "crm-sync:integrations[0].permissions[0]",
      /no application permission/,
    ],
    [
      "duplicate permission",
      (c) => {
        c.integrations[0].permissions = [
          "Dynamics CRM: user_impersonation (delegated)",
          "dataverse: USER_IMPERSONATION (delegated)",
        ];
      },
      "crm-sync:integrations[0].permissions[1]",
      /duplicate permission/,
    ],
    [
      "lifetime over 24 months",
      (c) => {
        c.integrations[0].secret = { lifetimeMonths: 36 };
      },
      "crm-sync:integrations[0].secret.lifetimeMonths",
      /at most 24 months/,
    ],
    [
      "fractional lifetime",
      (c) => {
        c.integrations[0].secret = { lifetimeMonths: 1.5 };
      },
      "crm-sync:integrations[0].secret.lifetimeMonths",
      /whole number/,
    ],
    [
      "duplicate integration names",
      (c) => {
        c.integrations.push({ ...c.integrations[0] });
      },
      "crm-sync:integrations[1].name",
      /duplicate integration name "crm"/,
    ],
    [
      "bad integration name",
      (c) => {
        c.integrations[0].name = "My CRM";
      },
      "crm-sync:integrations[0].name",
      /lowercase/,
    ],
    [
      "unknown profile",
      (c) => {
        c.integrations[0].profile = "salesforce";
      },
      "crm-sync:integrations[0].profile",
      /must be one of/,
    ],
    [
      "empty tables list where tracking is requested",
      (c) => {
        c.integrations[0].dataverse.changeTracking = [];
      },
      "crm-sync:integrations[0].dataverse.changeTracking",
      /at least one table/,
    ],
    [
      "bad table name",
      (c) => {
        c.integrations[0].dataverse.changeTracking = ["Account"];
      },
      "crm-sync:integrations[0].dataverse.changeTracking[0]",
      /logical name/,
    ],
    [
      "duplicate role",
      (c) => {
        c.integrations[0].dataverse.securityRoles = ["Basic User", "basic user"];
      },
      "crm-sync:integrations[0].dataverse.securityRoles[1]",
      /duplicate security role/,
    ],
    [
      "non-https environment URL",
      (c) => {
        c.dataverseEnvironments.sales = "http://contoso.crm4.dynamics.com";
      },
      "crm-sync:dataverseEnvironments.sales",
      /https/,
    ],
    [
      "environment URL with API path",
      (c) => {
        c.dataverseEnvironments.sales = "https://contoso.crm4.dynamics.com/api/data/v9.2";
      },
      "crm-sync:dataverseEnvironments.sales",
      /environment root/,
    ],
    [
      "unknown environment key",
      (c) => {
        c.integrations[0].dataverse.environment = "prod";
      },
      "crm-sync:integrations[0].dataverse.environment",
      /"prod" is not in dataverseEnvironments \(known: sales\)/,
    ],
    [
      "ambiguous environment",
      (c) => {
        c.dataverseEnvironments.service = "https://contoso-svc.crm4.dynamics.com";
      },
      "crm-sync:integrations[0].dataverse.environment",
      /must name one of/,
    ],
    [
      "no integrations",
      (c) => {
        c.integrations = [];
      },
      "crm-sync:integrations",
      /at least one integration/,
    ],
    [
      "misspelled top-level key",
      (c) => {
        c.integratons = [];
      },
      "crm-sync:integratons",
      /did you mean integrations/,
    ],
    [
      "wrong type for consent switch",
      (c) => {
        c.integrations[0].grantAdminConsent = "yes";
      },
      "crm-sync:integrations[0].grantAdminConsent",
      /true or false/,
    ],
  ];

  it.each(cases)("rejects %s, naming the path", (_title, mutate, path, message) => {
    const problems = problemsOf(mutate);
    const line = problems.find((p) => p.startsWith(`${path}:`));
    expect(line, `no problem at ${path} in:\n${problems.join("\n")}`).toBeDefined();
    expect(line).toMatch(message);
  });

  it("reports every problem at once", () => {
    const problems = problemsOf((c) => {
      c.tenantId = "x";
      c.integrations[0].secret = { lifetimeMonths: 99 };
      c.integrations[0].redirectUris.web = ["ftp://x"];
    });
    expect(problems).toHaveLength(3);
  });
});

describe("redirect URIs in the stack config", () => {
  it("registers web and SPA URIs without a path in the form the azuread provider accepts; public client as written", () => {
    const cfg: any = valid();
    cfg.integrations[0].redirectUris = {
      web: ["http://localhost:33333"],
      spa: ["https://spa.example.com"],
      publicClient: ["http://127.0.0.1:8400"],
    };
    const uris = parseStackConfig(cfg).integrations[0].redirectUris;
    expect(uris).toEqual({
      web: ["http://localhost:33333/"],
      spa: ["https://spa.example.com/"],
      publicClient: ["http://127.0.0.1:8400"],
    });
  });

  it.each([
    [{ publicClient: ["http://[::1]:8400"] }, /publicClient\[0\]: uses the IPv6 loopback \[::1\].*reply-url\.md/],
    [{ web: ["https://vendor.example.com/cb!"] }, /web\[0\]: contains "!": Entra does not support/],
    [{ spa: ["ftp://vendor.example.com/cb"] }, /spa\[0\]: unexpected URI scheme.*uri\.go/],
    [{ web: [`https://vendor.example.com/${"a".repeat(251)}`] }, /web\[0\]: .*256 characters/],
    [
      { web: ["http://localhost:1234/cb"], publicClient: ["http://localhost:5000/cb"] },
      /redirectUris: .*differ only by port/,
    ],
  ])("refuses %j naming the path, the rule and its source", (redirectUris, expected) => {
    const problems = problemsOf((c) => {
      c.integrations[0].redirectUris = redirectUris;
    });
    expect(problems.join("\n")).toMatch(expected);
  });

  it("a Key Vault needs its subscription, so the azure-native provider can be bound to it", () => {
    const problems = problemsOf((c) => {
      c.keyVault = { resourceGroupName: "rg", vaultName: "kv-one" };
    });
    expect(problems).toEqual([expect.stringMatching(/^crm-sync:keyVault\.subscriptionId: is required/)]);
  });
});

describe("dataverse.access", () => {
  it.each([
    [
      { account: { operations: ["read", "erase"], depth: "organization" } },
      /dataverse\.access\.account\.operations\[1\]: must be one of: read, create, write/,
    ],
    [
      { account: { operations: ["read"], depth: "global" } },
      /dataverse\.access\.account\.depth: must be one of: user, businessUnit, parentChild, organization/,
    ],
    [{ account: { operations: [], depth: "user" } }, /dataverse\.access\.account\.operations: lists no operation/],
    [
      { Account: { operations: ["read"], depth: "user" } },
      /dataverse\.access\.Account: is not a valid key here: must be a table logical name/,
    ],
    [{ account: { operations: ["read", "read"], depth: "user" } }, /operations\[1\]: duplicate operation "read"/],
  ])("refuses %j naming the path", (access, expected) => {
    const problems = problemsOf((c) => {
      c.integrations[0].dataverse.access = access;
    });
    expect(problems.join("\n")).toMatch(expected);
  });

  it("needs the application user the role is for", () => {
    const problems = problemsOf((c) => {
      c.integrations[0].dataverse = {
        applicationUser: false,
        access: { account: { operations: ["read"], depth: "user" } },
      };
    });
    expect(problems.join("\n")).toMatch(
      /dataverse\.access: gives the application user a generated role, but dataverse\.applicationUser is false/,
    );
  });
});

describe("dataverse: adoption and administrator-level access", () => {
  it("adoptExistingUser defaults to false and must be a boolean", () => {
    expect(parseStackConfig(valid()).integrations[0].dataverse!.adoptExistingUser).toBe(false);
    expect(
      problemsOf((c) => {
        c.integrations[0].dataverse.adoptExistingUser = "yes";
      }).join("\n"),
    ).toMatch(/adoptExistingUser.*must be true or false/);
  });

  it("refuses administrator-level access without an opt-in naming why, and accepts it with a reason", () => {
    const admin = (c: any) => {
      c.integrations[0].dataverse.access = {
        role: { operations: ["read", "assign"], depth: "organization" },
        systemuser: { operations: ["create"], depth: "organization" },
      };
    };
    const problems = problemsOf(admin).join("\n");
    expect(problems).toMatch(
      /access.*administrator-level access: assign role \(security roles and their privileges\); create systemuser \(users\).*administrativeAccess\.reason/,
    );
    expect(
      problemsOf((c) => {
        admin(c);
        c.integrations[0].dataverse.administrativeAccess = { reason: "short" };
      }).join("\n"),
    ).toMatch(/must say why/);
    const cfg: any = valid();
    admin(cfg);
    cfg.integrations[0].dataverse.administrativeAccess = { reason: "the vendor provisions its agents as users" };
    expect(parseStackConfig(cfg).integrations[0].dataverse!.administrativeAccess!.reason).toBe(
      "the vendor provisions its agents as users",
    );
    // read on the same tables is not administration
    expect(() =>
      parseStackConfig({
        ...valid(),
        integrations: [
          {
            ...valid().integrations[0],
            dataverse: { access: { systemuser: { operations: ["read"], depth: "organization" } } },
          },
        ],
      }),
    ).not.toThrow();
  });
});
