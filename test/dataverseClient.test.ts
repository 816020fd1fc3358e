import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DataverseClient } from "../components/dataverse/http/client";
import { isTransient, parseRetryAfterMs, retryDelayMs } from "../components/dataverse/http/retryPolicy";
import { settingsFromEnv } from "../components/dataverse/http/settings";
import { defaultTokenSource } from "../components/dataverse/http/token";
import { DataverseError } from "../components/dataverse/http/errors";
import { startEmulator, type Emulator } from "../emulator/server";
import { TEST_SETTINGS } from "./helpers/dataverse";

let emulator: Emulator;
const lines: string[] = [];
const client = (settings = {}) =>
  new DataverseClient(emulator.url, {
    tokenSource: async () => emulator.token,
    settings: { ...TEST_SETTINGS, ...settings },
    log: (l) => lines.push(l),
  });

beforeAll(async () => {
  emulator = await startEmulator({ extraTables: 7 });
});
afterAll(() => emulator.close());
afterEach(() => {
  emulator.faults.clear();
  emulator.log.length = 0;
  lines.length = 0;
});

describe("Dataverse client", () => {
  it("spreads a batch over at most maxConcurrency batches of at least 5 parts, answering in order; a short list stays one batch", async () => {
    const names = [
      "account",
      "contact",
      "lead",
      "opportunity",
      "incident",
      "annotation",
      ...Array.from({ length: 7 }, (_, i) => `new_table${String(i + 1).padStart(3, "0")}`),
    ];
    const ops = names.map((n) => ({
      method: "GET" as const,
      path: `/EntityDefinitions(LogicalName='${n}')?$select=LogicalName`,
    }));
    const parts = await client({ maxConcurrency: 4 }).batch(ops, { spread: true });
    expect(parts.map((p) => (p.body as { LogicalName: string }).LogicalName)).toEqual(names);
    const batches = emulator.log.filter((r) => r.path === "/$batch" && !r.batched);
    expect(batches).toHaveLength(3); // 13 parts, cap 4: ceil(13 / 4) = 4 is under 5, so batches of 5, 5, 3
    emulator.log.length = 0;
    await client({ maxConcurrency: 4 }).batch(ops.slice(0, 5), { spread: true });
    expect(emulator.log.filter((r) => r.path === "/$batch" && !r.batched)).toHaveLength(1);
  });

  it("sends OData headers and the bearer token, and follows nextLink to the end", async () => {
    const rows = await client().getAll<{ LogicalName: string }>("/EntityDefinitions?$select=LogicalName");
    expect(rows).toHaveLength(emulator.data.entities.size);
    expect(emulator.log).toHaveLength(Math.ceil(emulator.data.entities.size / 2)); // page size 2
    expect(emulator.log.every((r) => r.headers.prefer === "odata.maxpagesize=2")).toBe(true);
  });

  it("turns failures into DataverseError with status, code, method and path, and no token", async () => {
    const err = await client()
      .get("/systemusers(00000000-0000-0000-0000-000000000001)")
      .catch((e) => e);
    expect(err).toBeInstanceOf(DataverseError);
    expect(err).toMatchObject({
      status: 404,
      code: "0x80040217",
      method: "GET",
      path: "/systemusers(00000000-0000-0000-0000-000000000001)",
    });
    expect(JSON.stringify(err) + err.message + err.stack).not.toContain(emulator.token);
  });

  it("rejects a wrong token with 401 and does not retry it", async () => {
    const bad = new DataverseClient(emulator.url, {
      tokenSource: async () => "wrong",
      settings: TEST_SETTINGS,
      log: () => {},
    });
    await expect(bad.get("/WhoAmI")).rejects.toMatchObject({ status: 401, attempts: 1 });
    expect(emulator.log).toHaveLength(1);
  });

  it("waits Retry-After on 429, then succeeds", async () => {
    emulator.faults.add({
      path: /^\/WhoAmI$/,
      times: 1,
      action: {
        kind: "status",
        status: 429,
        retryAfterSeconds: 1,
        code: "0x80072322",
        message: "Number of requests exceeded the limit of 6000 over time window of 300 seconds.",
      },
    });
    const started = Date.now();
    const who = await client().get<{ UserId: string }>("/WhoAmI");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(who.UserId).toBe(emulator.data.adminUserId);
    expect(emulator.log.map((r) => r.status)).toEqual([429, 200]);
    expect(lines.join("\n")).toMatch(/HTTP 429.*retry 1 of 4 in 1000 ms/);
  });

  it("recovers from a 5xx burst and a dropped connection", async () => {
    emulator.faults.add({ path: /^\/WhoAmI$/, times: 2, action: { kind: "status", status: 503 } });
    emulator.faults.add({ path: /^\/WhoAmI$/, times: 1, action: { kind: "drop" } });
    await expect(client().get("/WhoAmI")).resolves.toMatchObject({ UserId: emulator.data.adminUserId });
    expect(emulator.log.map((r) => r.status)).toEqual([503, 503, 0, 200]);
  });

  it("times out a slow answer and retries it", async () => {
    // The first answer comes far past the deadline, the retry's at once: a busy machine meets a 2 s deadline.
    emulator.faults.add({ path: /^\/WhoAmI$/, times: 1, action: { kind: "delay", ms: 20_000 } });
    await expect(client({ requestTimeoutMs: 2_000 }).get("/WhoAmI")).resolves.toMatchObject({
      UserId: emulator.data.adminUserId,
    });
    expect(lines.join("\n")).toMatch(/timeout/);
  });

  it("gives up at the attempt bound with an error naming the operation and last status", async () => {
    emulator.faults.add({
      path: /^\/WhoAmI$/,
      times: 99,
      action: { kind: "status", status: 500, code: "0x80040216", message: "An unexpected error occurred." },
    });
    await expect(client({ maxAttempts: 3 }).get("/WhoAmI")).rejects.toThrow(
      "Dataverse GET /WhoAmI failed after 3 attempts: HTTP 500 0x80040216: An unexpected error occurred.",
    );
    expect(emulator.log).toHaveLength(3);
  });

  it("gives up when Retry-After would overrun the retry budget", async () => {
    emulator.faults.add({
      path: /^\/WhoAmI$/,
      times: 1,
      action: { kind: "status", status: 429, retryAfterSeconds: 60 },
    });
    await expect(client({ retryBudgetMs: 5_000 }).get("/WhoAmI")).rejects.toMatchObject({ status: 429 });
    expect(emulator.log).toHaveLength(1);
  });

  it("never has more requests in flight than the cap", async () => {
    emulator.faults.latencyMs = 30;
    const c = client({ maxConcurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, () => c.get("/WhoAmI")));
    expect(emulator.maxInFlight()).toBeLessThanOrEqual(3);
    expect(emulator.log).toHaveLength(12);
  });

  it("refuses to follow a link to another host", () => {
    expect(() => client().relativePath("https://elsewhere.example.com/api/data/v9.2/roles")).toThrow(/refusing/);
  });
});

