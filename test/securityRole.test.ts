import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeApplicationUserProvider } from "../components/dataverse/applicationUser";
import { makeSecurityRoleProvider } from "../components/dataverse/securityRole";
import type { RoleGrant } from "../components/dataverse/privilegeResolution";
import {
  checkSecurityRole,
  declaredGrants,
  privilegeDrift,
  type SecurityRoleState,
} from "../components/dataverse/securityRolePlan";
import { startEmulator, type Emulator } from "../emulator/server";
import { addApplicationUser } from "../emulator/seed";
import { NEW_ROLE_DEFAULTS } from "../emulator/privilegeSeed";
import { roundTrips } from "../emulator/requestLog";
import { clientFactory, rootBu, salesBu } from "./helpers/dataverse";

let emulator: Emulator;
const lines: string[] = [];
let provider: ReturnType<typeof makeSecurityRoleProvider>;
beforeAll(async () => {
  emulator = await startEmulator();
  provider = makeSecurityRoleProvider({
    clientFactory: clientFactory(emulator, { pageSize: 5000 }, lines),
    log: (l) => lines.push(l),
  });
});
afterAll(() => emulator.close());
afterEach(() => {
  emulator.faults.clear();
  emulator.log.length = 0;
  lines.length = 0;
});

const syncGrants = declaredGrants([
  { table: "account", operations: ["read", "write", "create", "append", "appendTo"], depth: "organization" },
  { table: "contact", operations: ["read"], depth: "businessUnit" },
  { table: "phonecall", operations: ["read", "create"], depth: "organization" },
  { table: "email", operations: ["read"], depth: "businessUnit" },
  { table: "salesorder", operations: ["read"], depth: "organization" },
  { table: "annotation", operations: ["read"], depth: "user" },
]);
let n = 0;
const inputs = (grants: RoleGrant[] = syncGrants, roleName = `CRM sync syncari (dev) ${++n}`) => ({
  environmentUrl: emulator.url,
  roleName,
  grants,
});
const heldOf = (roleId: string) =>
  [...(emulator.data.rolePrivileges.get(roleId) ?? [])]
    .map(([id, depth]) => `${emulator.data.privileges.find((p) => p.privilegeid === id)!.name}:${depth}`)
    .sort();

