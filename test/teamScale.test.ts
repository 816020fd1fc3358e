import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBuilt } from "./helpers/dist";
import { startProviderHost, urnFor, type ProviderHost } from "../scripts/sandbox/providerHost";
import { startEmulator, type Emulator } from "../emulator/server";

const { applicationUserProvider } = loadBuilt<typeof import("../components/dataverse/applicationUser")>(
  "components/dataverse/applicationUser.js",
);
const { changeTrackingProvider } = loadBuilt<typeof import("../components/dataverse/changeTracking")>(
  "components/dataverse/changeTracking.js",
);

const TABLES = ["account", "contact", "lead", "opportunity", "incident"];
const CAP = 4;
let emulator: Emulator;
let host: ProviderHost;
let tokenFile: string;
const serialized: Record<string, string> = {};

beforeAll(async () => {
  serialized.user = (await pulumi.runtime.serializeFunction(() => applicationUserProvider)).text;
  serialized.tracking = (await pulumi.runtime.serializeFunction(() => changeTrackingProvider)).text;
  emulator = await startEmulator();
  tokenFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "crm-sync-token-")), "token");
  fs.writeFileSync(tokenFile, emulator.token);
  host = await startProviderHost({
    DATAVERSE_TOKEN_FILE: tokenFile,
    DATAVERSE_MAX_CONCURRENCY: String(CAP),
    DATAVERSE_RETRY_BASE_MS: "20",
    DATAVERSE_PAGE_SIZE: "5000",
  });
}, 60_000);
afterAll(async () => {
  await host?.close();
  await emulator?.close();
  fs.rmSync(path.dirname(tokenFile), { recursive: true, force: true });
});

describe("team scale: 20 application users and 20 ChangeTracking resources in one environment, all at once through the host", () => {
  it("one token fetch, one PUT per table, at most one PublishXml per wave, shared lookups, the concurrency cap held", async () => {
    emulator.faults.latencyMs = 20;
    const create = async (type: string, name: string, props: Record<string, unknown>) => {
      const urn = urnFor(type, name);
      const { inputs } = await host.check(urn, {}, props);
      return host.create(urn, inputs);
    };
    const results = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) =>
        create("pulumi-nodejs:dynamic/dataverse:ApplicationUser", `user-${i}`, {
          __provider: serialized.user,
          environmentUrl: emulator.url,
          applicationId: randomUUID(),
          securityRoles: ["Basic User"],
        }),
      ),
      ...Array.from({ length: 20 }, (_, i) =>
        create("pulumi-nodejs:dynamic/dataverse:ChangeTracking", `tables-${i}`, {
          __provider: serialized.tracking,
          environmentUrl: emulator.url,
          entities: TABLES,
        }),
      ),
    ]);
    expect(results).toHaveLength(40);
    expect(TABLES.every((t) => emulator.data.entities.get(t)!.ChangeTrackingEnabled)).toBe(true);

    const log = await host.waitForStderr(/token for/);
    expect(log.match(/token for .*: fetching/g)).toHaveLength(1);
    const puts = emulator.log.filter((r) => r.method === "PUT");
    expect(puts.map((r) => r.path).sort()).toEqual(TABLES.map((t) => `/EntityDefinitions(LogicalName='${t}')`).sort());
    const waves = Math.max(1, (log.match(/resources in one wave/g) ?? []).length);
    expect(emulator.data.publishes).toBeLessThanOrEqual(waves);
    expect(emulator.data.publishes).toBe(1);
    expect(emulator.log.filter((r) => r.path === "/businessunits")).toHaveLength(1);
    expect(emulator.log.filter((r) => r.path === "/roles")).toHaveLength(1);
    expect(emulator.maxInFlight()).toBeLessThanOrEqual(CAP);
  }, 60_000);
});
