import { afterEach, describe, expect, it } from "vitest";
import { DataverseClient } from "../components/dataverse/http/client";
import { parseStackConfig } from "../components/config";
import { startEmulator, type Emulator } from "../emulator/server";
import { addBusinessUnit } from "../emulator/seed";
import { revokeEverywhere } from "../emulator/privilegeRoutes";
import { isWrite } from "../emulator/requestLog";
import { startGraphEmulator, type GraphEmulator } from "../emulator/graph/server";
import { grantAppRoles, seedApplication } from "../emulator/graph/seed";
import { judgePassword } from "../scripts/preflight/passwordLifetime";
import { reaches } from "../scripts/preflight/deployerPrivileges";
import { heldPrivileges, probeEnvironment } from "../scripts/preflight/dataverseProbe";
import { dataverseChecks } from "../scripts/preflight/dataverseChecks";
import { preflightNeeds } from "../scripts/preflight/needs";
import { runPreflight } from "../scripts/preflight/run";
import { graphReader } from "../scripts/cli/graphClient";
import { renderJson, renderText } from "../scripts/preflight/report";
import { TEST_SETTINGS } from "./helpers/dataverse";
import { FIXED_NOW } from "./helpers/stackConfig";

const NOW = new Date("2026-12-02T00:00:00Z");
const policy = (restrictions: Record<string, unknown>[], isEnabled = true) => ({
  id: "p-1",
  isEnabled,
  applicationRestrictions: { passwordCredentials: restrictions },
});
const lifetime = (maxLifetime: string, extra: Record<string, unknown> = {}) => ({
  restrictionType: "passwordLifetime",
  state: "enabled",
  maxLifetime,
  restrictForAppsCreatedAfterDateTime: "2015-01-01T00:00:00Z",
  ...extra,
});

describe("password lifetime against app management policies", () => {
  it("finds the longest whole-month lifetime under a cap", () => {
    expect(judgePassword(policy([lifetime("P180D")]), 24, NOW)).toMatchObject({
      kind: "tooLong",
      cap: "P180D",
      capDays: 180,
      longestMonths: 5,
    });
    expect(judgePassword(policy([lifetime("P1Y")]), 24, NOW)).toMatchObject({ kind: "tooLong", longestMonths: 12 });
    expect(judgePassword(policy([lifetime("P1Y")]), 12, NOW)).toEqual({ kind: "allowed", cap: "P1Y" });
    // The tightest of two caps binds; months are calendar months (2026-12-02 + 3 months = 90 days later, + 4 = 120).
    expect(judgePassword(policy([lifetime("P2Y"), lifetime("P90D")]), 6, NOW)).toMatchObject({
      kind: "tooLong",
      cap: "P90D",
      longestMonths: 3,
    });
    expect(judgePassword(policy([lifetime("P89D")]), 6, NOW)).toMatchObject({ kind: "tooLong", longestMonths: 2 });
    expect(judgePassword(policy([lifetime("P20D")]), 1, NOW)).toMatchObject({
      kind: "tooLong",
      longestMonths: undefined,
    });
  });

  it("ignores disabled policies and restrictions, and ones whose enforcement date is still ahead", () => {
    expect(judgePassword(policy([lifetime("P30D")], false), 24, NOW)).toEqual({ kind: "allowed" });
    expect(judgePassword(policy([lifetime("P30D", { state: "disabled" })]), 24, NOW)).toEqual({ kind: "allowed" });
    expect(
      judgePassword(
        policy([lifetime("P30D", { restrictForAppsCreatedAfterDateTime: "2027-06-01T00:00:00Z" })]),
        24,
        NOW,
      ),
    ).toEqual({ kind: "allowed" });
  });

  it("reports passwords blocked outright", () => {
    expect(
      judgePassword(
        policy([
          {
            restrictionType: "passwordAddition",
            state: "enabled",
            maxLifetime: null,
            restrictForAppsCreatedAfterDateTime: null,
          },
        ]),
        1,
        NOW,
      ),
    ).toEqual({ kind: "blocked", policyId: "p-1" });
  });
});