describe("access contract", () => {
  it("becomes table operations plus the base set at the narrowest allowed depth, widest depth per operation", () => {
    const keys = syncGrants.map((g) => `${g.operation} ${g.table}:${g.depth}`);
    expect(keys).toEqual(
      expect.arrayContaining([
        "read account:Global",
        "read contact:Local",
        "read systemuser:narrowest",
        "read businessunit:narrowest",
        "read organization:narrowest",
      ]),
    );
    const wider = declaredGrants([
      { table: "account", operations: ["read"], depth: "user" },
      { table: "account", operations: ["read"], depth: "organization", reason: "change tracking" },
    ]);
    expect(wider.filter((g) => g.table === "account")).toEqual([
      { table: "account", operation: "read", depth: "Global", reason: "change tracking" },
    ]);
  });

  it("drift: added, widened, missing and narrowed privileges; platform-maintained ones are never drift", () => {
    const d = privilegeDrift(
      [
        { name: "prvReadAccount", depth: "Local" },
        { name: "prvWriteAccount", depth: "Global" },
      ],
      [
        { name: "prvreadaccount", depth: "Global" },
        { name: "prvDeleteAccount", depth: "Basic" },
        { name: "prvReadSharePointData", depth: "Global" },
      ],
      ["prvReadSharePointData"],
    );
    expect(d).toEqual({
      added: ["prvdeleteaccount"],
      widened: ["prvreadaccount"],
      missing: ["prvwriteaccount"],
      narrowed: [],
    });
  });

  it("administrator-level grants need a reason", () => {
    const admin = [{ table: "role", operation: "write", depth: "Global", reason: "declared" }];
    expect(
      checkSecurityRole({ environmentUrl: "https://contoso.crm4.dynamics.com", roleName: "x", grants: admin })
        .failures.map((f) => f.reason)
        .join(),
    ).toMatch(/write on role is administrator-level access \(security roles/);
    expect(
      checkSecurityRole({
        environmentUrl: "https://contoso.crm4.dynamics.com",
        roleName: "x",
        grants: admin,
        administrativeReason: "vendor provisions its own roles",
      }).failures,
    ).toEqual([]);
  });
});

describe("SecurityRole", () => {
  it("resolves each operation through the table's own privileges (never a name formula) and holds exactly those", async () => {
    const { id, outs } = await provider.create!(inputs());
    const state = outs as SecurityRoleState;
    expect(heldOf(id)).toEqual([
      "prvAppendAccount:Global",
      "prvAppendToAccount:Global",
      "prvCreateAccount:Global",
      "prvCreateActivity:Global",
      "prvReadAccount:Global",
      "prvReadActivity:Global",
      "prvReadBusinessUnit:Local",
      "prvReadContact:Local",
      "prvReadNote:Basic",
      "prvReadOrder:Global",
      "prvReadOrganization:Global",
      "prvReadUser:Local",
      "prvWriteAccount:Global",
    ]);
    // phonecall and email share prvReadActivity: one privilege, the widest depth, both reasons
    expect(state.privileges.find((p) => p.name === "prvReadActivity")).toMatchObject({
      depth: "Global",
      operations: ["read phonecall", "read email"],
    });
    // the nine defaults of a new role are gone: a least-privilege role does not keep SharePoint write
    expect(heldOf(id).some((p) => NEW_ROLE_DEFAULTS.some((d) => p.startsWith(`${d.name}:`)))).toBe(false);
    const paths = emulator.log.map((r) => r.path);
    expect(paths.filter((p) => p.startsWith("/EntityDefinitions(LogicalName="))).toHaveLength(
      new Set(syncGrants.map((g) => g.table)).size,
    );
    expect(
      emulator.log
        .filter((r) => r.path.startsWith("/EntityDefinitions("))
        .every((r) => /\$select=LogicalName,Privileges/.test(r.query)),
    ).toBe(true);
    expect(paths).not.toContain("/privileges");
    // root business unit | definitions + namesakes ($batch) | POST role | ReplacePrivilegesRole | read back ($batch)
    expect(roundTrips(emulator.log)).toHaveLength(5);
    expect(state.businessUnitId).toBe(rootBu(emulator));
  });

  it("refuses depths the privilege does not allow, naming table, operation and allowed depths, and leaves no role behind", async () => {
    const before = emulator.data.roles.length;
    const bad: RoleGrant[] = [
      { table: "businessunit", operation: "read", depth: "Basic", reason: "declared" },
      { table: "product", operation: "write", depth: "Local", reason: "declared" },
      { table: "team", operation: "assign", depth: "Global", reason: "declared" },
    ];
    const err = String(await provider.create!({ ...inputs(bad), administrativeReason: "test" }).catch((e: Error) => e));
    expect(err).toMatch(
      /read on table "businessunit" \(prvReadBusinessUnit\) cannot be granted at depth Basic \(user\); allowed: Local \(businessUnit\), Deep \(parentChild\), Global \(organization\)/,
    );
    expect(err).toMatch(
      /write on table "product" \(prvWriteProduct\) cannot be granted at depth Local .*allowed: Global \(organization\)/,
    );
    expect(err).toMatch(/table "team" has no assign privilege/);
    expect(err).toMatch(/^Error: security role "[^"]+" in http:\/\/127\.0\.0\.1:\d+: /);
    expect(emulator.data.roles.length).toBe(before);
  });

  it("a table the environment does not know is named as such (here: a sandbox limit, said by the emulator)", async () => {
    const err = String(
      await provider.create!(
        inputs([{ table: "msdyn_customerasset", operation: "read", depth: "Global", reason: "declared" }]),
      ).catch((e: Error) => e),
    );
    expect(err).toMatch(/table "msdyn_customerasset" does not exist in/);
  });

  for (const refuse of [false, true]) {
    it(`refuses a role of the same name it did not create, saying how to resolve it (service ${refuse ? "refuses" : "allows"} duplicates)`, async () => {
      emulator.faults.refuseDuplicateRoleName = refuse;
      const before = emulator.data.roles.length;
      const existing = emulator.data.roles.find(
        (r) => r.name === "CRM Sync Integration" && r._businessunitid_value === rootBu(emulator),
      )!;
      const err = String(await provider.create!(inputs(syncGrants, "crm sync integration")).catch((e: Error) => e));
      expect(err).toContain(existing.roleid);
      expect(err).toMatch(/this stack did not create it.*renaming or deleting that role/);
      expect(emulator.data.roles.length).toBe(before);
    });
  }

  for (const keep of [false, true]) {
    it(`converges: ${keep ? "SharePoint privileges kept by the platform" : "the platform keeps nothing"}, and a refresh rewrites nothing`, async () => {
      emulator.faults.keepSharePointPrivileges = keep;
      const { id, outs } = await provider.create!(inputs());
      expect((outs as SecurityRoleState).platformKept.length).toBe(keep ? 4 : 0);
      for (let i = 0; i < 3; i++) {
        const read = await provider.read!(id, outs);
        expect(
          (
            await provider.diff!(
              id,
              read.props as SecurityRoleState,
              inputs(syncGrants, (outs as SecurityRoleState).roleName),
            )
          ).changes,
        ).toBe(false);
      }
    });
  }

  it("finds privileges added or widened in the portal; the next update restores exactly the declared set", async () => {
    const ins = inputs();
    const { id, outs } = await provider.create!(ins);
    const declared = heldOf(id);
    const held = emulator.data.rolePrivileges.get(id)!;
    const del = emulator.data.privileges.find((p) => p.name === "prvDeleteAccount")!;
    const readContact = emulator.data.privileges.find((p) => p.name === "prvReadContact")!;
    held.set(del.privilegeid, "Global");
    held.set(readContact.privilegeid, "Global"); // widened from Local
    const state = (await provider.read!(id, outs)).props as SecurityRoleState;
    expect(state.heldPrivileges.map((p) => `${p.name}:${p.depth}`)).toEqual(
      expect.arrayContaining(["prvDeleteAccount:Global", "prvReadContact:Global"]),
    );
    expect((await provider.diff!(id, state, ins)).changes).toBe(true);
    const { outs: updated } = await provider.update!(id, state, ins);
    expect(heldOf(id)).toEqual(declared);
    const again = await provider.read!(id, updated);
    expect((await provider.diff!(id, again.props as SecurityRoleState, ins)).changes).toBe(false);
  });

  it("changes privileges and the name in place", async () => {
    const { id, outs } = await provider.create!(inputs());
    const next = inputs(
      syncGrants.filter((g) => g.operation !== "write"),
      "CRM sync syncari (dev) v2",
    );
    expect(await provider.diff!(id, outs as SecurityRoleState, next)).toEqual({ changes: true, replaces: [] });
    await provider.update!(id, outs as SecurityRoleState, next);
    expect(heldOf(id).join()).not.toContain("prvWriteAccount");
    expect(emulator.data.roles.find((r) => r.roleid === id)!.name).toBe("CRM sync syncari (dev) v2");
  });

  it("delete takes the role and its child-unit copies from their users and deletes it; a role already gone is success", async () => {
    const { id, outs } = await provider.create!(inputs());
    const copy = emulator.data.roles.find(
      (r) => r._parentrootroleid_value === id && r._businessunitid_value === salesBu(emulator),
    )!;
    const user = addApplicationUser(emulator.data, {
      applicationid: randomUUID(),
      _businessunitid_value: rootBu(emulator),
    });
    const child = addApplicationUser(emulator.data, {
      applicationid: randomUUID(),
      _businessunitid_value: salesBu(emulator),
    });
    user.roles.add(id);
    child.roles.add(copy.roleid);
    await provider.delete!(id, outs);
    expect(user.roles.has(id)).toBe(false);
    expect(child.roles.has(copy.roleid)).toBe(false);
    expect(emulator.data.roles.some((r) => r.roleid === id || r.roleid === copy.roleid)).toBe(false);
    await expect(provider.delete!(id, outs)).resolves.toBeUndefined();
    expect(await provider.read!(id, outs)).toEqual({ id: "", props: {} });
  });
});

describe("SecurityRole and ApplicationUser in one environment", () => {
  it("one root-business-unit query however many roles and users start at once (single flight)", async () => {
    const fresh = await startEmulator();
    try {
      const factory = clientFactory(fresh, { pageSize: 5000 });
      const roles = makeSecurityRoleProvider({ clientFactory: factory, log: () => {} });
      const users = makeApplicationUserProvider({ clientFactory: factory, log: () => {} });
      await Promise.all([
        roles.create!({ environmentUrl: fresh.url, roleName: "CRM sync a", grants: syncGrants }),
        roles.create!({ environmentUrl: fresh.url, roleName: "CRM sync b", grants: syncGrants }),
        users.create!({ environmentUrl: fresh.url, applicationId: randomUUID(), securityRoles: ["Basic User"] }),
        users.create!({
          environmentUrl: fresh.url,
          applicationId: randomUUID(),
          businessUnitId: salesBu(fresh),
          securityRoles: ["Basic User"],
        }),
      ]);
      const rootQueries = fresh.log.filter(
        (r) => r.path === "/businessunits" && /_parentbusinessunitid_value eq null/.test(r.query),
      );
      expect(rootQueries).toHaveLength(1);
    } finally {
      await fresh.close();
    }
  });
});
