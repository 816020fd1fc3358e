import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBuilt } from "./helpers/dist";
import { FIXED_NOW } from "./helpers/stackConfig";
import { startEmulator, type Emulator } from "../emulator/server";
import { addApplicationUser } from "../emulator/seed";
import { TEST_SETTINGS, roleId, rootBu } from "./helpers/dataverse";
import { envName, syncConfigFiles } from "../scripts/sync/syncConfigFiles";
import { verifyConnection, type VerifyTarget } from "../scripts/sync/verifyConnection";
import type * as Evaluate from "../scripts/sandbox/evaluate";
import type * as Resolve from "../scripts/sandbox/resolve";

const { evaluateStack } = loadBuilt<typeof Evaluate>("scripts/sandbox/evaluate.js");
const { revealSecrets } = loadBuilt<typeof Resolve>("scripts/sandbox/resolve.js");
const DIST = path.resolve(__dirname, "../dist/scripts");

let outputsJson: string;
let secretValue: string;
let tmp: string;

beforeAll(async () => {
  const plan = await evaluateStack("cdata", { now: () => FIXED_NOW });
  const shown = revealSecrets(plan.outputs) as { integrations: Record<string, { settings: Record<string, string> }> };
  outputsJson = JSON.stringify(shown, null, 2);
  secretValue = shown.integrations["gathr-user"].settings["Client Secret"];
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "crm-sync-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("sync config files", () => {
  it("names .env keys after the vendor's fields", () => {
    expect(
      [
        "Instance URI",
        "OAuthClientId",
        "Client Secret",
        "API URL",
        "Directory (tenant) ID",
        "CRMVersion",
        "CallbackURL",
      ].map(envName),
    ).toEqual([
      "INSTANCE_URI",
      "OAUTH_CLIENT_ID",
      "CLIENT_SECRET",
      "API_URL",
      "DIRECTORY_TENANT_ID",
      "CRM_VERSION",
      "CALLBACK_URL",
    ]);
  });

  it("refuses masked secrets unless redacting", () => {
    const outputs = {
      x: {
        profile: "daktela",
        settings: { "Application secret": "[secret]" },
        secretFields: ["Application secret"],
        generic: {},
      },
    };
    expect(() => syncConfigFiles(outputs, { redact: false })).toThrow(/--show-secrets/);
    expect(syncConfigFiles(outputs, { redact: true })[0].env).toContain("APPLICATION_SECRET=[redacted]");
  });
});

describe("export-sync-config", () => {
  it("writes one JSON and one .env per integration in the vendor's terms, mode 0600", () => {
    const out = path.join(tmp, "plain");
    const input = path.join(tmp, "outputs.json");
    fs.writeFileSync(input, outputsJson);
    execFileSync(process.execPath, [path.join(DIST, "export-sync-config.js"), "--input", input, "--out", out]);
    expect(fs.readdirSync(out).sort()).toEqual([
      "gathr-service.env",
      "gathr-service.json",
      "gathr-user.env",
      "gathr-user.json",
    ]);
    for (const f of fs.readdirSync(out)) expect(fs.statSync(path.join(out, f)).mode & 0o777).toBe(0o600);
    const json = JSON.parse(fs.readFileSync(path.join(out, "gathr-user.json"), "utf8"));
    expect(json).toMatchObject({
      integration: "gathr-user",
      profile: "cdata",
      settings: { "Client Secret": secretValue, "CRM Version": "CRMOnline" },
      connectionProperties: { AuthScheme: "AzureAD", CRMVersion: "CRMOnline", OAuthClientSecret: secretValue },
    });
    const env = fs.readFileSync(path.join(out, "gathr-user.env"), "utf8");
    expect(env).toContain("CRM_VERSION=CRMOnline\n");
    expect(env).toContain(`CLIENT_SECRET=${secretValue}\n`);
    expect(env).toContain(`OAUTH_CLIENT_SECRET=${secretValue}\n`);
    expect(env.match(/^URL=/gm)).toHaveLength(1);
  });

  it("keeps files private even when they existed with a looser mode", () => {
    const out = path.join(tmp, "loose");
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, "gathr-user.env"), "old", { mode: 0o644 });
    execFileSync(process.execPath, [path.join(DIST, "export-sync-config.js"), "--out", out], { input: outputsJson });
    expect(fs.statSync(path.join(out, "gathr-user.env")).mode & 0o777).toBe(0o600);
  });

  it("--redact leaves no secret value in files or output", () => {
    const out = path.join(tmp, "redacted");
    const stdout = execFileSync(
      process.execPath,
      [path.join(DIST, "export-sync-config.js"), "--out", out, "--redact"],
      { input: outputsJson, encoding: "utf8" },
    );
    const everything =
      stdout +
      fs
        .readdirSync(out)
        .map((f) => fs.readFileSync(path.join(out, f), "utf8"))
        .join("");
    expect(everything).not.toContain(secretValue);
    expect(everything).toContain("OAUTH_CLIENT_SECRET=[redacted]");
    expect(everything).toContain('"ConnectionString": "[redacted]"');
  });

  it("fails clearly on input that is not stack outputs", () => {
    const run = spawnSync(process.execPath, [path.join(DIST, "export-sync-config.js"), "--out", path.join(tmp, "x")], {
      input: '{"foo": 1}',
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/no `integrations` output/);
  });
});

