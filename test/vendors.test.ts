import { describe, expect, it } from "vitest";
import { loadBuilt } from "./helpers/dist";
import { FIXED_NOW, TENANT, flatConfig } from "./helpers/stackConfig";
import type * as Evaluate from "../scripts/sandbox/evaluate";
import type * as Resolve from "../scripts/sandbox/resolve";
import { ConfigError, parseStackConfig } from "../components/config";

const { evaluateStack } = loadBuilt<typeof Evaluate>("scripts/sandbox/evaluate.js");
const { Secret } = loadBuilt<typeof Resolve>("scripts/sandbox/resolve.js");
const now = () => FIXED_NOW;

type Out = {
  profile: string;
  settings: Record<string, unknown>;
  generic: Record<string, unknown>;
  secretFields: string[];
  nextSteps: string[];
  connectionProperties?: Record<string, unknown>;
};
const outputOf = (plan: Evaluate.Plan, name: string) => (plan.outputs.integrations as Record<string, Out>)[name];
const ofType = (plan: Evaluate.Plan, short: string) =>
  plan.resources.filter((r) => !r.component && r.type.endsWith(`:${short}`));
const idOf = (plan: Evaluate.Plan, label: string) => [...plan.labels].find(([, l]) => l === label)![0];
const permissionsOf = (plan: Evaluate.Plan) => ofType(plan, "Application")[0].inputs.requiredResourceAccesses;
const DYNAMICS = "00000007-0000-0000-c000-000000000000";
const USER_IMPERSONATION = [
  { resourceAppId: DYNAMICS, resourceAccesses: [{ id: "78ce3f0f-a1ce-49c2-8cde-64b5c0896db4", type: "Scope" }] },
];
const GRAPH = "00000003-0000-0000-c000-000000000000";
const USER_READ = { id: "e1fe6dd8-ba31-4d61-89e7-88639da4683d", type: "Scope" };
const OFFLINE_ACCESS = { id: "7427e0e9-2fba-42fe-b0c0-848c9e6a8182", type: "Scope" };
const SUBSCRIPTION = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";
const grantsOf = (plan: Evaluate.Plan) =>
  ofType(plan, "ServicePrincipalDelegatedPermissionGrant").map((r) => r.inputs.claimValues);

describe("Daktela", () => {
  it("creates app, 24-month secret and an application user with the role; outputs Daktela's fields", async () => {
    const plan = await evaluateStack("daktela", { now });
    expect(permissionsOf(plan)).toEqual([]);
    // One secret on the first deploy, living its full 24 months from the moment it is created.
    expect(ofType(plan, "ApplicationPassword").map((r) => r.inputs.endDate)).toEqual(["2028-03-15T10:00:00Z"]);
    // The "Manage Roles" step is a generated least-privilege role, assigned by its id.
    const role = ofType(plan, "SecurityRole")[0];
    expect(role.inputs.roleName).toBe("CRM sync daktela (daktela)");
    expect(ofType(plan, "ApplicationUser")[0].inputs).toMatchObject({
      environmentUrl: "https://contoso.crm4.dynamics.com",
      applicationId: idOf(plan, "daktela-app clientId"),
      securityRoles: [expect.stringMatching(/^[0-9a-f-]{36}$/)],
    });
    // Operations on tables, resolved to privileges (phonecall: prvCreateActivity) from the environment's metadata at deploy.
    expect(
      (role.inputs.grants as { table: string; operation: string }[]).map((g) => `${g.operation} ${g.table}`),
    ).toEqual(expect.arrayContaining(["read contact", "write account", "create phonecall", "read systemuser"]));
    expect(
      ofType(plan, "AppRoleAssignment").length +
        ofType(plan, "ServicePrincipalDelegatedPermissionGrant").length +
        ofType(plan, "ChangeTracking").length,
    ).toBe(0);
    const out = outputOf(plan, "daktela");
    expect(Object.keys(out.settings)).toEqual(["Instance URI", "Application ID", "Application secret"]);
    expect(out.settings["Instance URI"]).toBe("https://contoso.crm4.dynamics.com");
    expect(out.settings["Application ID"]).toBe(idOf(plan, "daktela-app clientId"));
    expect(out.settings["Application secret"]).toBeInstanceOf(Secret);
    expect(out.secretFields).toEqual(["Application secret"]);
  });
});

