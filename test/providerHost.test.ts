import { randomUUID } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBuilt } from "./helpers/dist";
import { DIFF_NONE, DIFF_SOME, startProviderHost, urnFor, type ProviderHost } from "../scripts/sandbox/providerHost";
import { startEmulator, type Emulator } from "../emulator/server";
import { roleId, rootBu } from "./helpers/dataverse";
import { addApplicationUser } from "../emulator/seed";
import type * as AppUserModule from "../components/dataverse/applicationUser";
import type * as ChangeTrackingModule from "../components/dataverse/changeTracking";

const { applicationUserProvider } = loadBuilt<typeof AppUserModule>("components/dataverse/applicationUser.js");
const { changeTrackingProvider } = loadBuilt<typeof ChangeTrackingModule>("components/dataverse/changeTracking.js");
const { securityRoleProvider } = loadBuilt<typeof import("../components/dataverse/securityRole")>(
  "components/dataverse/securityRole.js",
);

const TOKEN_MARKER = "tok-MARKER-7f3e9a";
let emulator: Emulator;
let host: ProviderHost;
const serialized: Record<string, string> = {};

beforeAll(async () => {
  // A token in the deploying process's environment must never be captured into the serialized provider (state).
  process.env.DATAVERSE_ACCESS_TOKEN = TOKEN_MARKER;
  serialized.user = (await pulumi.runtime.serializeFunction(() => applicationUserProvider)).text;
  serialized.tracking = (await pulumi.runtime.serializeFunction(() => changeTrackingProvider)).text;
  serialized.role = (await pulumi.runtime.serializeFunction(() => securityRoleProvider)).text;
  delete process.env.DATAVERSE_ACCESS_TOKEN;
  emulator = await startEmulator({ token: TOKEN_MARKER });
  host = await startProviderHost({
    DATAVERSE_ACCESS_TOKEN: TOKEN_MARKER,
    DATAVERSE_RETRY_BASE_MS: "20",
    // Wide enough that two creates the host receives together meet in one wave on a loaded machine.
    DATAVERSE_WAVE_GATHER_MS: "1000",
    DATAVERSE_REPLICATION_WAIT_MS: "20000",
    DATAVERSE_PAGE_SIZE: "2",
  });
}, 60_000);
afterAll(async () => {
  await host?.close();
  await emulator?.close();
});

const USER_URN = urnFor("pulumi-nodejs:dynamic/dataverse:ApplicationUser", "crm-user");
const TRACKING_URN = urnFor("pulumi-nodejs:dynamic/dataverse:ChangeTracking", "crm-tables");

