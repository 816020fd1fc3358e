import { describe, expect, it } from "vitest";
import {
  validateInvoke,
  validateResource,
  validateResources,
  type Violation,
} from "../components/validation/providerRules";
import { CHECKS } from "../components/validation/ruleChecks";
import { registeredRedirectUri } from "../components/validation/uriRules";
import extract from "../components/validation/providerSchema.json";

const NOW = new Date("2026-03-15T10:00:00Z");
const T = {
  application: "azuread:index/application:Application",
  password: "azuread:index/applicationPassword:ApplicationPassword",
  sp: "azuread:index/servicePrincipal:ServicePrincipal",
  assignment: "azuread:index/appRoleAssignment:AppRoleAssignment",
  grant: "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant",
  apiAccess: "azuread:index/applicationApiAccess:ApplicationApiAccess",
  redirects: "azuread:index/applicationRedirectUris:ApplicationRedirectUris",
  secret: "azure-native:keyvault:Secret",
};
const ID = "0d34ac24-d366-47c5-aeb5-1ed7e8ade35c";

const app = (over: Record<string, unknown> = {}) => ({
  displayName: "CRM sync x (dev)",
  signInAudience: "AzureADMyOrg",
  requiredResourceAccesses: [],
  web: { redirectUris: ["https://vendor.example.com/cb"] },
  publicClient: { redirectUris: [] },
  singlePageApplication: { redirectUris: [] },
  ...over,
});
const password = (over: Record<string, unknown> = {}) => ({
  applicationId: `/applications/${ID}`,
  displayName: "slot a",
  endDate: "2027-12-31T00:00:00Z",
  rotateWhenChanged: { rotation: "1" },
  ...over,
});
const vaultSecret = (over: Record<string, unknown> = {}) => ({
  resourceGroupName: "rg",
  vaultName: "kv-one",
  secretName: "x-client-secret",
  properties: {
    value: "s3cret",
    contentType: "text/plain",
    attributes: { enabled: true, expires: Date.parse("2027-12-31T00:00:00Z") / 1000 },
  },
  ...over,
});
const check = (type: string, inputs: Record<string, unknown>) =>
  validateResource({ type, name: "x", inputs }, { now: NOW });
/** The one violation of a broken input, with the fields every violation must carry. */
function only(violations: Violation[]): Violation {
  expect(violations).toHaveLength(1);
  const [v] = violations;
  expect(v.name).toBe("x");
  expect(v.source.length).toBeGreaterThan(10);
  return v;
}

describe("provider extract", () => {
  it("has a check for every rule kind it uses", () => {
    const kinds = new Set<string>();
    for (const r of Object.values(extract.resources) as { rules: { rule: string }[] }[])
      r.rules.forEach((x) => kinds.add(x.rule));
    expect([...kinds].filter((k) => !CHECKS[k])).toEqual([]);
    expect(kinds.size).toBeGreaterThanOrEqual(20);
  });

  it("accepts well-formed inputs of every resource type the program creates", () => {
    expect(check(T.application, app())).toEqual([]);
    expect(check(T.password, password())).toEqual([]);
    expect(check(T.sp, { clientId: ID })).toEqual([]);
    expect(check(T.assignment, { appRoleId: ID, principalObjectId: ID, resourceObjectId: ID })).toEqual([]);
    expect(
      check(T.grant, {
        servicePrincipalObjectId: ID,
        resourceServicePrincipalObjectId: ID,
        claimValues: ["user_impersonation"],
      }),
    ).toEqual([]);
    expect(check(T.secret, vaultSecret())).toEqual([]);
  });
});