describe("privilege depth reach", () => {
  const units = [
    { businessunitid: "root", _parentbusinessunitid_value: null },
    { businessunitid: "sales", _parentbusinessunitid_value: "root" },
    { businessunitid: "emea", _parentbusinessunitid_value: "sales" },
  ];
  it("follows the access levels: Global everywhere, Deep down the tree, Local the own unit, Basic no unit-owned rows", () => {
    expect(reaches("Global", "emea", "root", units)).toBe(true);
    expect(reaches("Deep", "root", "emea", units)).toBe(true);
    expect(reaches("Deep", "emea", "root", units)).toBe(false);
    expect(reaches("Local", "sales", "sales", units)).toBe(true);
    expect(reaches("Local", "root", "sales", units)).toBe(false);
    expect(reaches("Basic", "root", "root", units)).toBe(false);
  });
});

const emulators: Emulator[] = [];
const graphs: GraphEmulator[] = [];
afterEach(async () => {
  await Promise.all([...emulators.splice(0).map((e) => e.close()), ...graphs.splice(0).map((g) => g.close())]);
});

const clientFor = (emulator: Emulator) =>
  new DataverseClient(emulator.url, {
    tokenSource: async () => emulator.token,
    settings: TEST_SETTINGS,
    log: () => undefined,
  });

describe("the emulator's effective-privilege functions", () => {
  it("answers RetrieveUserSetOfPrivilegesByNames and RetrieveUserPrivilegeByPrivilegeName in the documented shape", async () => {
    const emulator = await startEmulator();
    emulators.push(emulator);
    const client = clientFor(emulator);
    const user = emulator.data.adminUserId;
    const set = await client.get<{ RolePrivileges: Record<string, unknown>[] }>(
      `/systemusers(${user})/Microsoft.Dynamics.CRM.RetrieveUserSetOfPrivilegesByNames(PrivilegeNames=@p1)?@p1=${encodeURIComponent('["prvCreateRole","prvReadAccount","prvNoSuchPrivilege"]')}`,
    );
    expect(set.RolePrivileges.map((p) => p.PrivilegeName).sort()).toEqual(["prvCreateRole", "prvReadAccount"]);
    expect(Object.keys(set.RolePrivileges[0]).sort()).toEqual([
      "BusinessUnitId",
      "Depth",
      "PrivilegeId",
      "PrivilegeName",
      "RecordFilterId",
      "RecordFilterUniqueName",
    ]);
    // prvCreateRole keeps the id of Microsoft's SDK page for the role table.
    expect(set.RolePrivileges.find((p) => p.PrivilegeName === "prvCreateRole")).toMatchObject({
      Depth: "Global",
      PrivilegeId: "7398c78c-29a5-4982-9ada-73390f64fe99",
    });
    const one = await client.get<{ RolePrivileges: unknown[] }>(
      `/systemusers(${user})/Microsoft.Dynamics.CRM.RetrieveUserPrivilegeByPrivilegeName(PrivilegeName='prvCreateUser',ExcludeTeamBasic=false)`,
    );
    expect(one.RolePrivileges).toHaveLength(1);
    revokeEverywhere(emulator.data, "prvCreateUser");
    const none = await client.get<{ RolePrivileges: unknown[] }>(
      `/systemusers(${user})/Microsoft.Dynamics.CRM.RetrieveUserPrivilegeByPrivilegeName(PrivilegeName=@p)?@p='prvCreateUser'`,
    );
    expect(none.RolePrivileges).toEqual([]);
    expect(emulator.log.filter(isWrite)).toEqual([]);
  });

  it("heldPrivileges keeps the widest depth and asks in chunks that fit a URL", async () => {
    const emulator = await startEmulator();
    emulators.push(emulator);
    const names = emulator.data.privileges.map((p) => p.name);
    const held = await heldPrivileges(clientFor(emulator), emulator.data.adminUserId, names);
    expect(held.size).toBe(new Set(names.map((n) => n.toLowerCase())).size);
    expect(held.get("prvreadorganization")).toBe("Global");
    const calls = emulator.log.filter((r) => r.path.includes("RetrieveUserSetOfPrivilegesByNames"));
    expect(calls.length).toBe(Math.ceil(held.size / 40));
  });
});