describe("verify-connection", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.close());

  function appUser(options: { roles?: string[]; disabled?: boolean } = {}): string {
    const applicationId = randomUUID();
    const user = addApplicationUser(emulator.data, {
      applicationid: applicationId,
      isdisabled: options.disabled ?? false,
      _businessunitid_value: rootBu(emulator),
      fullname: "# sync",
    });
    for (const r of options.roles ?? []) user.roles.add(roleId(emulator, r, rootBu(emulator)));
    return applicationId;
  }
  const target = (clientId: string, expectApplicationUser = true): VerifyTarget => ({
    environmentUrl: emulator.url,
    clientId,
    expectApplicationUser,
  });
  const tokenFor = (clientId: string) => async () => emulator.tokenForApplication(clientId);
  const failing = (message: string) => async (): Promise<string> => {
    throw new Error(message);
  };

  it("prints the application user and its roles when everything is in place", async () => {
    const clientId = appUser({ roles: ["Basic User", "CRM Sync Integration"] });
    await expect(verifyConnection(target(clientId), tokenFor(clientId), TEST_SETTINGS)).resolves.toMatchObject({
      kind: "application-user",
      businessUnitId: rootBu(emulator),
      roles: ["Basic User", "CRM Sync Integration"],
    });
  });

  it.each([
    [
      "bad-secret",
      failing("ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided."),
    ],
    ["consent-missing", failing("AADSTS65001: The user or administrator has not consented to use the application")],
    ["app-not-found", failing("AADSTS700016: Application with identifier 'x' was not found in the directory")],
  ])("explains %s", async (reason, tokenSource) => {
    await expect(verifyConnection(target(randomUUID()), tokenSource, TEST_SETTINGS)).rejects.toMatchObject({ reason });
  });

  it("explains a missing application user, a user without roles, and a disabled user", async () => {
    const none = randomUUID();
    await expect(verifyConnection(target(none), tokenFor(none), TEST_SETTINGS)).rejects.toMatchObject({
      reason: "no-app-user",
    });
    const roleless = appUser();
    await expect(verifyConnection(target(roleless), tokenFor(roleless), TEST_SETTINGS)).rejects.toMatchObject({
      reason: "no-role",
    });
    const disabled = appUser({ roles: ["Basic User"], disabled: true });
    await expect(verifyConnection(target(disabled), tokenFor(disabled), TEST_SETTINGS)).rejects.toMatchObject({
      reason: "disabled",
    });
    // The service's exact answer is UNCONFIRMED: a 401 that says so, and a WhoAmI that works for a disabled row, read the same.
    emulator.faults.add({
      path: /^\/WhoAmI$/,
      times: 1,
      action: { kind: "status", status: 401, code: "0x80072560", message: "The user is disabled." },
    });
    await expect(verifyConnection(target(disabled), tokenFor(disabled), TEST_SETTINGS)).rejects.toMatchObject({
      reason: "disabled",
      message: expect.stringMatching(/is disabled: enable it again/),
    });
  });

  it("only checks the secret for a delegated integration", async () => {
    await expect(verifyConnection(target(randomUUID(), false), async () => "any", TEST_SETTINGS)).resolves.toEqual({
      kind: "token-only",
    });
  });

  it("the command rejects an unknown integration and a masked secret with a clear message", () => {
    const script = path.join(DIST, "verify-connection.js");
    const unknown = spawnSync(process.execPath, [script, "--integration", "nope"], {
      input: outputsJson,
      encoding: "utf8",
    });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('no integration "nope" in the outputs (there are: gathr-user, gathr-service)');
    const masked = outputsJson.replaceAll(secretValue, "[secret]");
    const run = spawnSync(process.execPath, [script, "--integration", "gathr-user"], {
      input: masked,
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/--show-secrets/);
  });
});
