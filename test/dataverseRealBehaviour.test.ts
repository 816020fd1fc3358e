import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeApplicationUserProvider } from "../components/dataverse/applicationUser";
import type { ApplicationUserState } from "../components/dataverse/applicationUserPlan";
import { makeChangeTrackingProvider } from "../components/dataverse/changeTracking";
import { isPublishBusy, publishTables } from "../components/dataverse/changeTrackingApi";
import { looksLikeReplicationLag } from "../components/dataverse/replication";
import { DataverseError } from "../components/dataverse/http/errors";
import { startEmulator, type Emulator } from "../emulator/server";
import { addApplicationUser } from "../emulator/seed";
import { roundTrips } from "../emulator/requestLog";
import { clientFactory, roleId, rootBu, writes } from "./helpers/dataverse";

let emulator: Emulator;
const lines: string[] = [];
let users: ReturnType<typeof makeApplicationUserProvider>;
let tracking: ReturnType<typeof makeChangeTrackingProvider>;

beforeAll(async () => {
  emulator = await startEmulator({ extraTables: 12 });
  users = makeApplicationUserProvider({ clientFactory: clientFactory(emulator, {}, lines), log: (l) => lines.push(l) });
  tracking = makeChangeTrackingProvider({
    clientFactory: clientFactory(emulator, {}, lines),
    log: (l) => lines.push(l),
  });
});
afterAll(() => emulator.close());
afterEach(() => {
  emulator.faults.clear();
  emulator.log.length = 0;
  lines.length = 0;
});

const inputs = (over: Record<string, unknown> = {}) =>
  ({ environmentUrl: emulator.url, applicationId: randomUUID(), securityRoles: ["Basic User"], ...over }) as {
    environmentUrl: string;
    applicationId: string;
    securityRoles: string[];
    businessUnitId?: string;
  };
const rowsOf = (applicationId: string) =>
  [...emulator.data.users.values()].filter((u) => u.applicationid === applicationId);

describe("soft delete", () => {
  it("a user deleted in the admin center (soft-deleted) reads as gone", async () => {
    const { id, outs } = await users.create!(inputs());
    emulator.data.users.get(id)!.deletedstate = 1;
    expect(await users.read!(id, outs)).toEqual({ id: "", props: {} });
  });

  it("create purges a soft-deleted leftover of the same app and creates a new user, never adopting it", async () => {
    const applicationId = randomUUID();
    const leftover = addApplicationUser(emulator.data, {
      applicationid: applicationId,
      _businessunitid_value: rootBu(emulator),
      isdisabled: true,
      deletedstate: 1,
    });
    const { id, outs } = await users.create!(inputs({ applicationId }));
    expect(id).not.toBe(leftover.systemuserid);
    expect(emulator.data.users.has(leftover.systemuserid)).toBe(false);
    expect(rowsOf(applicationId).map((u) => [u.systemuserid, u.deletedstate])).toEqual([[id, 0]]);
    expect((outs as ApplicationUserState).adopted).toBe(false);
    expect(lines.join("\n")).toMatch(/purging soft-deleted application user/);
  });

  it("a 412 conflict on POST (a leftover the listing did not show yet) is purged and the POST sent again once", async () => {
    const applicationId = randomUUID();
    const leftover = addApplicationUser(emulator.data, {
      applicationid: applicationId,
      _businessunitid_value: rootBu(emulator),
      isdisabled: true,
      deletedstate: 1,
    });
    // The first listing answers empty, as a replica that has not seen the leftover yet would.
    emulator.faults.add({
      method: "GET",
      path: /^\/systemusers$/,
      times: 1,
      action: { kind: "respond", status: 200, body: { value: [] } },
    });
    const { id } = await users.create!(inputs({ applicationId }));
    expect(emulator.log.filter((r) => r.method === "POST" && r.path === "/systemusers").map((r) => r.status)).toEqual([
      412, 201,
    ]);
    expect(emulator.data.users.has(leftover.systemuserid)).toBe(false);
    expect(rowsOf(applicationId).map((u) => u.systemuserid)).toEqual([id]);
  });

  it("destroy ends with the row purged; a user already soft-deleted out of band is purged with one DELETE", async () => {
    const { id, outs } = await users.create!(inputs());
    emulator.data.users.get(id)!.deletedstate = 1;
    emulator.data.users.get(id)!.isdisabled = true;
    emulator.log.length = 0;
    await users.delete!(id, outs);
    expect(emulator.data.users.has(id)).toBe(false);
    expect(writes(emulator).map((r) => r.method)).toEqual(["DELETE"]);
  });

  it("destroy of a user purged out of band sends no PATCH (no accidental upsert) and succeeds", async () => {
    const { id, outs } = await users.create!(inputs());
    emulator.data.users.delete(id);
    emulator.log.length = 0;
    await expect(users.delete!(id, outs)).resolves.toBeUndefined();
    expect(writes(emulator)).toEqual([]);
    expect(emulator.log.every((r) => r.status < 500)).toBe(true);
  });

  it("the emulator answers a PATCH without If-Match on a missing row as an upsert that fails create validation, and 404 with If-Match: *", async () => {
    const client = clientFactory(emulator)(emulator.url);
    const missing = randomUUID();
    await expect(client.request("PATCH", `/systemusers(${missing})`, { isdisabled: true })).rejects.toMatchObject({
      status: 400,
      code: "0x80040216",
    });
    await expect(
      client.request("PATCH", `/systemusers(${missing})`, { isdisabled: true }, { "If-Match": "*" }),
    ).rejects.toMatchObject({ status: 404 });
  });
});

