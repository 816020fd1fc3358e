import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeApplicationUserProvider } from "../components/dataverse/applicationUser";
import type { ApplicationUserState } from "../components/dataverse/applicationUserPlan";
import { resetEnvironmentCaches } from "../components/dataverse/environmentCache";
import { startEmulator, type Emulator } from "../emulator/server";
import { clientFactory, roleId, rootBu, salesBu, stageRecorder, writes } from "./helpers/dataverse";

/** The provider process's per-environment cache (root business unit, roles), emptied so a test sees every lookup. */

let emulator: Emulator;
const lines: string[] = [];
const allLines: string[] = [];
let provider: ReturnType<typeof makeApplicationUserProvider>;

beforeAll(async () => {
  emulator = await startEmulator();
  provider = makeApplicationUserProvider({
    clientFactory: clientFactory(emulator, {}, lines),
    log: (l) => lines.push(l),
  });
});
afterAll(() => emulator.close());
afterEach(() => {
  emulator.faults.clear();
  emulator.log.length = 0;
  allLines.push(...lines);
  lines.length = 0;
});

const inputs = (over: Record<string, unknown> = {}) =>
  ({
    environmentUrl: emulator.url,
    applicationId: randomUUID(),
    securityRoles: ["Basic User"],
    ...over,
  }) as { environmentUrl: string; applicationId: string; securityRoles: string[]; businessUnitId?: string };
const userOf = (id: string) => emulator.data.users.get(id)!;
const roleNamesOf = (id: string) =>
  emulator.data.roles
    .filter((r) => userOf(id).roles.has(r.roleid))
    .map((r) => r.name)
    .sort();

async function create(over: Record<string, unknown> = {}) {
  const ins = inputs(over);
  const { id, outs } = await provider.create!(ins);
  return { ins, id, outs: outs as ApplicationUserState };
}

