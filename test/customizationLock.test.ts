import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeChangeTrackingProvider } from "../components/dataverse/changeTracking";
import {
  customizationRequest,
  isCustomizationLock,
  isTransientMetadataError,
  runCustomization,
} from "../components/dataverse/http/customizationLock";
import { ChangeTrackingProgress } from "../components/dataverse/changeTrackingProgress";
import { DataverseError } from "../components/dataverse/http/errors";
import type { DataverseSettings } from "../components/dataverse/http/settings";
import { LOCK_CODE } from "../emulator/customizationLock";
import { startEmulator, type Emulator } from "../emulator/server";
import { clientFactory } from "./helpers/dataverse";

let emulator: Emulator;
const lines: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ extraTables: 60 });
});
afterAll(() => emulator.close());
afterEach(() => {
  emulator.faults.clear();
  emulator.log.length = 0;
  lines.length = 0;
});

let next = 1;
const fresh = (n: number) => Array.from({ length: n }, () => `new_table${String(next++).padStart(3, "0")}`);
const provider = (settings: Partial<DataverseSettings> = {}) =>
  makeChangeTrackingProvider({ clientFactory: clientFactory(emulator, settings, lines), log: (l) => lines.push(l) });
/** Successful and attempted PUTs per table, from the emulator's request log (parts of a $batch included). */
const putsOf = (table: string) =>
  emulator.log.filter((r) => r.method === "PUT" && r.path === `/EntityDefinitions(LogicalName='${table}')`);
const tracked = (t: string) => emulator.data.entities.get(t)!.ChangeTrackingEnabled;
const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
};

describe.each([429, 503] as const)("the customization lock answered as HTTP %i", (status) => {
  it("several ChangeTracking resources of one environment in one run: one customization operation in flight, one write per table", async () => {
    emulator.faults.lock.status = status;
    emulator.faults.metadataWriteMs = 15;
    emulator.faults.publishMs = 30;
    const groups = [fresh(4), fresh(3), fresh(5)];
    const p = provider();
    // The second and third arrive while the first wave is writing: they form the next wave, behind the same queue.
    const first = p.create!({ environmentUrl: emulator.url, entities: groups[0] });
    await until(() => emulator.log.some((r) => r.method === "PUT"));
    await Promise.all([
      first,
      p.create!({ environmentUrl: emulator.url, entities: groups[1] }),
      p.create!({ environmentUrl: emulator.url, entities: groups[2] }),
    ]);
    expect(groups.flat().every(tracked)).toBe(true);
    expect(emulator.faults.lock.maxInFlight).toBe(1);
    expect(emulator.faults.lock.refusals).toBe(0);
    expect(groups.flat().map((t) => putsOf(t).length)).toEqual(groups.flat().map(() => 1));
    expect(lines.some((l) => /^change tracking in .*: 4 of 4 tables written$/.test(l))).toBe(true);
  });

  it("another tool holds the lock: waits it out with progress lines, then writes each table once", async () => {
    emulator.faults.lock.status = status;
    const tables = fresh(6);
    const release = emulator.faults.lock.holdUntilReleased("Import");
    const run = provider().create!({ environmentUrl: emulator.url, entities: tables });
    await until(() => emulator.faults.lock.refusals >= 3);
    release();
    await run;
    expect(tables.every(tracked)).toBe(true);
    const refused = emulator.log.filter((r) => r.method === "PUT" && r.status === status);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect(tables.map((t) => putsOf(t).filter((r) => r.status === 204).length)).toEqual(tables.map(() => 1));
    expect(emulator.faults.lock.maxInFlight).toBe(1);
    expect(
      lines.some((l) =>
        /change tracking in .*: 0 of 6 tables written, waiting for another operation to finish \(\d+ m?s\)/.test(l),
      ),
    ).toBe(true);
  });

  it("a publish that meets the lock waits, then publishes once", async () => {
    emulator.faults.lock.status = status;
    const tables = fresh(2);
    const p = provider();
    await p.create!({ environmentUrl: emulator.url, entities: tables.slice(0, 1) });
    emulator.log.length = 0;
    // Hold the lock from the moment our writes are done: the publish meets it.
    emulator.faults.add({
      method: "POST",
      path: /^\/PublishXml$/,
      times: 1,
      action: {
        kind: "status",
        status,
        code: LOCK_CODE,
        message:
          "Microsoft.Crm.ObjectModel.CustomizationLockException: Cannot start the requested operation [PublishXml] because there is another [Import] running at this moment.",
      },
    });
    await p.create!({ environmentUrl: emulator.url, entities: tables.slice(1) });
    expect(emulator.log.filter((r) => r.path === "/PublishXml").map((r) => r.status)).toEqual([status, 204]);
    expect(lines.some((l) => /publishing 1 table, waiting for another operation to finish/.test(l))).toBe(true);
  });
});