const DAKTELA_LIKE = (url: string, extra: Record<string, unknown> = {}) =>
  parseStackConfig(
    {
      tenantId: "5f3c1a2b-7d4e-4f60-9a8b-0c1d2e3f4a5b",
      dataverseEnvironments: { crm: url },
      integrations: [
        {
          name: "daktela",
          profile: "daktela",
          dataverse: {
            access: { account: { operations: ["read", "write"], depth: "organization" } },
            changeTracking: ["contact"],
            ...extra,
          },
        },
      ],
    },
    FIXED_NOW,
  );

describe("Dataverse checks against the emulator", () => {
  it("fails a deployer whose own depth is narrower than the depth the generated role grants", async () => {
    const emulator = await startEmulator();
    emulators.push(emulator);
    const sysAdmin = emulator.data.roles.find(
      (r) =>
        r._roletemplateid_value === "627090ff-40a3-4053-8790-584edc5be201" &&
        r._businessunitid_value === emulator.data.businessUnits[0].businessunitid,
    )!;
    const writeAccount = emulator.data.privileges.find((p) => p.name === "prvWriteAccount")!;
    emulator.data.rolePrivileges.get(sysAdmin.roleid)!.set(writeAccount.privilegeid, "Local");
    const env = preflightNeeds("dev", DAKTELA_LIKE(emulator.url)).environments[0];
    const results = dataverseChecks(env, await probeEnvironment(clientFor(emulator), env));
    const failing = results.filter((r) => r.status === "fail");
    expect(failing).toHaveLength(1);
    expect(failing[0].detail).toMatch(
      /^prvWriteAccount: the deployer holds it only at business unit \(Local\), but granted by .* at organization \(Global\); Dataverse refuses/,
    );
    expect(results.map((r) => r.check)).toEqual([
      "reachable",
      "deployer privileges",
      "table account",
      "table contact",
      "generated role of daktela",
      "customization lock",
    ]);
    expect(emulator.log.filter(isWrite)).toEqual([]);
  });

  it("fails a business unit that does not exist, a named role that does not, and an untrackable table", async () => {
    const emulator = await startEmulator();
    emulators.push(emulator);
    const env = preflightNeeds(
      "dev",
      DAKTELA_LIKE(emulator.url, {
        businessUnitId: "0f0f0f0f-0000-4000-8000-000000000001",
        securityRoles: ["Basic User"],
        changeTracking: ["activitypointer"],
      }),
    ).environments[0];
    let results = dataverseChecks(env, await probeEnvironment(clientFor(emulator), env));
    expect(results.filter((r) => r.status === "fail").map((r) => r.check)).toEqual([
      "business unit of daktela",
      "table activitypointer",
    ]);
    // Once the unit exists (with its copies of the standard roles), a role name it lacks still fails.
    addBusinessUnit(emulator.data, "0f0f0f0f-0000-4000-8000-000000000001", "Support");
    const env2 = { ...env, integrations: env.integrations.map((i) => ({ ...i, securityRoles: ["Basic Usr"] })) };
    results = dataverseChecks(env2, await probeEnvironment(clientFor(emulator), env2));
    const roles = results.find((r) => r.check === "roles of daktela")!;
    expect(roles.status).toBe("fail");
    expect(roles.detail).toMatch(/"Basic Usr" matches no role .*closest: "Basic User"/);
  });

  it("reports an environment it cannot reach as one failing line", async () => {
    const emulator = await startEmulator();
    emulators.push(emulator);
    const env = preflightNeeds("dev", DAKTELA_LIKE(emulator.url)).environments[0];
    const client = new DataverseClient(emulator.url, {
      tokenSource: async () => "wrong-token",
      settings: TEST_SETTINGS,
      log: () => undefined,
    });
    const results = dataverseChecks(env, await probeEnvironment(client, env));
    expect(results).toEqual([
      expect.objectContaining({ check: "reachable", status: "fail", detail: expect.stringMatching(/401/) }),
    ]);
  });
});