describe("Bright Pattern", () => {
  it("asks for delegated user_impersonation with consent and the tenant's reply URL; outputs v1 endpoints and API v9.0", async () => {
    const plan = await evaluateStack("bright-pattern", { now });
    // Graph User.Read for sign-in (a portal-created app's default); no offline_access: v1 endpoints issue refresh tokens.
    expect(permissionsOf(plan)).toEqual([
      ...USER_IMPERSONATION,
      { resourceAppId: GRAPH, resourceAccesses: [USER_READ] },
    ]);
    expect(ofType(plan, "Application")[0].inputs.web).toEqual({
      redirectUris: ["https://contoso.brightpattern.com/admin/msdynamicscallback.html"],
    });
    expect(grantsOf(plan)).toEqual([["user_impersonation"], ["User.Read"]]);
    expect(ofType(plan, "ApplicationUser")).toHaveLength(0);
    const out = outputOf(plan, "contact-center");
    expect(out.settings).toMatchObject({
      "Authorization URL": `https://login.microsoftonline.com/${TENANT}/oauth2/authorize`,
      "Token URL": `https://login.microsoftonline.com/${TENANT}/oauth2/token`,
      "API URL": "https://contoso.crm.dynamics.com/api/data/v9.0",
      "Client ID": idOf(plan, "contact-center-app clientId"),
    });
    expect(out.settings["Client Secret"]).toBeInstanceOf(Secret);
    expect(String((out.settings["Client Secret"] as Resolve.Secret).value)).not.toContain("+");
  });

  it("fails the deployment with the exact rotation command when Entra's secret contains '+', never showing it", async () => {
    const err = await evaluateStack("bright-pattern", {
      now,
      secretValues: { "contact-center-secret-1": "Ab3~x+QzSECRETVALUE" },
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`rejects client secrets containing "+"`);
    expect((err as Error).message).toMatch(
      /Get a new secret with: pulumi up -s bright-pattern --replace 'urn:pulumi:bright-pattern::crm-sync::[^']*azuread:index\/applicationPassword:ApplicationPassword::contact-center-secret-1'$/,
    );
    expect((err as Error).message).not.toContain("SECRETVALUE");
  });

  it("adds the user's reply URL to the profile's, and replaces it only when asked to", async () => {
    const EU = "https://contoso-eu.brightpattern.com/admin/msdynamicscallback.html";
    const config = (extra: Record<string, unknown>) =>
      flatConfig({
        tenantId: TENANT,
        dataverseEnvironments: { crm: "https://contoso.crm.dynamics.com" },
        integrations: [
          {
            name: "bp",
            profile: "bright-pattern",
            vendor: { tenant: "contoso.brightpattern.com" },
            redirectUris: { web: [EU] },
            ...extra,
          },
        ],
      });
    const added = await evaluateStack("bp-added", { now, config: config({}) });
    expect(ofType(added, "Application")[0].inputs.web).toEqual({
      redirectUris: [EU, "https://contoso.brightpattern.com/admin/msdynamicscallback.html"],
    });
    const replaced = await evaluateStack("bp-override", {
      now,
      config: config({ replaceProfileDefaults: ["redirectUris.web"] }),
    });
    expect(ofType(replaced, "Application")[0].inputs.web).toEqual({ redirectUris: [EU] });
  });
});

