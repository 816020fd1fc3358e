import { describe, expect, it } from "vitest";
import { loadBuilt } from "./helpers/dist";
import { FIXED_NOW, TENANT, flatConfig } from "./helpers/stackConfig";
import type * as Evaluate from "../scripts/sandbox/evaluate";
import type * as MockCloudModule from "../scripts/sandbox/mockCloud";
import type * as StackFiles from "../scripts/sandbox/stackFiles";
import type * as Render from "../scripts/sandbox/renderPlan";

const { evaluateStack, assertProviderRules } = loadBuilt<typeof Evaluate>("scripts/sandbox/evaluate.js");
const { MockCloud } = loadBuilt<typeof MockCloudModule>("scripts/sandbox/mockCloud.js");
const { listStacks } = loadBuilt<typeof StackFiles>("scripts/sandbox/stackFiles.js");
const { planJson } = loadBuilt<typeof Render>("scripts/sandbox/renderPlan.js");

const SUBSCRIPTION = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";
const OTHER_TENANT = "9a9a9a9a-1111-4222-8333-444455556666";
const ENV = { crm: "https://contoso.crm4.dynamics.com" };
const PROVIDER_TYPES = ["pulumi:providers:azuread", "pulumi:providers:azure-native"];

/** A small deterministic PRNG (mulberry32), so the generated matrix is the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WEB_URIS = [
  "https://vendor.example.com/cb",
  "https://vendor.example.com",
  "http://localhost:33333",
  "http://127.0.0.1:8400/callback",
  "https://vendor.example.com/cb?tenant=contoso",
  "https://app.example.org/oauth2/callback",
];
const SPA_URIS = ["https://spa.example.com", "https://spa.example.com/auth", "http://localhost:5173/spa"];
const PUBLIC_URIS = [
  "http://localhost/desktop",
  "https://login.microsoftonline.com/common/oauth2/nativeclient",
  "ms-appx-web://microsoft.aad.brokerplugin/x",
  "myapp://auth",
];
const PERMISSIONS = [
  "Microsoft Graph: User.Read.All (application)",
  "Microsoft Graph: User.Read (delegated)",
  "Dynamics CRM: user_impersonation (delegated)",
  "Microsoft Graph: Calendars.ReadWrite (application)",
  "Microsoft Graph: offline_access (delegated)",
];

function pick<T>(rand: () => number, items: T[]): T {
  return items[Math.floor(rand() * items.length)];
}
function subset<T>(rand: () => number, items: T[]): T[] {
  return items.filter(() => rand() < 0.4);
}

/** One valid stack config drawn from the space of profiles, secrets, redirect URIs, consent and Key Vault modes. */
function generatedConfig(rand: () => number, i: number): { config: Record<string, unknown>; now: Date } {
  const lifetimeMonths = 1 + Math.floor(rand() * 24);
  const lifetimeDays = Math.floor((lifetimeMonths * 365) / 12);
  const expiryWarningDays = Math.min(30, lifetimeDays - 5);
  const secret: Record<string, unknown> = { lifetimeMonths, expiryWarningDays };
  if (rand() < 0.5) secret.rotateEveryDays = 1 + Math.floor(rand() * (lifetimeDays - 2));
  const profile = pick(rand, ["custom", "custom", "daktela", "bright-pattern", "syncari", "cdata", "raynet"]);
  const integration: Record<string, unknown> = { name: `gen-${i}`, profile, grantAdminConsent: rand() < 0.7 };
  if (profile === "custom") {
    integration.permissions = subset(rand, PERMISSIONS);
    integration.redirectUris = {
      web: subset(rand, WEB_URIS).filter(
        (u, _, all) => !(u.includes("localhost") && all.some((o) => o !== u && o.includes("127.0.0.1"))),
      ),
      spa: subset(rand, SPA_URIS),
      publicClient: subset(rand, PUBLIC_URIS),
    };
    if (rand() < 0.5)
      integration.dataverse = {
        securityRoles: ["Basic User"],
        ...(rand() < 0.5 ? { changeTracking: ["account"] } : {}),
      };
    integration.secret = secret;
  } else if (profile === "daktela") integration.dataverse = { securityRoles: ["Basic User"] };
  else if (profile === "bright-pattern") integration.vendor = { tenant: "contoso.brightpattern.com" };
  else if (profile === "cdata") {
    const sp = rand() < 0.5;
    integration.vendor = {
      authScheme: sp ? "AzureServicePrincipal" : "AzureAD",
      ...(!sp && rand() < 0.5 ? { callbackUrl: "http://127.0.0.1:33333" } : {}),
    };
    if (sp) integration.dataverse = { securityRoles: ["Basic User"] };
  } else if (profile === "syncari" && rand() < 0.5)
    integration.vendor = { oauthRedirectUrl: "https://app.syncari.example/oauth/redirect" };
  const config: Record<string, unknown> = { tenantId: TENANT, integrations: [integration] };
  if (profile !== "raynet") config.dataverseEnvironments = ENV;
  const vault = rand();
  if (vault < 0.5)
    config.keyVault = {
      subscriptionId: SUBSCRIPTION,
      resourceGroupName: "rg-sync",
      vaultName: "kv-gen",
      secretsInOutputs: vault < 0.25,
    };
  const now = new Date(
    Date.UTC(2024, 0, 2) + Math.floor(rand() * 6 * 365) * 86_400_000 + Math.floor(rand() * 86_400) * 1000,
  );
  // Half the configs have a recorded handover of a secret created up to a lifetime ago (a pending one may be due).
  if (profile === "custom" && rand() < 0.8) {
    const createdAt = new Date(now.getTime() - Math.floor(rand() * lifetimeDays) * 86_400_000)
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z");
    secret.handedOver = { rotation: 1 + Math.floor(rand() * 5), createdAt };
    if (rand() < 0.3) secret.generation = 1;
  }
  return { config, now };
}

