// Adoption and upgrades through the real engine: renamed resources kept through aliases (and what happens
// without them), an application user kept on destroy with retainOnDelete, and the `import` option.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../emulator/server";
import { addApplicationUser } from "../../emulator/seed";
import { isWrite } from "../../emulator/requestLog";
import { createWorkspace, engineInfo, ofType, type Workspace } from "./engine";

const { binDir, skipReason } = engineInfo();
if (skipReason) console.log(skipReason);

const writes = (emulator: Emulator) => emulator.log.filter(isWrite);

describe.skipIf(!binDir)("adoption and upgrades through the real pulumi CLI", () => {
  let emulator: Emulator;
  const workspaces: Workspace[] = [];
  const workspace = async (config: Record<string, string>) => {
    const ws = await createWorkspace(binDir!, { DATAVERSE_ACCESS_TOKEN: emulator.token, DATAVERSE_RETRY_BASE_MS: "20" });
    workspaces.push(ws);
    await ws.setConfig({ environmentUrl: emulator.url, applicationId: randomUUID(), roleName: `CRM sync ${ws.stack}`, ...config });
    await ws.setConfig({ vendorSecret: `vendor-secret-${randomUUID()}` }, true);
    return ws;
  };

  beforeAll(async () => {
    emulator = await startEmulator({ token: `engine-token-${randomUUID()}` });
  });
  afterAll(async () => {
    for (const ws of workspaces) ws.dispose();
    await emulator?.close();
  });

  it("a release that renames its resources keeps them through aliases: no delete, no create, no write", async () => {
    const ws = await workspace({});
    await ws.ok(["up", "--yes", "--skip-preview"]);
    const before = (await ws.exportState()).deployment;
    const ids = ["ApplicationUser", "SecurityRole", "ChangeTracking"].map((t) => ofType(before, t)[0].id);

    // Without aliases the renamed program would replace every resource: the engine plans deletes of the old names.
    await ws.setConfig({ renamed: "true", dropAliases: "true" });
    const unsafe = await ws.ok(["preview"]);
    expect(unsafe).toMatch(/- 3 to delete/);
    expect(unsafe).toMatch(/\+ 3 to create/);

    await ws.ok(["config", "rm", "dropAliases", "--stack", ws.stack]);
    emulator.log.length = 0;
    const preview = await ws.ok(["preview"]);
    expect(preview).not.toMatch(/to delete|to create|to replace/);
    const out = await ws.ok(["up", "--yes"]);
    expect(out).toMatch(/4 unchanged/);
    expect(writes(emulator)).toEqual([]);
    const after = (await ws.exportState()).deployment;
    expect(["ApplicationUser", "SecurityRole", "ChangeTracking"].map((t) => ofType(after, t)[0].id)).toEqual(ids);
    expect(ofType(after, "ApplicationUser")[0].urn).toMatch(/::engine-sync-app-user$/);
    await ws.ok(["destroy", "--yes"]);
  });

  it("retainOnDelete keeps the application user in Dataverse when the stack is destroyed", async () => {
    const ws = await workspace({ retainUser: "true" });
    await ws.ok(["up", "--yes", "--skip-preview"]);
    const state = (await ws.exportState()).deployment;
    const [user] = ofType(state, "ApplicationUser");
    expect(user.retainOnDelete).toBe(true);
    const roleId = ofType(state, "SecurityRole")[0].id!;

    emulator.log.length = 0;
    await ws.ok(["destroy", "--yes"]);
    expect(emulator.data.users.get(user.id!)).toMatchObject({ deletedstate: 0 });
    expect(writes(emulator).some((w) => w.path.includes(user.id!))).toBe(false);
    // The role it held is not retained, so it is deleted (the user keeps working with its other roles).
    expect(emulator.data.roles.some((r) => r.roleid === roleId)).toBe(false);
  });

  it("the import option adopts an existing application user into the stack without writing it", async () => {
    const applicationId = randomUUID();
    const root = emulator.data.businessUnits[0].businessunitid;
    const basicUser = emulator.data.roles.find((r) => r.name === "Basic User" && r._businessunitid_value === root)!.roleid;
    const existing = addApplicationUser(emulator.data, { applicationid: applicationId, _businessunitid_value: root, roles: new Set([basicUser]) });
    // Import requires the program's inputs to match what exists: the user's one role, nothing to change.
    const ws = await workspace({ applicationId, importUserId: existing.systemuserid, userRoles: JSON.stringify(["Basic User"]) });
    const result = await ws.pulumi(["up", "--yes", "--skip-preview"]);
    const text = result.stdout + result.stderr;
    expect(text, text).toMatch(/imported/);
    expect(result.code, text).toBe(0);
    const [user] = ofType((await ws.exportState()).deployment, "ApplicationUser");
    expect(user.id).toBe(existing.systemuserid);
  });
});