describe("Syncari", () => {
  it("is single tenant with user_impersonation, an app user and change tracking on the synced tables; no invented redirect", async () => {
    const plan = await evaluateStack("syncari", { now });
    // First pass: Syncari has not generated its OAuth Redirect URL yet, so none is registered.
    expect(ofType(plan, "Application")[0].inputs).toMatchObject({
      signInAudience: "AzureADMyOrg",
      web: { redirectUris: [] },
    });
    expect(permissionsOf(plan)).toEqual([
      ...USER_IMPERSONATION,
      { resourceAppId: GRAPH, resourceAccesses: [USER_READ, OFFLINE_ACCESS] },
    ]);
    expect(grantsOf(plan)).toEqual([["user_impersonation"], ["User.Read", "offline_access"]]);
    expect(outputOf(plan, "syncari").nextSteps.join("\n")).toMatch(
      /Click Generate and copy the OAuth Redirect URL; put it into vendor\.oauthRedirectUrl/,
    );
    // The profile's access contract becomes a generated role with read and write on the synced tables.
    expect(ofType(plan, "ApplicationUser")[0].inputs.securityRoles).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    const grants = ofType(plan, "SecurityRole")[0].inputs.grants as {
      table: string;
      operation: string;
      depth: string;
    }[];
    expect(grants).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ table: "lead", operation: "read", depth: "Global" }),
        expect.objectContaining({ table: "account", operation: "write", depth: "Global" }),
      ]),
    );
    expect(grants.some((g) => g.operation === "delete")).toBe(false);
    expect(ofType(plan, "ChangeTracking")[0].inputs.entities).toEqual(["account", "contact", "lead"]);
    const out = outputOf(plan, "syncari");
    expect(out.settings).toMatchObject({
      "Dynamics CRM Organization URL": "https://contoso.crm.dynamics.com",
      "Endpoint URL": `https://login.microsoftonline.com/${TENANT}`,
      "Client ID": idOf(plan, "syncari-app clientId"),
    });
    expect(out.settings["Client Secret"]).toBeInstanceOf(Secret);
    expect(out.generic.changeTrackedTables).toEqual(["account", "contact", "lead"]);
  });
});

