import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeApplicationUserProvider } from "../components/dataverse/applicationUser";
import { makeSecurityRoleProvider } from "../components/dataverse/securityRole";
import { broadestFirst, declaredPrivileges, privilegeDrift, type SecurityRoleState } from "../components/dataverse/securityRolePlan";
import { startEmulator, type Emulator } from "../emulator/server";
import { addApplicationUser } from "../emulator/seed";
import { roundTrips } from "../emulator/requestLog";
import { clientFactory, rootBu, salesBu } from "./helpers/dataverse";

let emulator: Emulator;
const lines: string[] = [];
let provider: ReturnType<typeof makeSecurityRoleProvider>;
beforeAll(async () => {
  emulator = await startEmulator({ extraTables: 5 });
  provider = makeSecurityRoleProvider({ clientFactory: clientFactory(emulator, { pageSize: 5000 }, lines), log: (l) => lines.push(l) });
});
afterAll(() => emulator.close());
afterEach(() => { emulator.faults.clear(); emulator.log.length = 0; lines.length = 0; });

const syncAccess = declaredPrivileges({
  account: { operations: ["read", "write", "create", "append", "appendTo"], depth: "organization" },
  contact: { operations: ["read"], depth: "businessUnit" },
});
const inputs = (privileges = syncAccess.map((p) => ({ name: p.name, depth: p.depth })), roleName = "CRM sync syncari (dev)") => ({ environmentUrl: emulator.url, roleName, privileges });
const heldOf = (roleId: string) => [...(emulator.data.rolePrivileges.get(roleId) ?? [])].map(([id, depth]) => [emulator.data.privileges.find((p) => p.privilegeid === id)!.name, depth]).sort();

describe("access contract", () => {
  it("becomes prv<Operation><table> privileges plus the base set, widest depth per privilege, broadest first", () => {
    const names = syncAccess.map((p) => `${p.name}:${p.depth}`);
    expect(names).toEqual(expect.arrayContaining(["prvReadaccount:Global", "prvWriteaccount:Global", "prvReadcontact:Local", "prvReadUser:Basic", "prvReadOrganization:Global"]));
    expect(broadestFirst(syncAccess)[0].depth).toBe("Global");
    expect(broadestFirst(syncAccess).at(-1)!.depth).toBe("Basic");
  });

  it("drift: added, widened, missing and narrowed privileges", () => {
    const d = privilegeDrift([{ name: "prvReadAccount", depth: "Local" }, { name: "prvWriteAccount", depth: "Global" }], [{ name: "prvreadaccount", depth: "Global" }, { name: "prvDeleteAccount", depth: "Basic" }]);
    expect(d).toEqual({ added: ["prvdeleteaccount"], widened: ["prvreadaccount"], missing: ["prvwriteaccount"], narrowed: [] });
  });
});

