import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeApplicationUserProvider } from "../components/dataverse/applicationUser";
import type { ApplicationUserState } from "../components/dataverse/applicationUserPlan";
import { makeSecurityRoleProvider } from "../components/dataverse/securityRole";
import { addApplicationUser } from "../emulator/seed";
import { startEmulator, type Emulator } from "../emulator/server";
import { clientFactory, rootBu, salesBu, writes } from "./helpers/dataverse";

let emulator: Emulator;
const lines: string[] = [];
let provider: ReturnType<typeof makeApplicationUserProvider>;

beforeAll(async () => {
  emulator = await startEmulator();
  provider = makeApplicationUserProvider({
    clientFactory: clientFactory(emulator, { replicationWaitMs: 5_000 }, lines),
    log: (l) => lines.push(l),
  });
});
afterAll(() => emulator.close());
afterEach(() => {
  emulator.faults.clear();
  emulator.log.length = 0;
  lines.length = 0;
});

const inputs = (over: Record<string, unknown> = {}) => ({
  environmentUrl: emulator.url,
  applicationId: randomUUID(),
  securityRoles: ["Basic User"],
  ...over,
});

describe("application users this stack did not create", () => {
  it("refuses a hand-made user unless adoption is declared, and writes nothing", async () => {
    const ins = inputs();
    const made = addApplicationUser(emulator.data, {
      applicationid: ins.applicationId,
      _businessunitid_value: rootBu(emulator),
    });
    await expect(provider.create!(ins)).rejects.toThrow(
      new RegExp(`already exists .*${made.systemuserid}.*this stack did not create it.*adoptExistingUser: true`),
    );
    expect(writes(emulator)).toHaveLength(0);
  });

  it("adopts it when declared, and on delete leaves it in place with only its own roles", async () => {
    const ins = inputs({ adoptExistingUser: true });
    const made = addApplicationUser(emulator.data, {
      applicationid: ins.applicationId,
      _businessunitid_value: rootBu(emulator),
    });
    const { id, outs } = await provider.create!(ins);
    expect(id).toBe(made.systemuserid);
    expect((outs as ApplicationUserState).adopted).toBe(true);
    expect(made.roles.size).toBe(1);
    emulator.log.length = 0;
    await provider.delete!(id, outs);
    expect(emulator.data.users.get(id)).toMatchObject({ deletedstate: 0, isdisabled: false });
    expect(made.roles.size).toBe(0);
    expect(writes(emulator).map((w) => w.method)).toEqual(["DELETE"]); // the role reference only, never the user
    expect(lines.join("\n")).toMatch(/not created by this stack: left in place/);
  });

  it("refuses two live users for one app, naming both", async () => {
    const ins = inputs({ adoptExistingUser: true });
    const a = addApplicationUser(emulator.data, {
      applicationid: ins.applicationId,
      _businessunitid_value: rootBu(emulator),
    });
    const b = addApplicationUser(emulator.data, {
      applicationid: ins.applicationId,
      _businessunitid_value: salesBu(emulator),
    });
    const err = await provider.create!(ins).catch((e: Error) => e);
    expect(String(err)).toContain(a.systemuserid);
    expect(String(err)).toContain(b.systemuserid);
    expect(String(err)).toMatch(/2 live application users/);
    expect(writes(emulator)).toHaveLength(0);
  });

  it("refuses to adopt a user of another business unit (moving it drops its roles), naming both units", async () => {
    const ins = inputs({ adoptExistingUser: true, businessUnitId: salesBu(emulator) });
    const made = addApplicationUser(emulator.data, {
      applicationid: ins.applicationId,
      _businessunitid_value: rootBu(emulator),
    });
    const err = String(await provider.create!(ins).catch((e: Error) => e));
    expect(err).toContain(made.systemuserid);
    expect(err).toContain(rootBu(emulator));
    expect(err).toContain(salesBu(emulator));
    expect(made._businessunitid_value).toBe(rootBu(emulator));
    expect(writes(emulator)).toHaveLength(0);
  });

  it("purges a user it created on delete", async () => {
    const { id, outs } = await provider.create!(inputs());
    await provider.delete!(id, outs);
    expect(emulator.data.users.has(id)).toBe(false);
  });
});

describe("a generated role for a user in a child business unit", () => {
  for (const lag of [0, 6]) {
    it(`gets the unit's own copy of the role (copies appear after ${lag} reads)`, async () => {
      emulator.faults.roleCopyLagReads = lag;
      const roles = makeSecurityRoleProvider({ clientFactory: clientFactory(emulator), log: () => {} });
      const role = await roles.create!({
        environmentUrl: emulator.url,
        roleName: `child copy ${lag} ${randomUUID().slice(0, 6)}`,
        grants: [{ table: "account", operation: "read", depth: "Local", reason: "declared" }],
      });
      const { id } = await provider.create!(inputs({ businessUnitId: salesBu(emulator), securityRoles: [role.id] }));
      const copy = emulator.data.roles.find(
        (r) => r._parentrootroleid_value === role.id && r._businessunitid_value === salesBu(emulator),
      )!;
      expect(copy.roleid).not.toBe(role.id);
      expect([...emulator.data.users.get(id)!.roles]).toEqual([copy.roleid]);
      if (lag) expect(lines.join("\n")).toMatch(/waiting for Dataverse to copy the role into business unit/);
    });
  }
});