describe("CData / Gathr", () => {
  it("AzureAD mode: delegated with the default CallbackURL; AzureServicePrincipal mode: application user with roles", async () => {
    const plan = await evaluateStack("cdata", { now });
    const apps = Object.fromEntries(ofType(plan, "Application").map((r) => [r.name, r.inputs]));
    // Registered with the trailing slash azuread requires on a web URI without a path; the connector gets the same string.
    expect(apps["gathr-user-app"]).toMatchObject({
      requiredResourceAccesses: [
        ...USER_IMPERSONATION,
        { resourceAppId: GRAPH, resourceAccesses: [USER_READ, OFFLINE_ACCESS] },
      ],
      web: { redirectUris: ["http://localhost:33333/"] },
    });
    expect(apps["gathr-service-app"].requiredResourceAccesses).toEqual([]);
    // Client credentials: no redirect URI on any platform, no CallbackURL handed out.
    expect(apps["gathr-service-app"]).toMatchObject({
      web: { redirectUris: [] },
      publicClient: { redirectUris: [] },
      singlePageApplication: { redirectUris: [] },
    });
    const user = outputOf(plan, "gathr-user");
    const service = outputOf(plan, "gathr-service");
    expect(service.connectionProperties!.CallbackURL).toBeUndefined();
    // Gathr's connection screen, by its own labels ...
    expect(Object.keys(user.settings)).toEqual(["Client ID", "Client Secret", "URL", "CRM Version", "AzureTenant"]);
    expect(user.settings).toMatchObject({
      "Client ID": idOf(plan, "gathr-user-app clientId"),
      URL: "https://contoso.crm.dynamics.com/",
      "CRM Version": "CRMOnline",
      AzureTenant: TENANT,
    });
    expect(user.settings["Client Secret"]).toBeInstanceOf(Secret);
    // ... and the CData connection properties, with a connection string quoted per the connection-string syntax.
    expect(user.connectionProperties).toMatchObject({
      URL: "https://contoso.crm.dynamics.com/",
      CRMVersion: "CRMOnline",
      AuthScheme: "AzureAD",
      AzureTenant: TENANT,
      OAuthClientId: idOf(plan, "gathr-user-app clientId"),
      CallbackURL: "http://localhost:33333/",
      InitiateOAuth: "GETANDREFRESH",
    });
    const secret = (user.connectionProperties!.OAuthClientSecret as Resolve.Secret).value;
    const connection = user.connectionProperties!.ConnectionString as Resolve.Secret;
    expect(connection).toBeInstanceOf(Secret);
    expect(connection.value).toBe(
      `URL="https://contoso.crm.dynamics.com/";CRMVersion="CRMOnline";AuthScheme="AzureAD";AzureTenant="${TENANT}";OAuthClientId="${idOf(plan, "gathr-user-app clientId")}";OAuthClientSecret="${secret}";CallbackURL="http://localhost:33333/";InitiateOAuth="GETANDREFRESH"`,
    );
    expect(user.secretFields).toEqual(["Client Secret", "OAuthClientSecret", "ConnectionString"]);
    expect(service.connectionProperties!.AuthScheme).toBe("AzureServicePrincipal");
    expect(user.nextSteps.join("\n")).toMatch(/Sign in once .*http:\/\/localhost:33333\//);
    expect(service.nextSteps.join("\n")).not.toMatch(/Sign in once/);
  });

  it("quotes connection-string values that hold quotes, semicolons or spaces", async () => {
    const { connectionString } = await import("../components/sync/connectionString");
    expect(connectionString({ A: "x;y", B: 'say "hi"', C: `it's "both"`, D: " padded " })).toBe(
      `A="x;y";B='say "hi"';C="it's ""both""";D=" padded "`,
    );
  });
});

describe("next steps, from each vendor's page", () => {
  it.each([
    [
      "daktela",
      "daktela",
      [
        /Spravovat -> Integrace/,
        /settings\."Instance URI" into URI instance/,
        /settings\."Application ID" into ID aplikace/,
        /Autorizovat/,
        /Map the CRM fields/,
        /Aktivovat/,
      ],
    ],
    [
      "bright-pattern",
      "contact-center",
      [
        /https:\/\/contoso\.brightpattern\.com\/admin\//,
        /settings\."Authorization URL"/,
        /settings\."Client Secret"/,
        /Refresh token/,
        /Test connection/,
      ],
    ],
    [
      "syncari",
      "syncari",
      [/Synapse Library/, /settings\."Endpoint URL"/, /Click Generate/, /Authenticate/, /Make Synapse Active/],
    ],
    ["cdata", "gathr-user", [/Connection Name/, /settings\."Client ID"/, /connectionProperties/, /TEST/, /CREATE/]],
    ["raynet", "raynet", [/settings\."Directory \(tenant\) ID"/, /settings\."Application \(client\) ID"/]],
  ] as const)("%s: the ordered steps name the fields to paste", async (stack, name, patterns) => {
    const plan = await evaluateStack(stack, { now });
    const steps = outputOf(plan, name).nextSteps;
    let at = -1;
    for (const p of patterns) {
      const i = steps.findIndex((step, j) => j >= at && p.test(step));
      expect(i, `${p} after step ${at}`).toBeGreaterThanOrEqual(at);
      at = i;
    }
    // Every output field a step names exists.
    const out = outputOf(plan, name) as Out & { connectionProperties?: Record<string, unknown> };
    for (const [, field] of steps.join("\n").matchAll(/settings\.(?:"([^"]+)"|(\w+))/g))
      if (field) expect(out.settings).toHaveProperty([field]);
  });

  it("Bright Pattern takes the instance's whole host or its admin URL", async () => {
    const run = (tenant: string) =>
      evaluateStack("bp-host", {
        now,
        config: flatConfig({
          tenantId: TENANT,
          dataverseEnvironments: { crm: "https://contoso.crm.dynamics.com" },
          integrations: [{ name: "bp", profile: "bright-pattern", vendor: { tenant } }],
        }),
      });
    for (const tenant of ["cc.contoso.com", "https://CC.Contoso.com/admin/"]) {
      expect(ofType(await run(tenant), "Application")[0].inputs.web).toEqual({
        redirectUris: ["https://cc.contoso.com/admin/msdynamicscallback.html"],
      });
    }
  });
});

describe("Raynet with Key Vault delivery", () => {
  it("grants the four Graph application permissions with consent and has no Dataverse part", async () => {
    const plan = await evaluateStack("raynet", { now });
    const ids = [
      "df021288-bdef-4463-88db-98f22de89214",
      "ef54d2bf-783f-4e0f-bca1-3210c0444d99",
      "6918b873-d17a-4dc1-b314-35f528134491",
      "44e666d1-d276-445b-a5fc-8815eeb81d55",
    ];
    expect(permissionsOf(plan)).toEqual([
      {
        resourceAppId: "00000003-0000-0000-c000-000000000000",
        resourceAccesses: ids.map((id) => ({ id, type: "Role" })),
      },
    ]);
    expect(ofType(plan, "AppRoleAssignment").map((r) => r.inputs.appRoleId)).toEqual(ids);
    expect(ofType(plan, "Application")[0].inputs.displayName).toBe("Raynet Outlook Sync");
    expect(plan.resources.filter((r) => r.type.includes("dataverse"))).toHaveLength(0);
  });

  it("writes the secret and the settings bundle to the vault, with content type and expiry, and exports URIs instead of values", async () => {
    const plan = await evaluateStack("raynet", { now });
    const secrets = ofType(plan, "Secret").filter((r) => r.type === "azure-native:keyvault:Secret");
    expect(secrets.map((r) => r.inputs.secretName)).toEqual([
      "raynet-raynet-client-secret",
      "raynet-raynet-sync-settings",
    ]);
    const propsOf = (r: (typeof secrets)[number]) =>
      (r.inputs.properties as Resolve.Secret).value as { value: string; contentType: string; attributes: object };
    for (const s of secrets) {
      expect(s.inputs.properties).toBeInstanceOf(Secret); // the value inside makes the whole property secret
      expect(propsOf(s).attributes).toEqual({ enabled: true, expires: Date.parse("2028-03-15T10:00:00Z") / 1000 });
      expect(s.inputs).toMatchObject({ resourceGroupName: "rg-integrations", vaultName: "kv-contoso-sync" });
    }
    expect(propsOf(secrets[0]).contentType).toMatch(/^text\/plain/);
    expect(propsOf(secrets[1]).contentType).toMatch(/^application\/json/);
    expect(JSON.parse(propsOf(secrets[1]).value)).toMatchObject({
      profile: "raynet",
      settings: { "Application (client) ID": idOf(plan, "raynet-app clientId") },
    });
    const out = outputOf(plan, "raynet");
    // settings hold only values a customer can paste; where the secret lives is a map of its own.
    expect(Object.keys(out.settings)).toEqual(["Directory (tenant) ID", "Application (client) ID"]);
    expect((out as any).secretsInKeyVault).toEqual({
      "Client secret": {
        vaultSecretUri: "https://kv-contoso-sync.vault.azure.net/secrets/raynet-raynet-client-secret",
      },
    });
    expect(out.settings["Directory (tenant) ID"]).toBe(TENANT);
    expect(out.generic.clientSecret).toBeUndefined();
    expect(JSON.stringify(out)).not.toMatch(/fake~/);
  });

  it("keeps secret values (as Pulumi secrets) in the outputs when secretsInOutputs is on, and makes no vault secrets without a vault", async () => {
    const base = { tenantId: TENANT, integrations: [{ name: "raynet", profile: "raynet" }] };
    const withVault = await evaluateStack("kv-on", {
      now,
      config: flatConfig({
        ...base,
        keyVault: { subscriptionId: SUBSCRIPTION, resourceGroupName: "rg", vaultName: "kv-one" },
      }),
    });
    expect(outputOf(withVault, "raynet").settings["Client secret"]).toBeInstanceOf(Secret);
    expect(outputOf(withVault, "raynet").generic.keyVaultClientSecretUri).toBe(
      "https://kv-one.vault.azure.net/secrets/kv-on-raynet-client-secret",
    );
    const without = await evaluateStack("kv-off", { now, config: flatConfig(base) });
    expect(without.resources.filter((r) => r.type.startsWith("azure-native"))).toHaveLength(0);
  });
});

describe("profile config errors", () => {
  const parse = (integration: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    try {
      parseStackConfig({
        tenantId: TENANT,
        dataverseEnvironments: { crm: "https://contoso.crm.dynamics.com" },
        integrations: [integration],
        ...extra,
      });
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };
  it.each([
    [
      "Daktela without a role",
      { name: "dk", profile: "daktela" },
      /integrations\[0\]\.dataverse\.securityRoles: Daktela's application user needs a security role/,
    ],
    [
      "Bright Pattern without tenant",
      { name: "bp", profile: "bright-pattern" },
      /integrations\[0\]\.vendor\.tenant: is required/,
    ],
    [
      "Bright Pattern with a bare label instead of the whole host",
      { name: "bp", profile: "bright-pattern", vendor: { tenant: "contoso" } },
      /vendor\.tenant: must be the instance's whole host, e\.g\. contoso\.brightpattern\.com/,
    ],
    [
      "Bright Pattern with an http admin URL",
      { name: "bp", profile: "bright-pattern", vendor: { tenant: "http://contoso.brightpattern.com/admin/" } },
      /vendor\.tenant: must be an https:\/\/ URL/,
    ],
    [
      "a setting the profile does not have",
      { name: "bp", profile: "bright-pattern", vendor: { tenant: "x.example.com", region: "eu" } },
      /vendor\.region: not a setting of the bright-pattern profile/,
    ],
    [
      "CData with an unknown AuthScheme",
      { name: "cd", profile: "cdata", vendor: { authScheme: "OAuth" } },
      /vendor\.authScheme: must be AzureAD \(delegated\) or AzureServicePrincipal/,
    ],
    [
      "CData service principal without roles",
      { name: "cd", profile: "cdata", vendor: { authScheme: "AzureServicePrincipal" } },
      /dataverse\.securityRoles: AuthScheme=AzureServicePrincipal needs a role for the application user/,
    ],
    [
      "CData with a non-loopback http callback",
      { name: "cd", profile: "cdata", vendor: { authScheme: "AzureAD", callbackUrl: "http://gathr.example.com/cb" } },
      /vendor\.callbackUrl: must use https/,
    ],
    [
      "Raynet with a Dataverse part",
      { name: "ra", profile: "raynet", dataverse: { securityRoles: ["Basic User"] } },
      /integrations\[0\]\.dataverse: Raynet syncs Outlook through Microsoft Graph/,
    ],
    [
      "a Key Vault with a bad name",
      { name: "ra", profile: "raynet" },
      /crm-sync:keyVault\.vaultName: must be a Key Vault name/,
      { keyVault: { resourceGroupName: "rg", vaultName: "kv_bad" } },
    ],
  ])("rejects %s", (_title, integration, message, extra = {}) => {
    const problems = parse(integration, extra);
    expect(problems.join("\n")).toMatch(message);
  });

  it("accepts every example stack's config", () => {
    expect(parse({ name: "sy", profile: "syncari" })).toEqual([]);
  });
});