describe("each kind of rule fails when broken, naming resource, property, rule and source", () => {
  it.each([
    ["required input", T.sp, {}, "clientId", "required"],
    ["type", T.application, app({ signInAudience: 3 }), "signInAudience", "type"],
    [
      "nested type",
      T.application,
      app({ web: { redirectUris: "https://a.example.com/" } }),
      "web.redirectUris",
      "type",
    ],
    ["unknown input", T.application, app({ redirectUris: [] }), "redirectUris", "notInSchema"],
    ["unknown nested input", T.application, app({ web: { redirectUri: [] } }), "web.redirectUri", "notInSchema"],
    ["isUUID", T.sp, { clientId: "not-a-guid" }, "clientId", "isUUID"],
    [
      "isUUID in a list",
      T.application,
      app({
        requiredResourceAccesses: [{ resourceAppId: ID, resourceAccesses: [{ id: "User.Read", type: "Scope" }] }],
      }),
      "requiredResourceAccesses[0].resourceAccesses[0].id",
      "isUUID",
    ],
    ["oneOf", T.application, app({ signInAudience: "AzureADMultipleOrgsAndPersonal" }), "signInAudience", "oneOf"],
    [
      "oneOf in a list",
      T.application,
      app({ requiredResourceAccesses: [{ resourceAppId: ID, resourceAccesses: [{ id: ID, type: "Delegated" }] }] }),
      "requiredResourceAccesses[0].resourceAccesses[0].type",
      "oneOf",
    ],
    ["notEmpty", T.application, app({ displayName: "" }), "displayName", "notEmpty"],
    ["maxItems", T.application, app({ owners: Array.from({ length: 101 }, () => ID) }), "owners", "maxItems"],
    [
      "minItems",
      T.grant,
      { servicePrincipalObjectId: ID, resourceServicePrincipalObjectId: ID, claimValues: [] },
      "claimValues",
      "minItems",
    ],
    [
      "scopeValueNotId",
      T.grant,
      { servicePrincipalObjectId: ID, resourceServicePrincipalObjectId: ID, claimValues: [ID] },
      "claimValues[0]",
      "scopeValueNotId",
    ],
    [
      "redirectUri: trailing slash",
      T.application,
      app({ web: { redirectUris: ["http://localhost:33333"] } }),
      "web.redirectUris[0]",
      "redirectUri",
    ],
    [
      "redirectUri: trailing slash (SPA)",
      T.application,
      app({ singlePageApplication: { redirectUris: ["https://spa.example.com"] } }),
      "singlePageApplication.redirectUris[0]",
      "redirectUri",
    ],
    [
      "redirectUri: scheme",
      T.application,
      app({ web: { redirectUris: ["ftp://vendor.example.com/cb"] } }),
      "web.redirectUris[0]",
      "redirectUri",
    ],
    [
      "entraRedirectUri: [::1]",
      T.application,
      app({ publicClient: { redirectUris: ["http://[::1]:8400"] } }),
      "publicClient.redirectUris[0]",
      "entraRedirectUri",
    ],
    [
      "entraRedirectUri: http off loopback",
      T.application,
      app({ publicClient: { redirectUris: ["http://vendor.example.com/cb"] } }),
      "publicClient.redirectUris[0]",
      "entraRedirectUri",
    ],
    [
      "entraRedirectUri: characters",
      T.application,
      app({ publicClient: { redirectUris: ["https://vendor.example.com/a,b"] } }),
      "publicClient.redirectUris[0]",
      "entraRedirectUri",
    ],
    [
      "app-wide: loopback URIs differing only by port",
      T.application,
      app({
        web: { redirectUris: ["http://localhost:1234/cb"] },
        publicClient: { redirectUris: ["http://localhost:5000/cb"] },
      }),
      "redirectUris",
      "entraRedirectUri",
    ],
    [
      "httpOrHttpsUrl",
      T.application,
      app({ web: { redirectUris: [], homepageUrl: "ftp://vendor.example.com" } }),
      "web.homepageUrl",
      "httpOrHttpsUrl",
    ],
    [
      "logoutUrl",
      T.application,
      app({ web: { redirectUris: [], logoutUrl: `https://vendor.example.com/${"a".repeat(260)}` } }),
      "web.logoutUrl",
      "logoutUrl",
    ],
    ["graphApplicationId", T.password, password({ applicationId: ID }), "applicationId", "graphApplicationId"],
    ["rfc3339", T.password, password({ endDate: "2027-12-31" }), "endDate", "rfc3339"],
    ["canonicalUtc", T.password, password({ endDate: "2027-12-31T01:00:00+01:00" }), "endDate", "canonicalUtc"],
    ["futureTime", T.password, password({ endDate: "2026-03-01T00:00:00Z" }), "endDate", "futureTime"],
    ["maxMonthsAhead", T.password, password({ endDate: "2028-04-01T00:00:00Z" }), "endDate", "maxMonthsAhead"],
    [
      "ignoredByProvider",
      T.password,
      password({ endDate: undefined, endDateRelative: "240h" }),
      "endDateRelative",
      "ignoredByProvider",
    ],
    ["pattern", T.secret, vaultSecret({ vaultName: "kv_one" }), "vaultName", "pattern"],
    [
      "unixSeconds",
      T.secret,
      vaultSecret({ properties: { value: "s", attributes: { expires: 1.5 } } }),
      "properties.attributes.expires",
      "type",
    ],
    [
      "futureSeconds",
      T.secret,
      vaultSecret({ properties: { value: "s", attributes: { expires: Date.parse("2026-01-01T00:00:00Z") / 1000 } } }),
      "properties.attributes.expires",
      "futureSeconds",
    ],
  ])("%s", (_label, type, inputs, property, rule) => {
    const v = only(check(type, inputs as Record<string, unknown>));
    expect(v).toMatchObject({ type, property, rule });
  });

  it("maxItems of redirect URIs: the provider's per-platform limit and Entra's per-app limit", () => {
    const uris = Array.from({ length: 257 }, (_, i) => `https://vendor.example.com/cb${i}`);
    expect(
      check(T.application, app({ publicClient: { redirectUris: uris } })).map((v) => [v.property, v.rule]),
    ).toEqual([
      ["publicClient.redirectUris", "maxItems"],
      ["redirectUris", "entraRedirectUri"],
    ]);
  });

  it("conflictsWith: endDate and endDateRelative together", () => {
    const rules = check(T.password, password({ endDateRelative: "240h" })).map((v) => v.rule);
    expect(rules).toEqual(expect.arrayContaining(["conflictsWith", "ignoredByProvider"]));
  });

  it("a resource type outside the extract is refused", () => {
    expect(only(check("azuread:index/group:Group", { displayName: "g" }))).toMatchObject({ rule: "noSchema" });
    expect(check("pulumi-nodejs:dynamic/dataverse:ApplicationUser", { anything: 1 })).toEqual([]);
  });

  it("inline blocks and the separate resources for the same collection conflict", () => {
    const resources = [
      { type: T.application, name: "app", inputs: app() },
      {
        type: T.redirects,
        name: "app-web",
        inputs: { applicationId: `/applications/${ID}`, type: "Web", redirectUris: ["https://a.example.com/"] },
      },
      {
        type: T.apiAccess,
        name: "app-graph",
        inputs: { applicationId: `/applications/${ID}`, apiClientId: ID, scopeIds: [ID] },
      },
    ];
    const found = validateResources(resources, { now: NOW }).filter((v) => v.rule === "conflictsWithInline");
    expect(found.map((v) => [v.name, v.property])).toEqual([
      ["app-graph", "requiredResourceAccesses"],
      ["app-web", "web.redirectUris"],
    ]);
  });

  it("invoke arguments are checked against the data source's inputs", () => {
    expect(validateInvoke("azuread:index/getServicePrincipal:getServicePrincipal", { clientId: ID })).toEqual([]);
    expect(validateInvoke("azuread:index/getServicePrincipal:getServicePrincipal", { appId: ID })[0]).toMatchObject({
      property: "appId",
      rule: "notInSchema",
    });
  });

  it("partial mode (policy pack during preview) does not report unknown required inputs", () => {
    expect(validateResource({ type: T.sp, name: "x", inputs: {} }, { now: NOW, partial: true })).toEqual([]);
  });
});

describe("registered form of redirect URIs", () => {
  it.each([
    ["http://localhost:33333", "web", "http://localhost:33333/"],
    ["https://contoso.com?x=1", "spa", "https://contoso.com/?x=1"],
    ["https://contoso.com/cb", "web", "https://contoso.com/cb"],
    ["http://localhost:33333", "publicClient", "http://localhost:33333"],
  ] as const)("%s on %s -> %s", (uri, platform, expected) => {
    expect(registeredRedirectUri(uri, platform)).toBe(expected);
    expect(
      check(
        T.application,
        app({
          web: { redirectUris: [] },
          [platform === "spa" ? "singlePageApplication" : platform]: { redirectUris: [expected] },
        }),
      ),
    ).toEqual([]);
  });
});
