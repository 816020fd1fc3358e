import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataverseClient } from "../components/dataverse/http/client";
import {
  businessUnits,
  findRoles,
  findUserByApplicationId,
  getUser,
  isLive,
  usersByApplicationId,
} from "../components/dataverse/applicationUserApi";
import { resolveRoles } from "../components/dataverse/applicationUserPlan";
import { parseBatchResponse } from "../components/dataverse/http/batch";
import { trackingStates } from "../components/dataverse/changeTrackingApi";
import { startEmulator, type Emulator } from "../emulator/server";
import { entityDefinition } from "../emulator/seed";
import { TEST_SETTINGS } from "./helpers/dataverse";

/**
 * Every response recorded from real Dataverse environments (emulator/recorded, provenance in its README) goes
 * through the client's parsers, and the emulator answers in the same shapes.
 */
const FIXTURES = path.resolve(__dirname, "../emulator/recorded");
const tf = (name: string) => JSON.parse(readFileSync(path.join(FIXTURES, "tf-power-platform", name), "utf8"));
const docs = (name: string) => readFileSync(path.join(FIXTURES, "powerapps-docs", name), "utf8");

describe("recorded Dataverse responses through the client", () => {
  let server: Server;
  let url = "";
  const routes = new Map<string, unknown>();
  const client = () =>
    new DataverseClient(url, { tokenSource: async () => "t", settings: TEST_SETTINGS, log: () => undefined });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const p = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace("/api/data/v9.2", "");
      const body = routes.get(p);
      res.writeHead(body === undefined ? 404 : 200, {
        "Content-Type": "application/json; odata.metadata=minimal",
        "OData-Version": "4.0",
      });
      res.end(JSON.stringify(body ?? { error: { code: "0x80040217", message: `no fixture for ${p}` } }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("WhoAmI", async () => {
    routes.set("/WhoAmI", tf("whoami.json"));
    const who = await client().get<{ UserId: string; BusinessUnitId: string; OrganizationId: string }>("/WhoAmI");
    expect(who).toMatchObject({
      UserId: "00000000-0000-0000-0000-000000000002",
      BusinessUnitId: "00000000-0000-0000-0000-000000000003",
    });
  });

  it("systemusers collection and a systemuser with its roles expanded (deletedstate read)", async () => {
    const collection = tf("systemusers_collection.json");
    const user = tf("systemuser_by_id_expand_roles.json");
    routes.set("/systemusers", collection);
    routes.set(`/systemusers(${user.systemuserid})`, user);
    const rows = await usersByApplicationId(client(), "00000000-0000-0000-0000-0000000000aa");
    expect(rows).toHaveLength(collection.value.length);
    expect(rows.every((r) => typeof r.deletedstate === "number")).toBe(true);
    expect(await findUserByApplicationId(client(), "x")).toEqual(rows.find(isLive));
    const read = await getUser(client(), user.systemuserid);
    expect(read?.systemuserroles_association?.map((r) => r.name)).toEqual(["Environment Maker"]);
    // The same row soft-deleted reads as absent.
    routes.set(`/systemusers(${user.systemuserid})`, { ...user, deletedstate: 1 });
    expect(await getUser(client(), user.systemuserid)).toBeUndefined();
  });

  it("business units and the roles collection resolve by name", async () => {
    const bu = tf("businessunit_by_id.json");
    routes.set("/businessunits", { value: [bu] });
    expect(await businessUnits(client())).toEqual({ root: bu.businessunitid });
    const roles = tf("roles_collection.json");
    routes.set("/roles", roles);
    const rows = await findRoles(client(), bu.businessunitid, ["Environment Maker"]);
    const maker = roles.value.find((r: { name: string }) => r.name === "Environment Maker");
    expect(
      resolveRoles(
        ["Environment Maker"],
        rows.filter((r) => r.name === "Environment Maker"),
        bu.businessunitid,
      ),
    ).toEqual([maker.roleid]);
  });

  it("whole EntityDefinitions bodies read as tracking states", async () => {
    const contact = tf("entitydefinition_contact.json");
    const unit = tf("entitydefinition_businessunit.json");
    routes.set("/EntityDefinitions", { value: [contact, unit] });
    const rows = await trackingStates(client(), ["contact", "businessunit"]);
    expect(rows.map((r) => [r.LogicalName, r.ChangeTrackingEnabled, r.CanChangeTrackingBeEnabled?.Value])).toEqual([
      ["contact", true, true],
      ["businessunit", true, unit.CanChangeTrackingBeEnabled.Value],
    ]);
  });

  it("$batch answers as Microsoft documents them", () => {
    const parse = (text: string) => parseBatchResponse(`multipart/mixed; boundary=${/^--(\S+)/.exec(text)![1]}`, text);
    const three = parse(docs("batch_response_no_changeset.txt"));
    expect(three.map((p) => p.status)).toEqual([204, 204, 204, 200]);
    expect((three[3].body as { value: unknown[] }).value).toHaveLength(3);
    const mixed = parse(docs("batch_response_continue_on_error.txt"));
    expect(mixed.map((p) => p.status)).toEqual([400, 204, 204]);
    expect(mixed[0].body).toMatchObject({ error: { code: "0x80044331" } });
    // Without continue-on-error the service stops at the first failure: fewer parts than operations.
    expect(parse(docs("batch_response_400_without_continue.txt")).map((p) => p.status)).toEqual([400]);
  });

  it("a real @odata.nextLink with $skiptoken is followed on the same host", async () => {
    const link = docs("nextlink_skiptoken.txt")
      .trim()
      .replace(/^\[Organization URI\]/i, url);
    const c = client();
    expect(c.relativePath(link)).toMatch(/^\/contacts\?\$select=fullname&\$skiptoken=%3Ccookie/);
    routes.set("/contacts", { value: [{ fullname: "b" }] });
    routes.set("/contactsfirst", { value: [{ fullname: "a" }], "@odata.nextLink": link });
    expect(await c.getAll<{ fullname: string }>("/contactsfirst")).toEqual([{ fullname: "a" }, { fullname: "b" }]);
    expect(() => c.relativePath(link.replace("127.0.0.1", "evil.example"))).toThrow(/refusing to follow it/);
  });
});

describe("the emulator answers in the recorded shapes", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.close());
  const get = async (p: string) =>
    (
      await fetch(`${emulator.url}/api/data/v9.2${p}`, { headers: { Authorization: `Bearer ${emulator.token}` } })
    ).json();

  it("its EntityDefinitions template is the recorded body, and a table has exactly the recorded properties", async () => {
    const recorded = tf("entitydefinition_contact.json");
    const body = await get("/EntityDefinitions(LogicalName='account')");
    expect(Object.keys(body).sort()).toEqual(Object.keys(recorded).sort());
    expect(body["@odata.context"]).toMatch(/\$metadata#EntityDefinitions\/\$entity$/);
    expect(Object.keys(entityDefinition("x")).length).toBeGreaterThan(100);
  });

  it("systemuser rows carry the recorded annotations and columns the providers read", async () => {
    const recorded = tf("systemuser_by_id_expand_roles.json");
    const users = (
      await get("/systemusers?$select=systemuserid,applicationid,isdisabled,deletedstate,_businessunitid_value")
    ).value;
    for (const key of [
      "@odata.etag",
      "systemuserid",
      "applicationid",
      "isdisabled",
      "deletedstate",
      "_businessunitid_value",
    ]) {
      expect(recorded).toHaveProperty([key]);
      expect(users[0]).toHaveProperty([key]);
    }
    expect(users[0]["@odata.etag"]).toMatch(/^W\/"\d+"$/);
    const roles = (await get("/roles?$select=roleid,name")).value;
    expect(roles[0]["@odata.etag"]).toMatch(/^W\/"\d+"$/);
  });
});