describe("writes that may still be running", () => {
  it("a write that times out but succeeds server-side is read back, not sent again", async () => {
    const tables = fresh(2);
    emulator.faults.add({ method: "PUT", path: new RegExp(tables[0]), times: 1, action: { kind: "succeedSilently" } });
    await provider({ metadataTimeoutMs: 150 }).create!({ environmentUrl: emulator.url, entities: tables });
    expect(tables.every(tracked)).toBe(true);
    expect(tables.map((t) => putsOf(t).length)).toEqual([1, 1]);
    expect(putsOf(tables[0])[0].status).toBe(0); // the client gave up on it; the emulator finished it
    expect(emulator.log.some((r) => r.path === "/EntityDefinitions" && /ChangeTrackingEnabled/.test(r.query))).toBe(
      true,
    );
    expect(emulator.faults.lock.maxInFlight).toBe(1);
    expect(lines.some((l) => /a request timed out: reading back 1 table it may still be writing/.test(l))).toBe(true);
  });

  it("a batch that times out is settled table by table: each table written once", async () => {
    // The first write goes alone, the other four in one batch whose parts take 150 ms each and whose answer never
    // comes: the client times out while the parts are still running and reads them back as they finish.
    emulator.faults.slowMetadataWrites = { fromWrite: 2, ms: 150 };
    const tables = fresh(5);
    emulator.faults.add({
      method: "POST",
      path: /^\/\$batch$/,
      body: /^PUT /m,
      times: 1,
      action: { kind: "succeedSilently" },
    });
    await provider({ metadataTimeoutMs: 2_000 }).create!({ environmentUrl: emulator.url, entities: tables });
    expect(tables.every(tracked)).toBe(true);
    const batches = emulator.log.filter((r) => r.path === "/$batch" && !r.batched && r.status === 0);
    expect(batches.length).toBeGreaterThanOrEqual(1); // the write batch the client gave up on
    expect(tables.map((t) => putsOf(t).length)).toEqual(tables.map(() => 1));
    expect(emulator.faults.lock.maxInFlight).toBe(1);
  });

  it("200 tables: batches sized to fit the timeout, nothing timed out or re-sent, one publish", async () => {
    const tables = Array.from({ length: 200 }, (_, i) => `bulk_table${String(i + 1).padStart(3, "0")}`);
    const big = await startEmulator({ extraTables: 0 });
    try {
      tables.forEach((t, i) =>
        big.data.entities.set(t, {
          ...emulator.data.entities.get(`new_table${String((i % 60) + 1).padStart(3, "0")}`)!,
          LogicalName: t,
          SchemaName: t,
          ChangeTrackingEnabled: false,
        }),
      );
      big.faults.metadataWriteMs = 2;
      await makeChangeTrackingProvider({ clientFactory: clientFactory(big), log: () => {} }).create!({
        environmentUrl: big.url,
        entities: tables,
      });
      expect(tables.every((t) => big.data.entities.get(t)!.ChangeTrackingEnabled)).toBe(true);
      expect(big.log.filter((r) => r.method === "PUT").length).toBe(200);
      expect(big.log.filter((r) => r.path === "/$batch" && !r.batched && r.status === 0)).toHaveLength(0);
      expect(big.log.filter((r) => r.path === "/PublishXml")).toHaveLength(1);
      expect(big.faults.lock.maxInFlight).toBe(1);
    } finally {
      await big.close();
    }
  });
});

