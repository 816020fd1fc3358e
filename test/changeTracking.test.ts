import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeChangeTrackingProvider } from "../components/dataverse/changeTracking";
import { publishXml } from "../components/dataverse/changeTrackingApi";
import type { ChangeTrackingState } from "../components/dataverse/changeTrackingPlan";
import { startEmulator, type Emulator } from "../emulator/server";
import { clientFactory, writes } from "./helpers/dataverse";
import { countStages, roundTrips } from "../emulator/requestLog";

let emulator: Emulator;
const lines: string[] = [];
let provider: ReturnType<typeof makeChangeTrackingProvider>;

beforeAll(async () => {
  emulator = await startEmulator({ extraTables: 6 });
  provider = makeChangeTrackingProvider({
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

const tracked = (name: string) => emulator.data.entities.get(name)!.ChangeTrackingEnabled;

describe("ChangeTracking", () => {
  it("enables tables with one GET of each full definition, a PUT per table still off, and ONE PublishXml", async () => {
    const entities = ["new_table001", "new_table002", "new_table003", "annotation"];
    expect(tracked("annotation")).toBe(true);
    const { outs } = await provider.create!({ environmentUrl: emulator.url, entities });
    expect(["new_table001", "new_table002", "new_table003"].map(tracked)).toEqual([true, true, true]);
    const reads = emulator.log.filter((r) => r.method === "GET" && r.batched);
    expect(reads.map((r) => `${r.path}?${r.query}`)).toEqual(
      entities.map((n) => `/EntityDefinitions(LogicalName='${n}')?`),
    );
    expect(emulator.log.filter((r) => r.path === "/EntityDefinitions")).toHaveLength(0);
    const puts = emulator.log.filter((r) => r.method === "PUT");
    expect(puts.map((r) => r.path).sort()).toEqual(
      ["new_table001", "new_table002", "new_table003"].map((n) => `/EntityDefinitions(LogicalName='${n}')`),
    );
    expect(
      puts.every(
        (r) => r.headers.mergeLabels === "true" && (r.body as Record<string, unknown>).ChangeTrackingEnabled === true,
      ),
    ).toBe(true);
    expect(puts.every((r) => "DisplayName" in (r.body as object) && "SchemaName" in (r.body as object))).toBe(true);
    const publishes = emulator.log.filter((r) => r.path === "/PublishXml");
    expect(publishes).toHaveLength(1);
    expect((publishes[0].body as { ParameterXml: string }).ParameterXml).toBe(
      publishXml(["new_table001", "new_table002", "new_table003"]),
    );
    expect(outs).toMatchObject({ enabledEntities: entities, retainedEntities: [] });
  });

  it("sends a batch part that failed transiently again on its own, and names the table of a part that failed for good", async () => {
    emulator.faults.add({ method: "PUT", path: /new_table006/, times: 1, action: { kind: "status", status: 503 } });
    // The first table goes alone (its time sizes the batches), the other two in one batch.
    await provider.create!({ environmentUrl: emulator.url, entities: ["incident", "new_table006", "opportunity"] });
    expect(tracked("new_table006")).toBe(true);
    expect(
      emulator.log
        .filter((r) => r.method === "PUT" && r.path.includes("new_table006"))
        .map((r) => [r.status, !!r.batched]),
    ).toEqual([
      [503, true],
      [204, false],
    ]);
    emulator.data.entities.get("incident")!.ChangeTrackingEnabled = false;
    // Refused in the batch and again on its own: a real failure, named with its table.
    emulator.faults.add({
      method: "PUT",
      path: /incident/,
      times: 2,
      action: { kind: "status", status: 400, code: "0x80048d19", message: "The entity cannot be updated." },
    });
    await expect(provider.create!({ environmentUrl: emulator.url, entities: ["incident"] })).rejects.toThrow(
      "Dataverse PUT /EntityDefinitions(LogicalName='incident') failed: HTTP 400 0x80048d19: The entity cannot be updated. (table incident)",
    );
  });

  it("falls back to one request per table when the service refuses the $batch as a whole", async () => {
    emulator.faults.add({
      method: "POST",
      path: /^\/\$batch$/,
      times: 2,
      action: {
        kind: "status",
        status: 400,
        code: "0x80048d19",
        message: "Metadata operations are not supported in a batch.",
      },
    });
    await provider.create!({ environmentUrl: emulator.url, entities: ["new_table001", "lead"] });
    expect(tracked("lead")).toBe(true);
    expect(emulator.log.filter((r) => r.method === "PUT" && !r.batched).map((r) => r.path)).toEqual(
      expect.arrayContaining(["/EntityDefinitions(LogicalName='lead')"]),
    );
  });

  it("makes zero writes when every table is already enabled", async () => {
    await provider.create!({ environmentUrl: emulator.url, entities: ["annotation", "new_table001"] });
    expect(writes(emulator)).toEqual([]);
  });

  it("names every missing and ineligible table in one error, before writing anything", async () => {
    await expect(
      provider.create!({
        environmentUrl: emulator.url,
        entities: ["account", "nosuchtable", "activitypointer", "new_nope"],
      }),
    ).rejects.toThrow(
      "change tracking: no such table: nosuchtable, new_nope; change tracking cannot be enabled on: activitypointer",
    );
    expect(writes(emulator)).toEqual([]);
    expect(tracked("account")).toBe(false);
  });

  it("reads the real state and re-enables a table reverted out of band", async () => {
    const { id, outs } = await provider.create!({
      environmentUrl: emulator.url,
      entities: ["new_table004", "new_table005"],
    });
    emulator.data.entities.get("new_table005")!.ChangeTrackingEnabled = false;
    const read = await provider.read!(id, outs as ChangeTrackingState);
    expect((read.props as ChangeTrackingState).enabledEntities).toEqual(["new_table004"]);
    const news = { environmentUrl: emulator.url, entities: ["new_table004", "new_table005"] };
    expect((await provider.diff!(id, read.props as ChangeTrackingState, news)).changes).toBe(true);
    emulator.log.length = 0;
    await provider.update!(id, read.props as ChangeTrackingState, news);
    expect(tracked("new_table005")).toBe(true);
    expect(writes(emulator).map((r) => `${r.method} ${r.path}`)).toEqual([
      "PUT /EntityDefinitions(LogicalName='new_table005')",
      "POST /PublishXml",
    ]);
    expect(roundTrips(emulator.log).filter((r) => r.method !== "GET")).toHaveLength(3); // two batches, one publish
  });

  it("treats removal from the list as a no-op with a warning, and records what stays tracked", async () => {
    const { id, outs } = await provider.create!({ environmentUrl: emulator.url, entities: ["lead", "contact"] });
    const news = { environmentUrl: emulator.url, entities: ["lead"] };
    expect((await provider.diff!(id, outs as ChangeTrackingState, news)).changes).toBe(true);
    emulator.log.length = 0;
    const { outs: after } = await provider.update!(id, outs as ChangeTrackingState, news);
    expect(writes(emulator)).toEqual([]);
    expect(tracked("contact")).toBe(true);
    expect(after).toMatchObject({ entities: ["lead"], retainedEntities: ["contact"] });
    expect(lines.join("\n")).toMatch(/contact left the list but stay change-tracked/);
    expect((await provider.diff!(id, after as ChangeTrackingState, news)).changes).toBe(false);
  });

  it("delete changes nothing in Dataverse and warns", async () => {
    const { id, outs } = await provider.create!({ environmentUrl: emulator.url, entities: ["opportunity"] });
    emulator.log.length = 0;
    await provider.delete!(id, outs as ChangeTrackingState);
    expect(emulator.log).toEqual([]);
    expect(tracked("opportunity")).toBe(true);
    expect(lines.join("\n")).toMatch(/cannot turn change tracking off/);
  });

  it("needs 4 sequential stages for 30 quick tables: reads spread over the cap, one write alone to measure, one write batch sized by it, one publish", async () => {
    const wide = await startEmulator({ extraTables: 30, pageSize: 5000 });
    try {
      wide.faults.latencyMs = 80; // well above the per-request CPU cost on a 2-core machine, so stages are not blurred
      // A metadata timeout of 60 s leaves room for far more than 29 writes of ~80 ms each in one batch.
      const p = makeChangeTrackingProvider({
        clientFactory: clientFactory(wide, { pageSize: 5000, maxConcurrency: 2, metadataTimeoutMs: 60_000 }),
        log: () => {},
      });
      await p.create!({
        environmentUrl: wide.url,
        entities: Array.from({ length: 30 }, (_, i) => `new_table${String(i + 1).padStart(3, "0")}`),
      });
      expect(roundTrips(wide.log).map((r) => `${r.method} ${r.path}`)).toEqual([
        "POST /$batch",
        "POST /$batch",
        "PUT /EntityDefinitions(LogicalName='new_table001')",
        "POST /$batch",
        "POST /PublishXml",
      ]);
      const [reads1, reads2] = roundTrips(wide.log);
      expect(reads2.startedAt).toBeLessThan(reads1.endedAt); // the two read batches (15 parts each, cap 2) ran together
      expect(wide.log.filter((r) => r.batched && r.method === "GET")).toHaveLength(30);
      expect(wide.log.filter((r) => r.batched && r.method === "PUT")).toHaveLength(29);
      expect(countStages(wide.log)).toBe(4);
    } finally {
      await wide.close();
    }
  });

  it("rejects bad input at check, naming the field", async () => {
    const check = (news: Record<string, unknown>) => provider.check!({}, news);
    expect((await check({ environmentUrl: emulator.url, entities: [] })).failures).toEqual([
      { property: "entities", reason: expect.stringMatching(/at least one table/) },
    ]);
    expect((await check({ environmentUrl: emulator.url, entities: ["Account"] })).failures).toEqual([
      { property: "entities[0]", reason: expect.stringMatching(/logical name/) },
    ]);
    expect((await check({ environmentUrl: emulator.url, entities: ["lead", "lead"] })).failures).toEqual([
      { property: "entities[1]", reason: expect.stringMatching(/duplicate/) },
    ]);
    expect((await check({ environmentUrl: "ftp://x", entities: ["lead"] })).failures).toEqual([
      { property: "environmentUrl", reason: expect.stringMatching(/https/) },
    ]);
  });
});