describe("Entra checks against the Graph emulator", () => {
  const raynet = () =>
    preflightNeeds(
      "prod",
      parseStackConfig(
        {
          tenantId: "5f3c1a2b-7d4e-4f60-9a8b-0c1d2e3f4a5b",
          integrations: [{ name: "raynet", profile: "raynet" }],
        },
        FIXED_NOW,
      ),
    );

  it("fails a person who may not consent to Microsoft Graph application permissions, and a signed-in tenant that is not the stack's", async () => {
    const graph = await startGraphEmulator({
      tenantId: "11111111-2222-4333-8444-555555555555",
      deployerRoles: ["Cloud Application Administrator"],
    });
    graphs.push(graph);
    const results = await runPreflight(raynet(), {
      graph: graphReader(graph.url, async () => graph.token),
      dataverse: () => {
        throw new Error("no Dataverse");
      },
      now: NOW,
    });
    const failing = results.filter((r) => r.status === "fail");
    expect(failing.map((r) => r.check)).toEqual(["signed-in tenant", "deployer rights"]);
    expect(failing[1].detail).toMatch(/grant Microsoft Graph application permissions .*Privileged Role Administrator/);
    expect(graph.writes()).toEqual([]);
  });

  it("reads a service principal's rights from its app role assignments, and warns about an app with the same name", async () => {
    const graph = await startGraphEmulator({ tenantId: "5f3c1a2b-7d4e-4f60-9a8b-0c1d2e3f4a5b" });
    graphs.push(graph);
    const deployer = seedApplication(graph.data, { displayName: "deployer" });
    grantAppRoles(graph.data, deployer.servicePrincipal, "00000003-0000-0000-c000-000000000000", [
      "Application.ReadWrite.All",
    ]);
    // The raynet profile names its app (profiles fill displayName).
    seedApplication(graph.data, { displayName: "Raynet Outlook Sync" });
    // An app-only JWT as Entra issues it (unsigned here: preflight only reads claims, Graph verifies).
    const claims = {
      tid: "5f3c1a2b-7d4e-4f60-9a8b-0c1d2e3f4a5b",
      idtyp: "app",
      appid: deployer.application.appId,
      roles: ["Application.ReadWrite.All"],
    };
    const jwt = `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;
    const bearer = graph.tokenForServicePrincipal(deployer.servicePrincipal.id);
    let calls = 0;
    const reader = graphReader(graph.url, async () => (calls++ === 0 ? jwt : bearer));
    const results = await runPreflight(raynet(), {
      graph: reader,
      dataverse: () => {
        throw new Error("no Dataverse");
      },
      now: NOW,
    });
    const rights = results.filter((r) => r.check === "deployer rights");
    expect(rights.map((r) => r.status)).toEqual(["fail"]);
    expect(rights[0].detail).toMatch(
      /cannot grant application permissions .*AppRoleAssignment.ReadWrite.All .*read from its app role assignments/,
    );
    expect(results.find((r) => r.check === "display name of raynet")).toMatchObject({ status: "warn" });
    expect(graph.writes()).toEqual([]);
  });

  it("never prints a bearer token, in text or JSON, even when a call is refused", async () => {
    const graph = await startGraphEmulator({ tenantId: "5f3c1a2b-7d4e-4f60-9a8b-0c1d2e3f4a5b" });
    const emulator = await startEmulator();
    graphs.push(graph);
    emulators.push(emulator);
    const needs = preflightNeeds("dev", DAKTELA_LIKE(emulator.url));
    const marker = `marker-token-${Date.now()}`;
    const results = await runPreflight(needs, {
      graph: graphReader(graph.url, async () => marker),
      dataverse: (url) =>
        new DataverseClient(url, { tokenSource: async () => marker, settings: TEST_SETTINGS, log: () => undefined }),
      now: NOW,
    });
    expect(results.some((r) => r.status === "unknown" || r.status === "fail")).toBe(true);
    expect(renderText("dev", results)).not.toContain(marker);
    expect(renderJson("dev", results)).not.toContain(marker);
    const good = await runPreflight(needs, {
      graph: graphReader(graph.url, async () => graph.token),
      dataverse: () => clientFor(emulator),
      now: NOW,
    });
    expect(renderText("dev", good)).not.toContain(graph.token);
    expect(renderText("dev", good)).not.toContain(emulator.token);
  });
});