describe("every PATCH of an existing row sends If-Match: *", () => {
  it("enabling an adopted disabled user and moving it to another business unit", async () => {
    const applicationId = randomUUID();
    const existing = addApplicationUser(emulator.data, {
      applicationid: applicationId,
      _businessunitid_value: rootBu(emulator),
      isdisabled: true,
    });
    const { outs } = await users.create!({ ...inputs({ applicationId }), adoptExistingUser: true });
    const sales = emulator.data.businessUnits[1].businessunitid;
    await users.update!(existing.systemuserid, outs as ApplicationUserState, {
      ...inputs({ applicationId, businessUnitId: sales }),
      adoptExistingUser: true,
    });
    const patches = emulator.log.filter((r) => r.method === "PATCH");
    expect(patches.length).toBe(2);
    expect(patches.every((r) => r.headers.ifMatch === "*")).toBe(true);
  });
});

describe("refresh shows drift in roles", () => {
  it("a managed role removed in the portal leaves roleIds, the diff asks for an update, and the update restores it", async () => {
    const { id, outs } = await users.create!(inputs({ securityRoles: ["Basic User", "Delegate"] }));
    const delegate = roleId(emulator, "Delegate", rootBu(emulator));
    emulator.data.users.get(id)!.roles.delete(delegate);
    const read = await users.read!(id, outs);
    const state = read.props as ApplicationUserState;
    expect(state.roleIds).toEqual([roleId(emulator, "Basic User", rootBu(emulator))]);
    const diff = await users.diff!(
      id,
      state,
      inputs({ securityRoles: ["Basic User", "Delegate"], applicationId: state.applicationId }),
    );
    expect(diff.changes).toBe(true);
    const { outs: repaired } = await users.update!(id, state, {
      ...inputs({ securityRoles: ["Basic User", "Delegate"] }),
      applicationId: state.applicationId,
    });
    expect(emulator.data.users.get(id)!.roles.has(delegate)).toBe(true);
    expect((repaired as ApplicationUserState).roleIds).toHaveLength(2);
  });
});

