// The three Dataverse resources through the real Pulumi engine: preview, up, up again, refresh after drift,
// preview --diff, the policy pack, destroy; the state file checked at each stage.
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../emulator/server";
import { isWrite } from "../../emulator/requestLog";
import { createWorkspace, engineInfo, ofType, type Workspace } from "./engine";

const { binDir, skipReason } = engineInfo();
if (skipReason) console.log(skipReason);

const VENDOR_SECRET = `vendor-secret-${randomUUID()}`;
const POLICY_PACK = path.resolve(__dirname, "../../policy");
const writes = (emulator: Emulator) => emulator.log.filter(isWrite);

describe.skipIf(!binDir)("the Dataverse resources through the real pulumi CLI", () => {
  let emulator: Emulator;
  let ws: Workspace;
  const applicationId = randomUUID();

  beforeAll(async () => {
    emulator = await startEmulator({ token: `engine-token-${randomUUID()}` });
    ws = await createWorkspace(binDir!, { DATAVERSE_ACCESS_TOKEN: emulator.token, DATAVERSE_RETRY_BASE_MS: "20" });
    await ws.setConfig({ environmentUrl: emulator.url, applicationId });
    await ws.setConfig({ vendorSecret: VENDOR_SECRET }, true);
  });
  afterAll(async () => {
    ws?.dispose();
    await emulator?.close();
  });

  it("preview plans three creates and writes nothing at the emulator", async () => {
    emulator.log.length = 0;
    // Type-checked by the language host's own TypeScript loader (ts-node with the project's typescript).
    const out = await ws.ok(["preview"], { PULUMI_NODEJS_TRANSPILE_ONLY: "false" });
    expect(out).toMatch(/\+ 4 to create/); // the stack and the three resources
    for (const type of ["ApplicationUser", "SecurityRole", "ChangeTracking"])
      expect(out).toContain(`pulumi-nodejs:dynamic/dataverse:${type}`);
    expect(writes(emulator)).toEqual([]);
  });

  it("up creates the role, the application user holding it and change tracking at the emulator", async () => {
    emulator.log.length = 0;
    const out = await ws.ok(["up", "--yes"]);
    expect(out).toMatch(/4 created/);
    const users = [...emulator.data.users.values()].filter(
      (u) => u.applicationid === applicationId && u.deletedstate === 0,
    );
    expect(users).toHaveLength(1);
    const role = emulator.data.roles.find((r) => r.name === "CRM sync engine test")!;
    expect(role).toBeDefined();
    expect(users[0].roles.has(role.roleid)).toBe(true);
    expect(emulator.data.entities.get("account")!.ChangeTrackingEnabled).toBe(true);
    expect(emulator.data.entities.get("contact")!.ChangeTrackingEnabled).toBe(true);
    expect(writes(emulator).length).toBeGreaterThan(0);
    expect(out).not.toContain(VENDOR_SECRET);
  });

  it("a second up changes nothing and sends no write to the emulator", async () => {
    emulator.log.length = 0;
    const out = await ws.ok(["up", "--yes"]);
    expect(out).toMatch(/4 unchanged/);
    expect(out).not.toMatch(/to update|to create|to delete|to replace/);
    expect(writes(emulator)).toEqual([]);
  });

  it("the state holds no token and no plaintext secret, the secret encrypted, and small serialized providers", async () => {
    const { text, deployment } = await ws.exportState();
    expect(text).not.toContain(emulator.token);
    expect(text).not.toContain(VENDOR_SECRET);
    expect(deployment.deployment.secrets_providers?.type).toBe("passphrase");
    const stack = deployment.deployment.resources!.find((r) => r.type === "pulumi:pulumi:Stack")!;
    // The engine's secret envelope (sig 1b47061264138c4ac30d75fd1eb44270) with ciphertext only.
    expect(stack.outputs!.vendorSecret).toMatchObject({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      ciphertext: expect.any(String),
    });
    for (const type of ["ApplicationUser", "SecurityRole", "ChangeTracking"]) {
      const [resource] = ofType(deployment, type);
      expect(resource, type).toBeDefined();
      const provider = String(resource.inputs!.__provider);
      expect(provider).toContain("crm-sync-infra/dataverse-providers");
      expect(provider.length).toBeLessThan(4096);
      expect(JSON.stringify(resource).length).toBeLessThan(16_384);
    }
    expect(ofType(deployment, "ApplicationUser")[0].id).toBe(stack.outputs!.applicationUserId);
  });

  it("refresh takes in out-of-band drift, and preview --diff shows the auditor the repair, secrets masked", async () => {
    const { deployment } = await ws.exportState();
    const userId = ofType(deployment, "ApplicationUser")[0].id!;
    const role = emulator.data.roles.find((r) => r.name === "CRM sync engine test")!;
    // Someone removes the generated role from the application user in the Power Platform admin center.
    emulator.data.users.get(userId)!.roles.delete(role.roleid);

    emulator.log.length = 0;
    const refreshed = await ws.ok(["refresh", "--yes"]);
    expect(refreshed).toMatch(/1 updated/);
    expect(writes(emulator)).toEqual([]);
    const after = ofType((await ws.exportState()).deployment, "ApplicationUser")[0];
    expect(after.outputs!.assignedRoleIds).not.toContain(role.roleid);

    const diff = await ws.ok(["preview", "--diff"]);
    expect(diff).toMatch(/~ pulumi-nodejs:dynamic\/dataverse:ApplicationUser: \(update\)/);
    expect(diff).toMatch(/\[urn=urn:pulumi:[^\]]*::engine-app-user\]/);
    expect(diff).toMatch(/~ 1 to update/);
    // The auditor reads the user's id and its declared roles, the generated role by its id.
    expect(diff).toContain(`[id=${userId}]`);
    expect(diff).toMatch(new RegExp(`securityRoles : \\[\\s+\\[0\\]: "Basic User"\\s+\\[1\\]: "${role.roleid}"`));
    expect(diff).not.toContain(VENDOR_SECRET);
    expect(diff).not.toContain(emulator.token);
    expect(writes(emulator)).toEqual([]);

    const repaired = await ws.ok(["up", "--yes"]);
    expect(repaired).toMatch(/1 updated/);
    expect(emulator.data.users.get(userId)!.roles.has(role.roleid)).toBe(true);
    expect(writes(emulator).map((w) => `${w.method} ${w.path}`)).toEqual([
      `POST /systemusers(${userId})/systemuserroles_association/$ref`,
    ]);
  });

  it("the policy pack runs through pulumi preview --policy-pack and stops a role with organization-wide delete", async () => {
    const clean = await ws.ok(["preview", "--policy-pack", POLICY_PACK]);
    expect(clean).toMatch(/Policies:/);
    expect(clean).toMatch(/crm-sync@v?0\.1\.0/);

    await ws.setConfig({
      extraGrants: JSON.stringify([{ table: "account", operation: "delete", depth: "Global", reason: "declared" }]),
    });
    emulator.log.length = 0;
    const violating = await ws.pulumi(["preview", "--policy-pack", POLICY_PACK]);
    await ws.ok(["config", "rm", "extraGrants", "--stack", ws.stack]);
    const text = violating.stdout + violating.stderr;
    expect(violating.code).not.toBe(0);
    expect(text).toContain("crm-sync-dataverse-privilege-depth");
    expect(text).toMatch(/delete on account \([^)]*\) at organization depth exceeds the allowed businessUnit/);
    expect(writes(emulator)).toEqual([]);
  });

  it("destroy removes all three from the emulator and empties the state", async () => {
    const { deployment } = await ws.exportState();
    const userId = ofType(deployment, "ApplicationUser")[0].id!;
    const roleId = ofType(deployment, "SecurityRole")[0].id!;
    const out = await ws.ok(["destroy", "--yes"]);
    expect(out).toMatch(/4 deleted/);
    expect(emulator.data.users.has(userId)).toBe(false);
    expect(emulator.data.roles.some((r) => r.roleid === roleId)).toBe(false);
    const resources = (await ws.exportState()).deployment.deployment.resources ?? [];
    expect(resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))).toEqual([]);
  });
});