describe("providers through the SDK's dynamic-provider host (as the Pulumi CLI runs them)", () => {
  it("serializes providers without capturing the token", () => {
    for (const text of Object.values(serialized)) expect(text).not.toContain(TOKEN_MARKER);
  });

  it("serializes each provider as a small stub that loads the installed implementation (state stays small)", () => {
    for (const text of Object.values(serialized)) {
      expect(text).toContain("crm-sync-infra/dataverse-providers");
      expect(text.length).toBeLessThan(4096);
      expect(text).not.toContain("axios");
    }
  });

  it("runs the ApplicationUser lifecycle: check, create, read, diff, update, delete", async () => {
    const applicationId = randomUUID();
    const news = {
      __provider: serialized.user,
      environmentUrl: `${emulator.url}/`,
      applicationId: applicationId.toUpperCase(),
      securityRoles: ["Basic User"],
    };
    const checked = await host.check(USER_URN, {}, news);
    expect(checked.failures).toEqual([]);
    expect(checked.inputs).toMatchObject({ environmentUrl: emulator.url, applicationId });

    emulator.faults.replicationLag(applicationId, 1500);
    emulator.faults.add({
      method: "POST",
      path: /systemuserroles_association/,
      times: 1,
      action: { kind: "status", status: 429, retryAfterSeconds: 1 },
    });
    const created = await host.create(USER_URN, checked.inputs);
    expect(created.props).toMatchObject({ systemUserId: created.id, businessUnitId: rootBu(emulator), adopted: false });
    expect(emulator.data.users.get(created.id)?.applicationid).toBe(applicationId);

    const read = await host.read(USER_URN, created.id, created.props);
    expect(read.id).toBe(created.id);
    const same = await host.diff(USER_URN, created.id, read.props, checked.inputs);
    expect(same.changes).toBe(DIFF_NONE);

    const news2 = (
      await host.check(USER_URN, checked.inputs, { ...news, securityRoles: ["Basic User", "System Customizer"] })
    ).inputs;
    const diff = await host.diff(USER_URN, created.id, read.props, news2);
    expect(diff).toEqual({ changes: DIFF_SOME, replaces: [] });
    const updated = await host.update(USER_URN, created.id, read.props, news2);
    expect((updated.roleIds as string[]).length).toBe(2);
    expect(emulator.data.users.get(created.id)!.roles.size).toBe(2);

    const replace = await host.diff(USER_URN, created.id, updated, { ...news2, applicationId: randomUUID() });
    expect(replace.replaces).toEqual(["applicationId"]);

    await host.delete(USER_URN, created.id, updated);
    expect(emulator.data.users.has(created.id)).toBe(false);
    await host.delete(USER_URN, created.id, updated); // already gone: still success
  });

  it("checks a preview whose application id is not known yet without failures", async () => {
    const { createRequire } = await import("node:module");
    const { unknownValue } = createRequire(__filename)("@pulumi/pulumi/runtime/rpc");
    const { failures, inputs } = await host.check(
      USER_URN,
      {},
      {
        __provider: serialized.user,
        environmentUrl: emulator.url,
        applicationId: unknownValue,
        securityRoles: ["Basic User"],
      },
    );
    expect(failures).toEqual([]);
    expect(inputs.applicationId).toBe(unknownValue);
  });

  it("returns field-named failures from check", async () => {
    const { failures } = await host.check(
      USER_URN,
      {},
      {
        __provider: serialized.user,
        environmentUrl: "http://crm.example.com",
        applicationId: "x",
        securityRoles: [""],
      },
    );
    expect(failures.map((f) => f.property)).toEqual(["environmentUrl", "applicationId", "securityRoles[0]"]);
  });

  it("runs the ChangeTracking lifecycle with zero writes on a no-op run", async () => {
    const inputs = (
      await host.check(
        TRACKING_URN,
        {},
        { __provider: serialized.tracking, environmentUrl: emulator.url, entities: ["account", "contact"] },
      )
    ).inputs;
    const created = await host.create(TRACKING_URN, inputs);
    expect(created.props.enabledEntities).toEqual(["account", "contact"]);
    expect(emulator.data.entities.get("account")!.ChangeTrackingEnabled).toBe(true);
    const before = emulator.log.length;
    const read = await host.read(TRACKING_URN, created.id, created.props);
    expect((await host.diff(TRACKING_URN, created.id, read.props, inputs)).changes).toBe(DIFF_NONE);
    expect(emulator.log.slice(before).every((r) => r.method === "GET")).toBe(true);
    await host.delete(TRACKING_URN, created.id, read.props);
    expect(emulator.data.entities.get("account")!.ChangeTrackingEnabled).toBe(true);
    expect(await host.waitForStderr(/cannot turn change tracking off/)).toMatch(/cannot turn change tracking off/);
  });

  it("surfaces Dataverse errors through gRPC without the token", async () => {
    const inputs = (
      await host.check(
        TRACKING_URN,
        {},
        { __provider: serialized.tracking, environmentUrl: emulator.url, entities: ["nosuchtable"] },
      )
    ).inputs;
    const err = await host.create(TRACKING_URN, inputs).catch((e: Error) => e);
    expect(String((err as Error).message)).toMatch(/no such table: nosuchtable/);
    expect(String((err as Error).message) + host.stderr()).not.toContain(TOKEN_MARKER);
  });

  it("as the real service behaves: purges a soft-deleted leftover, reads drift and soft deletes, and destroys for good", async () => {
    const applicationId = randomUUID();
    const leftover = addApplicationUser(emulator.data, {
      applicationid: applicationId,
      _businessunitid_value: rootBu(emulator),
      isdisabled: true,
      deletedstate: 1,
    });
    const inputs = (
      await host.check(
        USER_URN,
        {},
        {
          __provider: serialized.user,
          environmentUrl: emulator.url,
          applicationId,
          securityRoles: ["Basic User", "Delegate"],
        },
      )
    ).inputs;
    const created = await host.create(USER_URN, inputs);
    expect(created.id).not.toBe(leftover.systemuserid);
    expect(emulator.data.users.has(leftover.systemuserid)).toBe(false);

    emulator.data.users.get(created.id)!.roles.delete(roleId(emulator, "Delegate", rootBu(emulator)));
    const drifted = await host.read(USER_URN, created.id, created.props);
    expect(drifted.props.roleIds as string[]).toHaveLength(1);
    expect((await host.diff(USER_URN, created.id, drifted.props, inputs)).changes).toBe(DIFF_SOME);

    await host.delete(USER_URN, created.id, drifted.props);
    expect(emulator.data.users.has(created.id)).toBe(false);

    const again = await host.create(USER_URN, inputs);
    emulator.data.users.get(again.id)!.deletedstate = 1; // deleted in the admin center
    expect((await host.read(USER_URN, again.id, again.props)).id).toBe("");
  });

  it("ChangeTracking resources of one environment in one provider process coalesce into one wave and one publish", async () => {
    emulator.faults.publishMs = 200;
    const check = async (entities: string[]) =>
      (await host.check(TRACKING_URN, {}, { __provider: serialized.tracking, environmentUrl: emulator.url, entities }))
        .inputs;
    const before = emulator.log.length;
    await Promise.all([
      host.create(TRACKING_URN, await check(["lead"])),
      host.create(TRACKING_URN, await check(["opportunity", "incident"])),
    ]);
    const publishes = emulator.log.slice(before).filter((r) => r.path === "/PublishXml");
    expect(publishes.map((r) => r.status)).toEqual([204]);
    expect(emulator.log.slice(before).filter((r) => r.method === "PUT")).toHaveLength(3);
    emulator.faults.publishMs = 0;
  });

  it("names an unknown business unit at once, and removes a user whose create failed after the POST", async () => {
    const bu = randomUUID();
    const bad = (
      await host.check(
        USER_URN,
        {},
        {
          __provider: serialized.user,
          environmentUrl: emulator.url,
          applicationId: randomUUID(),
          businessUnitId: bu,
          securityRoles: ["Basic User"],
        },
      )
    ).inputs;
    await expect(host.create(USER_URN, bad)).rejects.toThrow(new RegExp(`business unit ${bu} does not exist`));

    const applicationId = randomUUID();
    const inputs = (
      await host.check(
        USER_URN,
        {},
        { __provider: serialized.user, environmentUrl: emulator.url, applicationId, securityRoles: ["Basic User"] },
      )
    ).inputs;
    emulator.faults.add({
      method: "POST",
      path: /systemuserroles_association/,
      times: 1,
      action: { kind: "status", status: 400, code: "0x80060888", message: "refused" },
    });
    await expect(host.create(USER_URN, inputs)).rejects.toThrow(/refused/);
    expect([...emulator.data.users.values()].filter((u) => u.applicationid === applicationId)).toEqual([]);
  });

  it("runs the SecurityRole lifecycle: create, drift found by read, repair, update, delete", async () => {
    const ROLE_URN = urnFor("pulumi-nodejs:dynamic/dataverse:SecurityRole", "crm-role");
    const declared = [
      { table: "systemuser", operation: "read", depth: "narrowest", reason: "base" },
      { table: "account", operation: "read", depth: "Global", reason: "declared" },
      { table: "phonecall", operation: "write", depth: "Local", reason: "declared" },
    ];
    const inputs = (
      await host.check(
        ROLE_URN,
        {},
        {
          __provider: serialized.role,
          environmentUrl: emulator.url,
          roleName: "CRM sync crm (test)",
          grants: declared,
        },
      )
    ).inputs;
    const created = await host.create(ROLE_URN, inputs);
    const held = () =>
      [...emulator.data.rolePrivileges.get(created.id)!]
        .map(([id, d]) => `${emulator.data.privileges.find((p) => p.privilegeid === id)!.name}:${d}`)
        .sort();
    expect(held()).toEqual(["prvReadAccount:Global", "prvReadUser:Local", "prvWriteActivity:Local"]);

    // In the portal: a privilege added and one widened.
    const set = emulator.data.rolePrivileges.get(created.id)!;
    set.set(emulator.data.privileges.find((p) => p.name === "prvDeleteAccount")!.privilegeid, "Global");
    set.set(emulator.data.privileges.find((p) => p.name === "prvWriteActivity")!.privilegeid, "Global");
    const read = await host.read(ROLE_URN, created.id, created.props);
    expect((await host.diff(ROLE_URN, created.id, read.props, inputs)).changes).toBe(DIFF_SOME);
    const repaired = await host.update(ROLE_URN, created.id, read.props, inputs);
    expect(held()).toEqual(["prvReadAccount:Global", "prvReadUser:Local", "prvWriteActivity:Local"]);
    const clean = await host.read(ROLE_URN, created.id, repaired);
    expect((await host.diff(ROLE_URN, created.id, clean.props, inputs)).changes).toBe(DIFF_NONE);

    const narrower = (
      await host.check(ROLE_URN, inputs, { ...inputs, __provider: serialized.role, grants: declared.slice(0, 2) })
    ).inputs;
    await host.update(ROLE_URN, created.id, clean.props, narrower);
    expect(held()).toEqual(["prvReadAccount:Global", "prvReadUser:Local"]);

    const user = addApplicationUser(emulator.data, {
      applicationid: randomUUID(),
      _businessunitid_value: rootBu(emulator),
    });
    user.roles.add(created.id);
    await host.delete(ROLE_URN, created.id, clean.props);
    expect(emulator.data.roles.some((r) => r.roleid === created.id)).toBe(false);
    expect(user.roles.has(created.id)).toBe(false);
  });

  it("parallel lookups failing together: each call fails with its resource and environment named, no gRPC prefix, and the host lives on", async () => {
    // Every GET fails at once for a while: the business-unit, user and role lookups a create starts side by side.
    emulator.faults.add({
      method: "GET",
      times: 40,
      action: { kind: "status", status: 400, code: "0x80040203", message: "Injected lookup failure." },
    });
    emulator.faults.add({
      method: "POST",
      path: /\$batch/,
      times: 40,
      action: { kind: "status", status: 400, code: "0x80040203", message: "Injected lookup failure." },
    });
    const ROLE_URN = urnFor("pulumi-nodejs:dynamic/dataverse:SecurityRole", "crm-role-fail");
    const roleInputs = (
      await host.check(
        ROLE_URN,
        {},
        {
          __provider: serialized.role,
          environmentUrl: emulator.url,
          roleName: "CRM sync failing",
          grants: [{ table: "account", operation: "read", depth: "Global", reason: "declared" }],
        },
      )
    ).inputs;
    const users = await Promise.all(
      [0, 1, 2].map(
        async () =>
          (
            await host.check(
              USER_URN,
              {},
              {
                __provider: serialized.user,
                environmentUrl: emulator.url,
                applicationId: randomUUID(),
                securityRoles: ["Basic User", "No Such Role"],
              },
            )
          ).inputs,
      ),
    );
    const results = await Promise.all([
      host.create(ROLE_URN, roleInputs).catch((e: Error) => e),
      ...users.map((u) => host.create(USER_URN, u).catch((e: Error) => e)),
    ]);
    emulator.faults.clear();
    for (const r of results) {
      expect(r).toBeInstanceOf(Error);
      expect(String(r)).not.toMatch(/\d+ UNKNOWN:/);
      expect(String(r)).toContain(emulator.url);
    }
    expect(String(results[0])).toMatch(/security role "CRM sync failing" in /);
    expect(String(results[1])).toMatch(/application user of app [0-9a-f-]{36} in /);
    // The host started with --unhandled-rejections=strict: an unhandled rejection would have ended it.
    expect(host.process.exitCode).toBeNull();
    const again = await host.create(USER_URN, users[0]).catch((e: Error) => e);
    expect(String(again)).toMatch(/No Such Role/);
    expect(host.stderr()).not.toMatch(/Unhandled|unhandled/);
  });
});