describe("ApplicationUser create", () => {
  it("creates a user with several roles in 3 sequential round-trip stages (counted from dependency order)", async () => {
    const stages = stageRecorder();
    const make = clientFactory(emulator, { pageSize: 5000, maxConcurrency: 8 });
    const onePage = makeApplicationUserProvider({ clientFactory: (url) => stages.wrap(make(url)), log: () => {} });
    resetEnvironmentCaches();
    await onePage.create!(
      inputs({
        securityRoles: ["Basic User", "Support User", "Delegate", "System Customizer", "CRM Sync Integration"],
      }),
    );
    expect(stages.count()).toBe(3); // lookups | create + role query | role associations
    expect(stages.stages.filter((s) => s.stage === 3).map((s) => s.method)).toEqual(Array(5).fill("POST"));
    expect(emulator.log).toHaveLength(2 + 2 + 5);
  });

  it("creates the user in the root business unit with its roles", async () => {
    const { id, outs, ins } = await create({ securityRoles: ["Basic User", "627090ff-40a3-4053-8790-584edc5be201"] });
    const user = userOf(id);
    expect(user).toMatchObject({
      applicationid: ins.applicationId,
      isdisabled: false,
      accessmode: 4,
      _businessunitid_value: rootBu(emulator),
    });
    expect(roleNamesOf(id)).toEqual(["Basic User", "System Administrator"]);
    expect(outs).toMatchObject({
      systemUserId: id,
      businessUnitId: rootBu(emulator),
      rootBusinessUnitId: rootBu(emulator),
      adopted: false,
      isDisabled: false,
    });
    expect(outs.roleIds).toEqual([
      roleId(emulator, "Basic User", rootBu(emulator)),
      roleId(emulator, "System Administrator", rootBu(emulator)),
    ]);
    const posts = emulator.log.filter((r) => r.method === "POST");
    expect(posts.map((r) => r.path)).toEqual(
      expect.arrayContaining(["/systemusers", `/systemusers(${id})/systemuserroles_association/$ref`]),
    );
    expect(posts[0].body).toEqual({
      applicationid: ins.applicationId,
      "businessunitid@odata.bind": `/businessunits(${rootBu(emulator)})`,
      accessmode: 4,
      isdisabled: false,
    });
    // one query resolves all roles, and is shared by every user of the environment in this provider process
    expect(emulator.log.filter((r) => r.path === "/roles").length).toBeLessThanOrEqual(1);
    emulator.log.length = 0;
    await create({ securityRoles: ["Basic User", "Delegate"] });
    expect(emulator.log.filter((r) => r.path === "/roles" || r.path === "/businessunits")).toHaveLength(0);
  });

  it("creates in a given business unit, resolving roles there", async () => {
    const { id } = await create({ businessUnitId: salesBu(emulator), securityRoles: ["CRM Sync Integration"] });
    expect(userOf(id)._businessunitid_value).toBe(salesBu(emulator));
    expect([...userOf(id).roles]).toEqual([roleId(emulator, "CRM Sync Integration", salesBu(emulator))]);
  });

  it("adopts the app's existing user, enabling it and adding only the missing roles", async () => {
    const first = await create({ securityRoles: ["Basic User"] });
    userOf(first.id).isdisabled = true;
    emulator.log.length = 0;
    const again = await provider.create!({
      ...first.ins,
      securityRoles: ["Basic User", "Support User"],
      adoptExistingUser: true,
    });
    expect(again.id).toBe(first.id);
    expect((again.outs as ApplicationUserState).adopted).toBe(true);
    expect(userOf(first.id).isdisabled).toBe(false);
    expect(writes(emulator).map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /systemusers(${first.id})`,
      `POST /systemusers(${first.id})/systemuserroles_association/$ref`,
    ]);
    expect(roleNamesOf(first.id)).toEqual(["Basic User", "Support User"]);
  });

  it("waits out service principal replication lag, then creates", async () => {
    const ins = inputs();
    // Waits scale with the client's retry base (20 ms in tests: 80 ms, then 160 ms, ...; 2 s by default).
    emulator.faults.replicationLag(ins.applicationId, 200);
    const { id } = await provider.create!(ins);
    expect(userOf(id).applicationid).toBe(ins.applicationId);
    const posts = emulator.log.filter((r) => r.method === "POST" && r.path === "/systemusers").map((r) => r.status);
    expect(posts.at(-1)).toBe(201);
    expect(posts.slice(0, -1).every((s) => s === 400) && posts.length >= 2).toBe(true);
    expect(lines.join("\n")).toMatch(/not in .* yet; retrying in 80 ms \(attempt 1\)/);
  });

  it("gives up on replication lag at the bound with a clear error", async () => {
    const lagged = makeApplicationUserProvider({
      clientFactory: clientFactory(emulator, { replicationWaitMs: 1000 }),
      log: () => {},
    });
    const ins = inputs();
    emulator.faults.replicationLag(ins.applicationId, 60_000);
    await expect(lagged.create!(ins)).rejects.toThrow(
      /could not be created within 1 s: the app's service principal has not reached .* DATAVERSE_REPLICATION_WAIT_MS/,
    );
  });

  it("names every unknown role with the closest names, and creates nothing half-way visible", async () => {
    await expect(create({ securityRoles: ["Basic Usr", "Sales Manager"] })).rejects.toThrow(
      /"Basic Usr" matches no role in business unit .*closest: "Basic User".*"Sales Manager" matches no role/,
    );
  });
});

describe("ApplicationUser read, diff and update", () => {
  it("reads drift: disabled user, changed business unit, roles removed and added out of band", async () => {
    const { id, outs } = await create({ securityRoles: ["Basic User", "Support User"] });
    const user = userOf(id);
    user.isdisabled = true;
    user.roles.delete(roleId(emulator, "Support User", rootBu(emulator)));
    user.roles.add(roleId(emulator, "Delegate", rootBu(emulator)));
    const read = await provider.read!(id, outs);
    const state = read.props as ApplicationUserState;
    expect(state.isDisabled).toBe(true);
    expect(state.assignedRoleIds.sort()).toEqual(
      [roleId(emulator, "Basic User", rootBu(emulator)), roleId(emulator, "Delegate", rootBu(emulator))].sort(),
    );
    const diff = await provider.diff!(
      id,
      state,
      inputs({ applicationId: outs.applicationId, securityRoles: ["Basic User", "Support User"] }),
    );
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    expect(Object.keys((diff as { detailedDiff: object }).detailedDiff).sort()).toEqual(["isDisabled", "roleIds"]);

    const updated = await provider.update!(id, state, {
      environmentUrl: emulator.url,
      applicationId: outs.applicationId,
      securityRoles: ["Basic User", "Support User"],
    });
    expect(userOf(id).isdisabled).toBe(false);
    // the out-of-band Delegate role is not ours to remove
    expect(roleNamesOf(id)).toEqual(["Basic User", "Delegate", "Support User"]);
    const after = (await provider.read!(id, updated.outs as ApplicationUserState)).props as ApplicationUserState;
    expect(
      (
        await provider.diff!(id, after, {
          environmentUrl: emulator.url,
          applicationId: outs.applicationId,
          securityRoles: ["Basic User", "Support User"],
        })
      ).changes,
    ).toBe(false);
  });

  it("adds and removes managed roles in place", async () => {
    const { id, outs, ins } = await create({ securityRoles: ["Basic User", "Support User"] });
    emulator.log.length = 0;
    const news = { ...ins, securityRoles: ["Basic User", "System Customizer"] };
    const diff = (await provider.diff!(id, outs, news)) as {
      changes: boolean;
      replaces: string[];
      detailedDiff: Record<string, { kind: string }>;
    };
    expect(diff.replaces).toEqual([]);
    expect(diff.detailedDiff).toEqual({ "securityRoles[1]": { kind: "update", inputDiff: true } });
    await provider.update!(id, outs, news);
    expect(roleNamesOf(id)).toEqual(["Basic User", "System Customizer"]);
    expect(
      writes(emulator)
        .map((r) => r.method)
        .sort(),
    ).toEqual(["DELETE", "POST"]);
  });

  it("moves the user to another business unit and re-assigns the roles there", async () => {
    const { id, outs, ins } = await create({ securityRoles: ["Basic User"] });
    const news = { ...ins, businessUnitId: salesBu(emulator) };
    expect(((await provider.diff!(id, outs, news)) as { detailedDiff: object }).detailedDiff).toEqual({
      businessUnitId: { kind: "update", inputDiff: true },
    });
    const { outs: after } = await provider.update!(id, outs, news);
    expect(userOf(id)._businessunitid_value).toBe(salesBu(emulator));
    expect([...userOf(id).roles]).toEqual([roleId(emulator, "Basic User", salesBu(emulator))]);
    expect((after as ApplicationUserState).businessUnitId).toBe(salesBu(emulator));
  });

  it("replaces on a new environment or application id", async () => {
    const { id, outs, ins } = await create();
    expect((await provider.diff!(id, outs, { ...ins, applicationId: randomUUID() })).replaces).toEqual([
      "applicationId",
    ]);
    expect(
      (await provider.diff!(id, outs, { ...ins, environmentUrl: "https://other.crm.dynamics.com" })).replaces,
    ).toEqual(["environmentUrl"]);
  });

  it("reports a user deleted out of band as gone", async () => {
    const { id, outs } = await create();
    emulator.data.users.delete(id);
    expect((await provider.read!(id, outs)).id).toBe("");
  });
});

describe("ApplicationUser delete", () => {
  it("disables, soft-deletes and purges, every PATCH with If-Match: *", async () => {
    const { id, outs } = await create();
    emulator.log.length = 0;
    await provider.delete!(id, outs);
    expect(emulator.data.users.has(id)).toBe(false);
    expect(writes(emulator).map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /systemusers(${id})`,
      `DELETE /systemusers(${id})`,
      `DELETE /systemusers(${id})`,
    ]);
    expect(writes(emulator)[0].body).toEqual({ isdisabled: true });
    expect(writes(emulator)[0].headers.ifMatch).toBe("*");
  });

  it("treats an already deleted user as success", async () => {
    const { id, outs } = await create();
    emulator.data.users.delete(id);
    await expect(provider.delete!(id, outs)).resolves.toBeUndefined();
  });
});