describe("retry policy", () => {
  it("reads Retry-After as seconds or a date", () => {
    expect(parseRetryAfterMs("7")).toBe(7000);
    expect(parseRetryAfterMs(new Date(Date.now() + 5000).toUTCString(), Date.now())).toBeGreaterThan(3000);
    expect(parseRetryAfterMs(undefined)).toBeUndefined();
  });

  it("retries only transient failures", () => {
    const err = (status?: number) => new DataverseError("GET", "/x", status, "", "m");
    expect([429, 500, 502, 503, undefined].map((s) => isTransient(err(s)))).toEqual([true, true, true, true, true]);
    expect([400, 401, 403, 404, 412, 501].map((s) => isTransient(err(s)))).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(isTransient(new Error("plain"))).toBe(false);
  });

  it("backs off exponentially with jitter, and honours Retry-After", () => {
    expect(retryDelayMs(1, 100, undefined, () => 0)).toBe(50);
    expect(retryDelayMs(3, 100, undefined, () => 1)).toBe(400);
    expect(retryDelayMs(3, 100, 2500, () => 1)).toBe(2500);
  });
});

describe("settings and token", () => {
  it("reads limits from the environment and names a bad variable", () => {
    expect(settingsFromEnv({ DATAVERSE_MAX_CONCURRENCY: "12" }).maxConcurrency).toBe(12);
    expect(settingsFromEnv({}).retryBudgetMs).toBe(120_000);
    expect(() => settingsFromEnv({ DATAVERSE_MAX_CONCURRENCY: "60" })).toThrow(/DATAVERSE_MAX_CONCURRENCY/);
    expect(() => settingsFromEnv({ DATAVERSE_MAX_ATTEMPTS: "many" })).toThrow(/DATAVERSE_MAX_ATTEMPTS/);
  });

  it("uses DATAVERSE_ACCESS_TOKEN when set", async () => {
    await expect(defaultTokenSource("https://x.crm.dynamics.com", { DATAVERSE_ACCESS_TOKEN: "abc" })()).resolves.toBe(
      "abc",
    );
  });
});
