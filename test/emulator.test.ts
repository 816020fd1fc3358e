import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataverseClient } from "../components/dataverse/http/client";
import { startEmulator, type Emulator } from "../emulator/server";
import { countStages, type LoggedRequest } from "../emulator/requestLog";
import { parseFilter, matches } from "../emulator/odataFilter";
import { TEST_SETTINGS, roleId, rootBu, salesBu } from "./helpers/dataverse";

let emulator: Emulator;
let client: DataverseClient;
beforeAll(async () => {
  emulator = await startEmulator();
  client = new DataverseClient(emulator.url, {
    tokenSource: async () => emulator.token,
    settings: { ...TEST_SETTINGS, maxAttempts: 1 },
    log: () => {},
  });
});
afterAll(() => emulator.close());

async function newUser(bu = rootBu(emulator)): Promise<string> {
  const res = await client.request("POST", "/systemusers", {
    applicationid: randomUUID(),
    "businessunitid@odata.bind": `/businessunits(${bu})`,
  });
  expect(res.status).toBe(204);
  return /\(([0-9a-f-]{36})\)$/.exec(res.headers["odata-entityid"])![1];
}

async function rawBatch(parts: string[], prefer?: string): Promise<{ statuses: number[]; elapsedMs: number }> {
  const boundary = "batch_test";
  const body =
    parts
      .map(
        (p) =>
          `--${boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nGET ${client.apiRoot}${p} HTTP/1.1\r\nAccept: application/json\r\n\r\n`,
      )
      .join("\r\n") + `\r\n--${boundary}--\r\n`;
  const started = Date.now();
  const res = await fetch(`${client.apiRoot}/$batch`, {
    method: "POST",
    body,
    headers: {
      Authorization: `Bearer ${emulator.token}`,
      "Content-Type": `multipart/mixed; boundary=${boundary}`,
      ...(prefer ? { Prefer: prefer } : {}),
    },
  });
  const text = await res.text();
  return {
    statuses: [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1])),
    elapsedMs: Date.now() - started,
  };
}

describe("Dataverse Web API emulator", () => {
  it("stops a $batch at the first failed part unless odata.continue-on-error is preferred, like Dataverse", async () => {
    const parts = [
      "/EntityDefinitions(LogicalName='account')",
      "/EntityDefinitions(LogicalName='no_such_table')",
      "/EntityDefinitions(LogicalName='contact')",
    ];
    expect((await rawBatch(parts)).statuses).toEqual([200, 404]);
    expect((await rawBatch(parts, "odata.continue-on-error")).statuses).toEqual([200, 404, 200]);
  });

  it("charges its per-operation server cost once per $batch part, one part after the other", async () => {
    emulator.faults.operationCostMs = 40;
    try {
      const { statuses, elapsedMs } = await rawBatch(Array(5).fill("/EntityDefinitions(LogicalName='account')"));
      expect(statuses).toHaveLength(5);
      expect(elapsedMs).toBeGreaterThanOrEqual(5 * 40);
    } finally {
      emulator.faults.operationCostMs = 0;
    }
  });

  it("rejects a duplicate role association and a role from another business unit, like Dataverse", async () => {
    const id = await newUser();
    const ref = (role: string) => ({ "@odata.id": `${client.apiRoot}/roles(${role})` });
    await client.request(
      "POST",
      `/systemusers(${id})/systemuserroles_association/$ref`,
      ref(roleId(emulator, "Basic User", rootBu(emulator))),
    );
    await expect(
      client.request(
        "POST",
        `/systemusers(${id})/systemuserroles_association/$ref`,
        ref(roleId(emulator, "Basic User", rootBu(emulator))),
      ),
    ).rejects.toMatchObject({ status: 400, code: "0x80040237" });
    await expect(
      client.request(
        "POST",
        `/systemusers(${id})/systemuserroles_association/$ref`,
        ref(roleId(emulator, "Basic User", salesBu(emulator))),
      ),
    ).rejects.toMatchObject({ status: 400, code: "0x80060888" });
  });

  it("deletes only disabled users", async () => {
    const id = await newUser();
    await expect(client.request("DELETE", `/systemusers(${id})`)).rejects.toMatchObject({ status: 400 });
    await client.request("PATCH", `/systemusers(${id})`, { isdisabled: true });
    await expect(client.request("DELETE", `/systemusers(${id})`)).resolves.toMatchObject({ status: 204 });
  });

  it("refuses PATCH on metadata and a PUT without the full definition", async () => {
    await expect(
      client.request("PATCH", "/EntityDefinitions(LogicalName='account')", { ChangeTrackingEnabled: true }),
    ).rejects.toMatchObject({ status: 405 });
    await expect(
      client.request("PUT", "/EntityDefinitions(LogicalName='account')", {
        LogicalName: "account",
        ChangeTrackingEnabled: true,
      }),
    ).rejects.toThrow(/requires the full definition; missing: .*MetadataId/);
  });

  it("requires the application's service principal to have replicated", async () => {
    const applicationId = randomUUID();
    emulator.faults.replicationLag(applicationId, 60_000);
    await expect(
      client.request("POST", "/systemusers", {
        applicationid: applicationId,
        "businessunitid@odata.bind": `/businessunits(${rootBu(emulator)})`,
      }),
    ).rejects.toThrow(new RegExp(`application with id ${applicationId} was not found`));
  });

  it("answers WhoAmI for the caller, admin or application user", async () => {
    const applicationId = randomUUID();
    const appClient = new DataverseClient(emulator.url, {
      tokenSource: async () => emulator.tokenForApplication(applicationId),
      settings: { ...TEST_SETTINGS, maxAttempts: 1 },
      log: () => {},
    });
    await expect(appClient.get("/WhoAmI")).rejects.toMatchObject({ status: 403 });
    await expect(client.get("/WhoAmI")).resolves.toMatchObject({
      UserId: emulator.data.adminUserId,
      BusinessUnitId: rootBu(emulator),
    });
  });
});

describe("emulator helpers", () => {
  it("evaluates the OData filters the client sends", () => {
    const bu = "0F8FAD5B-D9CB-469F-A165-70867728950E";
    const row = { name: "O'Brien Role", _businessunitid_value: bu, CanChangeTrackingBeEnabled: { Value: false } };
    expect(
      matches(
        parseFilter(`_businessunitid_value eq ${bu.toLowerCase()} and (name eq 'O''Brien Role' or name eq 'x')`),
        row,
      ),
    ).toBe(true);
    expect(matches(parseFilter("CanChangeTrackingBeEnabled/Value eq true"), row)).toBe(false);
    expect(matches(parseFilter("_parentbusinessunitid_value eq null"), row)).toBe(true);
    expect(() => parseFilter("name gt 'a'")).toThrow(/unsupported operator/);
  });

  it("counts sequential stages from overlapping requests", () => {
    const r = (startedAt: number, endedAt: number) => ({ startedAt, endedAt }) as LoggedRequest;
    expect(countStages([r(0, 10), r(1, 11), r(12, 20), r(21, 30), r(22, 29)])).toBe(3);
    // a request that waited for a slot behind a long one is still one more step
    expect(countStages([r(0, 10), r(0, 30), r(11, 20), r(21, 25)])).toBe(3);
    expect(countStages([])).toBe(0);
  });
});
