import { randomUUID } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadBuilt } from "./helpers/dist";
import { DIFF_NONE, DIFF_SOME, startProviderHost, urnFor, type ProviderHost } from "../scripts/sandbox/providerHost";
import { startEmulator, type Emulator } from "../emulator/server";
import { roleId, rootBu } from "./helpers/dataverse";
import type * as AppUserModule from "../components/dataverse/applicationUser";
import type * as ChangeTrackingModule from "../components/dataverse/changeTracking";

const { applicationUserProvider } = loadBuilt<typeof AppUserModule>("components/dataverse/applicationUser.js");
const { changeTrackingProvider } = loadBuilt<typeof ChangeTrackingModule>("components/dataverse/changeTracking.js");
const USER = urnFor("pulumi-nodejs:dynamic/dataverse:ApplicationUser", "crm-user");
const TABLES = urnFor("pulumi-nodejs:dynamic/dataverse:ChangeTracking", "crm-tables");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let emulator: Emulator;
let providers: { user: string; tables: string };
const hosts: ProviderHost[] = [];
const hostEnv = (emu: Emulator, extra: Record<string, string> = {}) => ({
  DATAVERSE_ACCESS_TOKEN: emu.token,
  DATAVERSE_RETRY_BASE_MS: "20",
  DATAVERSE_REQUEST_TIMEOUT_MS: "400",
  DATAVERSE_MAX_ATTEMPTS: "6",
  DATAVERSE_RETRY_BUDGET_MS: "8000",
  DATAVERSE_REPLICATION_WAIT_MS: "10000",
  DATAVERSE_MAX_CONCURRENCY: "4",
  ...extra,
});
async function host(emu = emulator, extra: Record<string, string> = {}): Promise<ProviderHost> {
  const h = await startProviderHost(hostEnv(emu, extra));
  hosts.push(h);
  return h;
}

beforeAll(async () => {
  providers = {
    user: (await pulumi.runtime.serializeFunction(() => applicationUserProvider)).text,
    tables: (await pulumi.runtime.serializeFunction(() => changeTrackingProvider)).text,
  };
  emulator = await startEmulator();
}, 60_000);
afterEach(() => emulator.faults.clear());
afterAll(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  await emulator.close();
});

const userInputs = (applicationId: string, roles: string[]) => ({
  __provider: providers.user,
  environmentUrl: emulator.url,
  applicationId,
  securityRoles: roles,
});
const usersOf = (emu: Emulator, applicationId: string) =>
  [...emu.data.users.values()].filter((u) => u.applicationid === applicationId);
const roleNames = (emu: Emulator, roles: Set<string>) =>
  emu.data.roles
    .filter((r) => roles.has(r.roleid))
    .map((r) => r.name)
    .sort();