describe("SecurityRole", () => {
  it("creates a custom role in the root business unit with exactly the declared privileges, in 3 round trips for 40 privileges", async () => {
    const forty = ["account", "contact", "lead", "opportunity", "incident"].flatMap((t) => ["Create", "Read", "Write", "Delete", "Append", "AppendTo", "Assign", "Share"].map((op) => ({ name: `prv${op}${t}`, depth: "Global" as const })));
    expect(forty).toHaveLength(40);
    const { id, outs } = await provider.create!(inputs(forty, "forty"));
    expect(roundTrips(emulator.log)).toHaveLength(3);
    expect(heldOf(id)).toHaveLength(40);
    expect((outs as SecurityRoleState).businessUnitId).toBe(rootBu(emulator));
    expect(emulator.data.roles.find((r) => r.roleid === id)).toMatchObject({ name: "forty", _businessunitid_value: rootBu(emulator) });
  });

  it("finds privileges added or widened in the portal; the next update restores exactly the declared set", async () => {
    const { id, outs } = await provider.create!(inputs());
    const held = emulator.data.rolePrivileges.get(id)!;
    const del = emulator.data.privileges.find((p) => p.name === "prvDeleteAccount")!;
    const readContact = emulator.data.privileges.find((p) => p.name === "prvReadContact")!;
    held.set(del.privilegeid, "Global");
    held.set(readContact.privilegeid, "Global"); // widened from Local
    const read = await provider.read!(id, outs);
    const state = read.props as SecurityRoleState;
    expect(state.heldPrivileges.map((p) => `${p.name}:${p.depth}`)).toEqual(expect.arrayContaining(["prvDeleteAccount:Global", "prvReadContact:Global"]));
    expect((await provider.diff!(id, state, inputs())).changes).toBe(true);
    emulator.log.length = 0;
    await provider.update!(id, state, inputs());
    expect(roundTrips(emulator.log)).toHaveLength(2);
    expect(heldOf(id)).toEqual(syncAccess.map((p) => [emulator.data.privileges.find((x) => x.name.toLowerCase() === p.name.toLowerCase())!.name, p.depth]).sort());
    const again = await provider.read!(id, state);
    expect((await provider.diff!(id, again.props as SecurityRoleState, inputs())).changes).toBe(false);
  });

  it("changes privileges and the name in place", async () => {
    const { id, outs } = await provider.create!(inputs());
    const narrower = syncAccess.filter((p) => !/write/i.test(p.name)).map((p) => ({ name: p.name, depth: p.depth }));
    const next = inputs(narrower, "CRM sync syncari (dev) v2");
    expect(await provider.diff!(id, outs as SecurityRoleState, next)).toEqual({ changes: true, replaces: [] });
    await provider.update!(id, outs as SecurityRoleState, next);
    expect(heldOf(id).map(([n]) => n)).not.toContain("prvWriteAccount");
    expect(emulator.data.roles.find((r) => r.roleid === id)!.name).toBe("CRM sync syncari (dev) v2");
  });

  it("delete takes the role from its users and deletes it; a role already gone is success", async () => {
    const { id, outs } = await provider.create!(inputs());
    const user = addApplicationUser(emulator.data, { applicationid: crypto.randomUUID(), _businessunitid_value: rootBu(emulator) });
    user.roles.add(id);
    await provider.delete!(id, outs);
    expect(user.roles.has(id)).toBe(false);
    expect(emulator.data.roles.some((r) => r.roleid === id)).toBe(false);
    await expect(provider.delete!(id, outs)).resolves.toBeUndefined();
    expect(await provider.read!(id, outs)).toEqual({ id: "", props: {} });
  });

  it("refuses unknown privileges and depths a privilege does not support, naming them, and leaves no role behind", async () => {
    const before = emulator.data.roles.length;
    await expect(provider.create!(inputs([{ name: "prvReadNoSuchTable", depth: "Global" }, { name: "prvReadOrganization", depth: "Basic" }])))
      .rejects.toThrow(/prvReadNoSuchTable does not exist in this environment.*prvReadOrganization cannot be granted at depth Basic \(it can be: Global\)/);
    expect(emulator.data.roles.length).toBe(before);
  });

  it("the emulator refuses a role outside the root business unit and an unsupported depth, as the service does", async () => {
    const client = clientFactory(emulator)(emulator.url);
    await expect(client.request("POST", "/roles", { name: "x", "businessunitid@odata.bind": `/businessunits(${salesBu(emulator)})` })).rejects.toMatchObject({ status: 400 });
    const { id } = await provider.create!(inputs());
    const org = emulator.data.privileges.find((p) => p.name === "prvReadOrganization")!;
    await expect(client.request("POST", `/roles(${id})/Microsoft.Dynamics.CRM.AddPrivilegesRole`, { Privileges: [{ PrivilegeId: org.privilegeid, Depth: "Local" }] }))
      .rejects.toThrow(/cannot be granted at depth Local/);
    await expect(client.request("POST", `/roles(${id})/Microsoft.Dynamics.CRM.AddPrivilegesRole`, { Privileges: [{ PrivilegeId: crypto.randomUUID(), Depth: "Global" }] }))
      .rejects.toMatchObject({ status: 404 });
  });
});

describe("SecurityRole and ApplicationUser in one environment", () => {
  it("the role's lookup of the root business unit serves the application users too: they do not ask again", async () => {
    const fresh = await startEmulator();
    try {
      const factory = clientFactory(fresh, { pageSize: 5000 });
      await makeSecurityRoleProvider({ clientFactory: factory, log: () => {} }).create!({ environmentUrl: fresh.url, roleName: "CRM sync", privileges: syncAccess.map((p) => ({ name: p.name, depth: p.depth })) });
      const before = fresh.log.length;
      const user = await makeApplicationUserProvider({ clientFactory: factory, log: () => {} }).create!({ environmentUrl: fresh.url, applicationId: randomUUID(), securityRoles: ["Basic User"] });
      expect(user.outs).toMatchObject({ businessUnitId: rootBu(fresh) });
      expect(fresh.log.slice(before).filter((r) => r.path === "/businessunits")).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});