describe("recognising the lock and transient metadata errors", () => {
  const err = (status: number, code: string, detail: string) =>
    new DataverseError("PUT", "/EntityDefinitions(LogicalName='account')", status, code, detail);
  it("by code or message, whatever the status", () => {
    expect(isCustomizationLock(err(429, "0x80071151", "x"))).toBe(true);
    expect(
      isCustomizationLock(
        err(
          503,
          "",
          "Microsoft.Crm.ObjectModel.CustomizationLockException: Cannot start the requested operation [PublishAll] because there is another [Import] running",
        ),
      ),
    ).toBe(true);
    expect(isCustomizationLock(err(400, "-2147020463", "x"))).toBe(true);
    expect(
      isCustomizationLock(
        err(429, "0x80072322", "Number of requests exceeded the limit of 6000 over time window of 300 seconds."),
      ),
    ).toBe(false);
    expect(isCustomizationLock(err(503, "", "Service Unavailable"))).toBe(false);
    expect(
      isTransientMetadataError(err(500, "0x80040216", "Transient metadata cache error. Wait 3-5 seconds and retry.")),
    ).toBe(true);
    expect(isTransientMetadataError(err(500, "0x80040216", "An unexpected error occurred."))).toBe(false);
    expect(isTransientMetadataError(err(500, "0x80060891", "x"))).toBe(true);
  });
});

describe("the per-environment customization queue", () => {
  it("runs work of one environment one at a time, in order, and other environments beside it", async () => {
    const events: string[] = [];
    const job = (env: string, name: string) =>
      runCustomization(env, async () => {
        events.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, 10));
        events.push(`end ${name}`);
      });
    await Promise.all([
      job("https://a.crm.dynamics.com", "a1"),
      job("https://a.crm.dynamics.com/", "a2"),
      job("https://b.crm.dynamics.com", "b1"),
    ]);
    expect(events.indexOf("end a1")).toBeLessThan(events.indexOf("start a2"));
    expect(events.indexOf("start b1")).toBeLessThan(events.indexOf("end a1"));
  });

  it("a role's privilege change sent through customizationRequest queues behind change tracking (with the emulator's role-takes-the-lock switch on)", async () => {
    emulator.faults.lock.rolePrivilegesTakeLock = true;
    emulator.faults.metadataWriteMs = 20;
    const root = emulator.data.businessUnits[0].businessunitid;
    const role = emulator.data.roles.find((r) => r._businessunitid_value === root)!;
    // Any privilege at a depth its own flags allow (canbeglobal in the privileges collection's shape).
    const flag = (p: unknown) =>
      Object.entries(p as Record<string, unknown>).find(([k, v]) => /^canbeglobal$/i.test(k) && v === true);
    const privilege = emulator.data.privileges.find(flag)!;
    const client = clientFactory(emulator)(emulator.url);
    const tracking = provider().create!({ environmentUrl: emulator.url, entities: fresh(3) });
    await until(() => emulator.log.some((r) => r.method === "PUT"));
    await customizationRequest(
      client,
      "security role privileges",
      "POST",
      `/roles(${role.roleid})/Microsoft.Dynamics.CRM.ReplacePrivilegesRole`,
      { Privileges: [{ PrivilegeId: privilege.privilegeid, Depth: "Global", BusinessUnitId: root }] },
    );
    await tracking;
    expect(emulator.faults.lock.held.map((h) => h.operation)).toContain("RolePrivileges");
    expect(emulator.faults.lock.refusals).toBe(0);
    expect(emulator.faults.lock.maxInFlight).toBe(1);
  });

  it("progress lines keep a steady pace: at most one per interval, plus the first and the last", () => {
    let now = 0;
    const out: string[] = [];
    const progress = new ChangeTrackingProgress(
      (l) => out.push(l),
      "https://a.crm.dynamics.com",
      50,
      15_000,
      () => now,
    );
    progress.start();
    for (let i = 0; i < 50; i++) {
      now += 1_000;
      progress.wrote(1);
      if (i === 16) progress.waiting(80_000);
    }
    expect(out[0]).toBe("change tracking in https://a.crm.dynamics.com: 50 tables to write");
    expect(out).toContain("change tracking in https://a.crm.dynamics.com: 15 of 50 tables written");
    expect(out[out.length - 1]).toBe("change tracking in https://a.crm.dynamics.com: 50 of 50 tables written");
    expect(out.length).toBeLessThanOrEqual(2 + 50 / 15 + 1);
  });
});