describe("fault suite, through the dynamic-provider host", () => {
  it("creates through 429 with Retry-After, a 5xx burst, a dropped connection, a slow answer and replication lag", async () => {
    const h = await host();
    const applicationId = randomUUID();
    emulator.faults.replicationLag(applicationId, 1500);
    emulator.faults
      .add({
        method: "GET",
        path: /^\/businessunits$/,
        times: 1,
        action: { kind: "status", status: 429, retryAfterSeconds: 1, code: "0x80072322" },
      })
      .add({ method: "POST", path: /^\/systemusers$/, times: 3, action: { kind: "status", status: 503 } })
      .add({ method: "POST", path: /systemuserroles_association/, times: 1, action: { kind: "drop" } })
      .add({ method: "GET", path: /^\/roles$/, times: 1, action: { kind: "delay", ms: 1000 } });
    const { inputs } = await h.check(
      USER,
      {},
      userInputs(applicationId, ["Basic User", "Support User", "CRM Sync Integration"]),
    );
    const created = await h.create(USER, inputs);
    const users = usersOf(emulator, applicationId);
    expect(users).toHaveLength(1);
    expect(users[0].systemuserid).toBe(created.id);
    expect(roleNames(emulator, users[0].roles)).toEqual(["Basic User", "CRM Sync Integration", "Support User"]);
    const bu = emulator.log.filter((r) => r.path === "/businessunits");
    expect(bu[0].status).toBe(429);
    expect(bu[1].startedAt - bu[0].endedAt).toBeGreaterThanOrEqual(1000);
    expect(await h.waitForStderr(/retry 1 of 5/)).toMatch(/retry 1 of 5/);
  });

  it("a create whose answer never arrives still ends with exactly one application user", async () => {
    const h = await host();
    const applicationId = randomUUID();
    emulator.faults.add({ method: "POST", path: /^\/systemusers$/, times: 1, action: { kind: "delay", ms: 900 } });
    const { inputs } = await h.check(USER, {}, userInputs(applicationId, ["Basic User"]));
    await h.create(USER, inputs);
    await sleep(1000); // let the timed-out POST land on the server too
    expect(usersOf(emulator, applicationId)).toHaveLength(1);
    expect(roleNames(emulator, usersOf(emulator, applicationId)[0].roles)).toEqual(["Basic User"]);
  });

  it("a provider process killed in the middle of create: the rerun refuses the unknown user until adoption is declared, then converges on one user with exactly the desired roles", async () => {
    const first = await host();
    const applicationId = randomUUID();
    emulator.faults.add({
      method: "POST",
      path: /systemuserroles_association/,
      times: 99,
      action: { kind: "delay", ms: 1500 },
    });
    const { inputs } = await first.check(USER, {}, userInputs(applicationId, ["Basic User", "System Customizer"]));
    const pending = first.create(USER, inputs).catch((e: Error) => e);
    for (let i = 0; i < 100 && usersOf(emulator, applicationId).length === 0; i++) await sleep(20);
    expect(usersOf(emulator, applicationId)).toHaveLength(1);
    first.process.kill("SIGKILL");
    expect(await pending).toBeInstanceOf(Error);
    emulator.faults.clear();
    const second = await host();
    // State never heard of that user: it may be the interrupted run's, or someone's made by hand. Never taken silently.
    const refused = await second.create(USER, inputs).catch((e: Error) => e);
    expect(String(refused)).toMatch(/this stack did not create it.*interrupted.*adoptExistingUser: true/);
    expect(String(refused)).not.toMatch(/\d+ UNKNOWN:/);
    const adopting = (
      await second.check(
        USER,
        {},
        { ...userInputs(applicationId, ["Basic User", "System Customizer"]), adoptExistingUser: true },
      )
    ).inputs;
    const rerun = await second.create(USER, adopting);
    expect(rerun.props.adopted).toBe(true);
    await sleep(1600); // the killed process's role requests still reach the server
    const users = usersOf(emulator, applicationId);
    expect(users).toHaveLength(1);
    expect(roleNames(emulator, users[0].roles)).toEqual(["Basic User", "System Customizer"]);
  });

  it("detects out-of-band drift on read and restores it on update", async () => {
    const h = await host();
    const applicationId = randomUUID();
    const { inputs } = await h.check(USER, {}, userInputs(applicationId, ["Basic User", "Support User"]));
    const created = await h.create(USER, inputs);
    const user = emulator.data.users.get(created.id)!;
    user.isdisabled = true;
    user.roles.delete(roleId(emulator, "Support User", rootBu(emulator)));
    const tableInputs = (
      await h.check(
        TABLES,
        {},
        { __provider: providers.tables, environmentUrl: emulator.url, entities: ["lead", "incident"] },
      )
    ).inputs;
    const tables = await h.create(TABLES, tableInputs);
    emulator.data.entities.get("incident")!.ChangeTrackingEnabled = false;

    for (const [urn, id, props, ins] of [
      [USER, created.id, created.props, inputs],
      [TABLES, tables.id, tables.props, tableInputs],
    ] as const) {
      const read = await h.read(urn, id, props);
      expect((await h.diff(urn, id, read.props, ins)).changes).toBe(DIFF_SOME);
      const updated = await h.update(urn, id, read.props, ins);
      const again = await h.read(urn, id, updated);
      expect((await h.diff(urn, id, again.props, ins)).changes).toBe(DIFF_NONE);
    }
    expect(user.isdisabled).toBe(false);
    expect(roleNames(emulator, user.roles)).toEqual(["Basic User", "Support User"]);
    expect(emulator.data.entities.get("incident")!.ChangeTrackingEnabled).toBe(true);
  });

  it("never has more requests in flight than the cap", async () => {
    const fresh = await startEmulator();
    try {
      fresh.faults.latencyMs = 25;
      const h = await host(fresh, { DATAVERSE_MAX_CONCURRENCY: "2" });
      const roles = ["Basic User", "Support User", "Delegate", "System Customizer", "CRM Sync Integration"];
      const { inputs } = await h.check(
        USER,
        {},
        { __provider: providers.user, environmentUrl: fresh.url, applicationId: randomUUID(), securityRoles: roles },
      );
      await h.create(USER, inputs);
      expect(fresh.log.filter((r) => r.path.endsWith("/$ref"))).toHaveLength(5);
      expect(fresh.maxInFlight()).toBe(2);
    } finally {
      await fresh.close();
    }
  });

  it("gives up at the bound with an error naming the operation and the last status", async () => {
    const h = await host();
    emulator.faults.add({
      method: "POST",
      path: /^\/PublishXml$/,
      times: 99,
      action: { kind: "status", status: 503, message: "Service Unavailable" },
    });
    const { inputs } = await h.check(
      TABLES,
      {},
      { __provider: providers.tables, environmentUrl: emulator.url, entities: ["opportunity"] },
    );
    const started = Date.now();
    const err = await h.create(TABLES, inputs).catch((e: Error) => e);
    expect(String((err as Error).message)).toMatch(
      /Dataverse POST \/PublishXml failed after 6 attempts: HTTP 503: Service Unavailable/,
    );
    expect(Date.now() - started).toBeLessThan(8000);
  });
});