describe("every example stack, as the real providers check it", () => {
  it.each(["dev", "daktela", "bright-pattern", "syncari", "cdata", "raynet"])(
    "%s passes the strict rules (fixed date and today)",
    async (stack) => {
      expect(listStacks()).toContain(stack);
      await expect(evaluateStack(stack, { now: () => FIXED_NOW })).resolves.toBeTruthy();
      await expect(evaluateStack(stack)).resolves.toBeTruthy();
    },
  );
});

describe("profile variants", () => {
  const variants: [string, Record<string, unknown>][] = [
    [
      "cdata AzureAD with a custom callback",
      { profile: "cdata", vendor: { authScheme: "AzureAD", callbackUrl: "https://connector.example.com" } },
    ],
    [
      "cdata AzureServicePrincipal",
      {
        profile: "cdata",
        vendor: { authScheme: "AzureServicePrincipal" },
        dataverse: { securityRoles: ["Basic User"] },
      },
    ],
    ["syncari with its redirect", { profile: "syncari", vendor: { oauthRedirectUrl: "https://app.syncari.example" } }],
  ];
  for (const kv of [undefined, { secretsInOutputs: true }, { secretsInOutputs: false }]) {
    it.each(variants)(
      `%s, Key Vault ${kv ? `secretsInOutputs=${kv.secretsInOutputs}` : "off"}`,
      async (_label, integration) => {
        const config = {
          tenantId: TENANT,
          dataverseEnvironments: ENV,
          integrations: [{ name: "variant", ...integration }],
          ...(kv
            ? { keyVault: { subscriptionId: SUBSCRIPTION, resourceGroupName: "rg", vaultName: "kv-variant", ...kv } }
            : {}),
        };
        const plan = await evaluateStack("variant", { now: () => FIXED_NOW, config: flatConfig(config) });
        expect(plan.resources.filter((r) => r.type === "azure-native:keyvault:Secret")).toHaveLength(kv ? 2 : 0);
        const web = (
          plan.resources.find((r) => r.type === "azuread:index/application:Application")!.inputs.web as {
            redirectUris: string[];
          }
        ).redirectUris;
        for (const uri of web) expect(uri).toMatch(/^https?:\/\/[^/]+\//);
      },
    );
  }
});

describe("a generated matrix of valid configs", () => {
  it("60 configs across profiles, lifetimes, rotation periods, dates, redirect URIs and Key Vault modes pass", async () => {
    const rand = prng(20261123);
    const failures: string[] = [];
    const seen = { handover: 0, pending: 0, keyVault: 0, profiles: new Set<string>() };
    for (let i = 0; i < 60; i += 1) {
      const { config, now } = generatedConfig(rand, i);
      try {
        // Secrets of a recorded handover already exist: their creation moments come from state.
        const integration = (
          config.integrations as { name: string; secret?: { handedOver?: { rotation: number; createdAt: string } } }[]
        )[0];
        const held = integration.secret?.handedOver;
        const createdAt = held ? { [`${integration.name}-secret-${held.rotation}-created`]: held.createdAt } : {};
        const plan = await evaluateStack(`gen-${i}`, { now: () => now, config: flatConfig(config), createdAt });
        if (held) seen.handover += 1;
        if (
          plan.resources.filter((r) => r.type === "azuread:index/applicationPassword:ApplicationPassword").length === 2
        )
          seen.pending += 1;
        if (config.keyVault) seen.keyVault += 1;
        seen.profiles.add((config.integrations as { profile: string }[])[0].profile);
      } catch (err) {
        failures.push(`#${i} at ${now.toISOString()} ${JSON.stringify(config)}:\n${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
    // The matrix really spans the space: handovers, secrets awaiting handover, Key Vault, every profile.
    expect(seen.handover).toBeGreaterThan(3);
    expect(seen.pending).toBeGreaterThan(0);
    expect(seen.keyVault).toBeGreaterThan(5);
    expect(seen.profiles.size).toBe(6);
  }, 120_000);
});

describe("the sandbox refuses a plan the real provider would reject", () => {
  it("names resource, property, rule and source", () => {
    const bad = {
      type: "azuread:index/application:Application",
      name: "legacy-app",
      component: false,
      inputs: { displayName: "x", web: { redirectUris: ["http://localhost:33333"] } },
    };
    expect(() => assertProviderRules({ resources: [bad], invokes: [] }, FIXED_NOW)).toThrow(
      /azuread:index\/application:Application "legacy-app": web\.redirectUris\[0\]: URI must have a trailing slash when there is no path segment \[rule redirectUri; source: hashicorp\/terraform-provider-azuread@38d1993a1ea6 \(v3\.8\.0\) internal\/services\/applications\/application_resource\.go:614/,
    );
  });
});

describe("the configured tenant is the tenant", () => {
  it("every azuread resource and lookup goes through the explicit provider bound to crm-sync:tenantId", async () => {
    const plan = await evaluateStack("dev", { now: () => FIXED_NOW });
    const provider = plan.resources.find((r) => r.type === "pulumi:providers:azuread")!;
    expect(provider).toMatchObject({ name: "crm-sync-azuread", inputs: { tenantId: TENANT } });
    const azuread = plan.resources.filter((r) => r.type.startsWith("azuread:"));
    expect(azuread.length).toBeGreaterThan(5);
    for (const r of azuread) expect(r.provider, r.name).toMatch(/::pulumi:providers:azuread::crm-sync-azuread::/);
    const lookups = plan.invokes.filter((i) => i.token.startsWith("azuread:"));
    expect(lookups.map((i) => i.token)).toEqual(
      expect.arrayContaining([
        "azuread:index/getClientConfig:getClientConfig",
        "azuread:index/getServicePrincipal:getServicePrincipal",
      ]),
    );
    for (const i of lookups) expect(i.provider, i.token).toMatch(/::pulumi:providers:azuread::crm-sync-azuread::/);
  });

  it("Key Vault secrets go through an azure-native provider bound to the tenant and the vault's subscription", async () => {
    const plan = await evaluateStack("raynet", { now: () => FIXED_NOW });
    expect(plan.resources.find((r) => r.type === "pulumi:providers:azure-native")).toMatchObject({
      name: "crm-sync-azure-native",
      inputs: { tenantId: TENANT, subscriptionId: SUBSCRIPTION },
    });
    const secrets = plan.resources.filter((r) => r.type === "azure-native:keyvault:Secret");
    expect(secrets).toHaveLength(2);
    for (const s of secrets) expect(s.provider).toMatch(/::pulumi:providers:azure-native::crm-sync-azure-native::/);
  });

  it("the JSON plan shows the explicit providers with their non-secret inputs", async () => {
    const json = JSON.parse(planJson(await evaluateStack("raynet", { now: () => FIXED_NOW })));
    const providers = json.resources.filter((r: { type: string }) => PROVIDER_TYPES.includes(r.type));
    expect(providers.map((r: { name: string }) => r.name)).toEqual(["crm-sync-azuread", "crm-sync-azure-native"]);
    expect(providers[0].inputs.tenantId).toBe(TENANT);
  });

  it("an identity signed in to another tenant fails before anything is created, naming both tenants", async () => {
    const cloud = new MockCloud({ signedInTenantId: OTHER_TENANT, now: () => FIXED_NOW });
    await expect(evaluateStack("dev", { now: () => FIXED_NOW, cloud })).rejects.toThrow(
      new RegExp(`signed in to tenant ${OTHER_TENANT}, but crm-sync:tenantId is ${TENANT}`),
    );
    // time:Static only records a moment in Pulumi's own state; nothing in Entra, Dataverse or Key Vault is touched.
    const created = cloud.resources.filter(
      (r) => !r.component && !PROVIDER_TYPES.includes(r.type) && r.type !== "time:index/static:Static",
    );
    expect(created).toEqual([]);
  });
});

describe("npm start --at", () => {
  it("evaluates the stack at another moment, and refuses a malformed time", async () => {
    const { execFileSync, spawnSync } = await import("node:child_process");
    const script = `${__dirname}/../dist/scripts/plan.js`;
    const endDates = (at?: string) =>
      JSON.parse(
        execFileSync("node", [script, "--plan-only", "--json", ...(at ? ["--at", at] : [])], { encoding: "utf8" }),
      )
        .resources.filter((r: { type: string }) => r.type === "azuread:index/applicationPassword:ApplicationPassword")
        .map((r: { inputs: { endDate: string } }) => r.inputs.endDate);
    const later = endDates("2029-02-01T00:00:00Z");
    expect(later.every((d: string) => d > "2029-02-01")).toBe(true);
    expect(later).not.toEqual(endDates());
    const bad = spawnSync("node", [script, "--at", "tomorrow"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--at: "tomorrow" is not an ISO 8601 time/);
  }, 120_000);
});