describe("ApplicationUser secrets hygiene", () => {
  it("never logs the bearer token, and keeps it out of outputs and errors", async () => {
    emulator.faults.add({ method: "POST", path: /^\/systemusers$/, times: 1, action: { kind: "status", status: 503 } });
    const { outs } = await create();
    const err = await create({ securityRoles: ["No Such Role"] }).catch((e: Error) => e);
    expect(allLines.length + lines.length).toBeGreaterThan(0);
    const everything = [...allLines, ...lines, JSON.stringify(outs), String(err), (err as Error).stack].join("\n");
    expect(everything).not.toContain(emulator.token);
    expect(everything).not.toMatch(/Bearer|Authorization/i);
  });
});

describe("ApplicationUser check", () => {
  const check = (news: Record<string, unknown>) => provider.check!({}, news);
  const valid = {
    environmentUrl: "https://contoso.crm4.dynamics.com",
    applicationId: randomUUID(),
    securityRoles: ["Basic User"],
  };
  it.each([
    ["environmentUrl", { environmentUrl: "http://contoso.crm4.dynamics.com" }, /https/],
    ["environmentUrl", { environmentUrl: "https://contoso.crm4.dynamics.com/api/data/v9.2" }, /environment root/],
    ["environmentUrl", { environmentUrl: "contoso" }, /absolute URL/],
    ["environmentUrl", { environmentUrl: 42 }, /URL string/],
    ["environmentUrl", { environmentUrl: "https://user:pw@contoso.crm4.dynamics.com" }, /credentials/],
    ["applicationId", { applicationId: "my-app" }, /GUID/],
    ["applicationId", { applicationId: undefined }, /GUID/],
    ["businessUnitId", { businessUnitId: "root" }, /GUID/],
    ["securityRoles", { securityRoles: "Basic User" }, /list/],
    ["securityRoles[0]", { securityRoles: [""] }, /non-empty/],
    ["securityRoles[1]", { securityRoles: ["Basic User", "basic user"] }, /duplicate/],
    ["securityRoles[0]", { securityRoles: [7] }, /non-empty/],
  ])("rejects a bad %s", async (property, change, reason) => {
    const { failures } = await check({ ...valid, ...change });
    expect(failures).toEqual([{ property, reason: expect.stringMatching(reason) }]);
  });

  it("normalizes valid inputs", async () => {
    const { inputs: ins, failures } = await check({
      ...valid,
      environmentUrl: "https://Contoso.crm4.dynamics.com/",
      applicationId: valid.applicationId.toUpperCase(),
    });
    expect(failures).toEqual([]);
    expect(ins).toEqual({
      environmentUrl: "https://contoso.crm4.dynamics.com",
      applicationId: valid.applicationId,
      securityRoles: ["Basic User"],
    });
  });
});