describe("errors that are not replication lag", () => {
  it("an unknown business unit fails at once, naming it, without a POST", async () => {
    const bu = randomUUID();
    const started = Date.now();
    await expect(users.create!(inputs({ businessUnitId: bu }))).rejects.toThrow(
      new RegExp(`business unit ${bu} does not exist in ${emulator.url}`),
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(emulator.log.filter((r) => r.method === "POST")).toHaveLength(0);
  });

  it("lag detection matches only the service-principal-not-found case", () => {
    const app = randomUUID();
    const err = (status: number, code: string, detail: string) =>
      new DataverseError("POST", "/systemusers", status, code, detail);
    expect(
      looksLikeReplicationLag(
        err(400, "0x80040216", `The application with id ${app} was not found in the directory.`),
        app,
      ),
    ).toBe(true);
    expect(
      looksLikeReplicationLag(err(404, "0x80040217", `businessunit With Id = ${randomUUID()} Does Not Exist`), app),
    ).toBe(false);
    expect(looksLikeReplicationLag(err(400, "0x80040216", "An unexpected error occurred."), app)).toBe(false);
    expect(
      looksLikeReplicationLag(err(412, "0x80040237", "A record with matching key values already exists."), app),
    ).toBe(false);
    expect(looksLikeReplicationLag(err(403, "0x80040220", `no privilege for ${app}`), app)).toBe(false);
  });
});

describe("a create that fails after its POST", () => {
  it("removes the user it created, so nothing enabled and role-less is left to adopt", async () => {
    const ins = inputs();
    emulator.faults.add({
      method: "POST",
      path: /systemuserroles_association/,
      times: 1,
      action: { kind: "status", status: 400, code: "0x80060888", message: "The role assignment was refused." },
    });
    await expect(users.create!(ins)).rejects.toThrow(/The role assignment was refused/);
    expect(rowsOf(ins.applicationId)).toEqual([]);
    expect(lines.join("\n")).toMatch(/removed application user .* created by this failed create/);
  });

  it("never removes a user it adopted", async () => {
    const applicationId = randomUUID();
    const existing = addApplicationUser(emulator.data, {
      applicationid: applicationId,
      _businessunitid_value: rootBu(emulator),
    });
    emulator.faults.add({
      method: "POST",
      path: /systemuserroles_association/,
      times: 1,
      action: { kind: "status", status: 400, code: "0x80060888", message: "The role assignment was refused." },
    });
    await expect(users.create!({ ...inputs({ applicationId }), adoptExistingUser: true })).rejects.toThrow(/refused/);
    expect(emulator.data.users.get(existing.systemuserid)?.deletedstate).toBe(0);
  });
});

describe("publishing", () => {
  const table = (i: number) => `new_table${String(i).padStart(3, "0")}`;

  it("a publish that outlasts its timeout is not re-sent blindly: the state is read, then it is sent again once the running one is over", async () => {
    emulator.faults.publishMs = 700;
    const name = table(1);
    await tracking.create!({ environmentUrl: emulator.url, entities: [name] }).catch(() => undefined); // tracked and published
    emulator.data.entities.get(name)!.ChangeTrackingEnabled = true;
    emulator.data.unpublished.add(name);
    emulator.log.length = 0;
    emulator.faults.lock.held.length = 0;
    // The first publish runs its 700 ms and never answers: the caller times out whatever the machine's load.
    emulator.faults.add({ method: "POST", path: /^\/PublishXml$/, times: 1, action: { kind: "succeedSilently" } });
    const log: string[] = [];
    // A generous timeout: the first publish times out because it never answers, the second must not on a busy machine.
    await publishTables(clientFactory(emulator, { publishTimeoutMs: 5_000 })(emulator.url), [name], (l) => log.push(l));
    const calls = emulator.log
      .filter((r) => r.path === "/PublishXml" || r.path === "/EntityDefinitions")
      .map((r) => `${r.path} ${r.status}`);
    // timed out (the server still finished it later), state read, then (lock answers while it ran), then a quick 204
    expect(calls[0]).toBe("/PublishXml 0"); // the caller gave up; the emulator went on publishing
    expect(calls[1]).toBe("/EntityDefinitions 200");
    expect(calls[calls.length - 1]).toBe("/PublishXml 204");
    expect(calls.slice(2, -1).every((c) => c === "/PublishXml 429")).toBe(true);
    expect(log.join("\n")).toMatch(/timed out after 5 s, may still be running; tables read as tracked/);
    // The emulator's lock record, not the clock: the two publishes held the lock one after the other.
    expect(emulator.faults.lock.held.map((h) => h.operation)).toEqual(["PublishXml", "PublishXml"]);
    expect(emulator.faults.lock.maxConcurrentHolders()).toBe(1);
  });

  it("another operation running: waits it out, then publishes", async () => {
    const release = emulator.faults.lock.holdUntilReleased("Import");
    const log: string[] = [];
    const run = publishTables(clientFactory(emulator)(emulator.url), [table(2)], (l) => log.push(l));
    while (emulator.faults.lock.refusals < 2) await new Promise((r) => setTimeout(r, 5));
    release();
    await run;
    const answers = emulator.log.filter((r) => r.path === "/PublishXml").map((r) => r.status);
    expect(answers[0]).toBe(429);
    expect(answers[answers.length - 1]).toBe(204);
    expect(log.join("\n")).toMatch(/publishing 1 table, waiting for another operation to finish/);
  });

  it("gives up with a clear error when the lock wait runs out", async () => {
    const release = emulator.faults.lock.holdUntilReleased("Import");
    try {
      await expect(
        publishTables(clientFactory(emulator, { lockWaitMs: 100 })(emulator.url), [table(3)]),
      ).rejects.toThrow(
        /PublishXml of new_table003 in .*: another customization operation kept the environment busy .*DATAVERSE_LOCK_WAIT_MS.*Last answer: .*CustomizationLockException/,
      );
    } finally {
      release();
    }
  });

  it("ChangeTracking resources of one environment that run together share one wave: one publish for all their tables", async () => {
    emulator.faults.publishMs = 150;
    await Promise.all([
      tracking.create!({ environmentUrl: emulator.url, entities: [table(4), table(5)] }),
      tracking.create!({ environmentUrl: emulator.url, entities: [table(6), table(5)] }),
    ]);
    const publishes = emulator.log.filter((r) => r.path === "/PublishXml");
    expect(publishes).toHaveLength(1);
    expect((publishes[0].body as { ParameterXml: string }).ParameterXml).toBe(
      `<importexportxml><entities><entity>${table(4)}</entity><entity>${table(5)}</entity><entity>${table(6)}</entity></entities></importexportxml>`,
    );
    expect(emulator.log.filter((r) => r.method === "PUT")).toHaveLength(3);
  });

  it("a resource arriving while a wave publishes joins the next wave, which publishes only after", async () => {
    emulator.faults.publishMs = 200;
    const first = tracking.create!({ environmentUrl: emulator.url, entities: [table(7)] });
    await new Promise((r) => setTimeout(r, 120)); // the first wave is publishing now
    await Promise.all([first, tracking.create!({ environmentUrl: emulator.url, entities: [table(8)] })]);
    const publishes = emulator.log.filter((r) => r.path === "/PublishXml").sort((a, b) => a.startedAt - b.startedAt);
    expect(publishes.map((r) => r.status)).toEqual([204, 204]);
    expect(publishes[1].startedAt).toBeGreaterThanOrEqual(publishes[0].endedAt - 1);
  });

  it("one resource's missing table fails that resource, not the others in its wave", async () => {
    const results = await Promise.allSettled([
      tracking.create!({ environmentUrl: emulator.url, entities: [table(9)] }),
      tracking.create!({ environmentUrl: emulator.url, entities: ["nosuchtable"] }),
    ]);
    expect(results[0].status).toBe("fulfilled");
    expect(results[1]).toMatchObject({
      status: "rejected",
      reason: { message: expect.stringMatching(/no such table: nosuchtable/) },
    });
  });

  it("recognizes the 'another publish running' answer loosely (its exact wording is unconfirmed)", () => {
    expect(
      isPublishBusy(
        new DataverseError(
          "POST",
          "/PublishXml",
          400,
          "0x80071151",
          "Cannot start the requested operation [PublishXml] because there is another [PublishAll] running at this moment.",
        ),
      ),
    ).toBe(true);
    expect(
      isPublishBusy(
        new DataverseError("POST", "/PublishXml", 400, "", "Another customization operation is in progress."),
      ),
    ).toBe(true);
    expect(
      isPublishBusy(
        new DataverseError(
          "POST",
          "/PublishXml",
          400,
          "0x80040216",
          "ParameterXml is not an importexportxml document.",
        ),
      ),
    ).toBe(false);
    expect(
      isPublishBusy(
        new DataverseError(
          "POST",
          "/PublishXml",
          503,
          "0x80071151",
          "Microsoft.Crm.ObjectModel.CustomizationLockException",
        ),
      ),
    ).toBe(true);
  });
});

describe("$batch and metadata writes", () => {
  const table = (i: number) => `new_table${String(i).padStart(3, "0")}`;

  it("each PUT part refused on its own: every table still ends tracked, one extra request per refused table", async () => {
    emulator.faults.metadataInBatch = "refusedPerPart";
    const names = [table(10), table(11), table(12)];
    await tracking.create!({ environmentUrl: emulator.url, entities: names });
    expect(names.map((n) => emulator.data.entities.get(n)!.ChangeTrackingEnabled)).toEqual([true, true, true]);
    const trips = roundTrips(emulator.log).map((r) => `${r.method} ${r.path}`);
    expect(trips.filter((t) => t.startsWith("PUT"))).toHaveLength(3);
    expect(trips.filter((t) => t === "POST /$batch")).toHaveLength(2);
    expect(trips.filter((t) => t === "POST /PublishXml")).toHaveLength(1);
  });

  it("the whole batch refused: one request per table, every table tracked", async () => {
    emulator.faults.metadataInBatch = "refusedWhole";
    const names = ["opportunity", "incident"];
    await tracking.create!({ environmentUrl: emulator.url, entities: names });
    expect(names.map((n) => emulator.data.entities.get(n)!.ChangeTrackingEnabled)).toEqual([true, true]);
  });
});
