import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkApplicationUser } from "../components/dataverse/applicationUserPlan";
import { checkChangeTracking } from "../components/dataverse/changeTrackingPlan";
import { TENANT } from "./helpers/stackConfig";

/**
 * Bad and awkward input at every entry point: stack files through `npm start`, the CLI scripts with their stdin and
 * flags, the emulator's flags and the providers' check. Each case asserts the exit code and that the message names
 * the file, key path or flag; no case may answer with JavaScript's own words or a stack trace.
 */
const DIST = path.resolve(__dirname, "../dist/scripts");
const FORBIDDEN = /received undefined|\[object Object\]|\bNaN\b|TypeError|ReferenceError|SyntaxError: Unexpected|Cannot read properties|is not a function|\n\s+at \S+ \(/;

let stacks: string;
let scratch: string;
beforeAll(() => {
  stacks = fs.mkdtempSync(path.join(os.tmpdir(), "crm-sync-bad-stacks-"));
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "crm-sync-bad-out-"));
});
afterAll(() => { fs.rmSync(stacks, { recursive: true, force: true }); fs.rmSync(scratch, { recursive: true, force: true }); });

interface Run { status: number | null; stdout: string; stderr: string }

/** Runs a script; stdin is written in small chunks with pauses, as `pulumi` writes into a pipe. */
function run(script: string, args: string[], input?: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(DIST, script), ...args], { env: { ...process.env, CRM_SYNC_STACKS_DIR: stacks, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin.on("error", () => undefined);
    const chunks = input === undefined ? [] : input.match(/[\s\S]{1,64}/g) ?? [""];
    const next = () => {
      const chunk = chunks.shift();
      if (chunk === undefined) return child.stdin.end();
      child.stdin.write(chunk);
      setTimeout(next, 1);
    };
    next();
  });
}

const GOOD = (integrations: string, extra = "") => `config:
  crm-sync:tenantId: ${TENANT}
  crm-sync:dataverseEnvironments:
    crm: https://contoso.crm4.dynamics.com
${extra}  crm-sync:integrations:
${integrations}`;
const CUSTOM = (lines: string) => GOOD(`    - name: crm
      profile: custom
${lines}`);

/** Stack files that `npm start -- --stack <name> --plan-only` must refuse, with what the message must say. */
const STACK_CASES: [string, string, RegExp][] = [
  ["yaml-syntax", "config:\n  crm-sync:tenantId: [unclosed\n  crm-sync:integrations: x\n", /Pulumi\.yaml-syntax\.yaml:\d+:\d+: not valid YAML/],
  ["outside-config", `crm-sync:tenantId: ${TENANT}\nconfig: {}\n`, /"crm-sync:tenantId" is outside config:/],
  ["wrong-namespace", CUSTOM("").replace("crm-sync:tenantId", "crm_sync:tenantId"), /crm_sync:tenantId: not read: this project's namespace is crm-sync \(did you mean crm-sync:tenantId\?\)/],
  ["no-namespace", CUSTOM("").replace("crm-sync:tenantId", "tenantId"), /tenantId: config keys need a namespace: write crm-sync:tenantId/],
  ["config-list", "config:\n  - a\n", /config: must be a mapping/],
  ["not-a-mapping", "- just\n- a list\n", /a stack file is a mapping with a config: key, got a list/],
  ["missing-tenant", CUSTOM("").replace(`  crm-sync:tenantId: ${TENANT}\n`, ""), /crm-sync:tenantId: is required/],
  ["bad-tenant", CUSTOM("").replace(TENANT, "contoso.onmicrosoft.com"), /crm-sync:tenantId: must be a GUID/],
  ["no-integrations", `config:\n  crm-sync:tenantId: ${TENANT}\n`, /crm-sync:integrations: is required/],
  ["integrations-text", `config:\n  crm-sync:tenantId: ${TENANT}\n  crm-sync:integrations: daktela\n`, /crm-sync:integrations: must be array, got text "daktela"/],
  ["integrations-empty", `config:\n  crm-sync:tenantId: ${TENANT}\n  crm-sync:integrations: []\n`, /crm-sync:integrations: must list at least one integration/],
  ["integration-null", `config:\n  crm-sync:tenantId: ${TENANT}\n  crm-sync:integrations: [null]\n`, /crm-sync:integrations\[0\]: must be object, got null/],
  ["escaping-name", GOOD("    - name: ../../escaped\n      profile: custom\n"), /integrations\[0\]\.name: must be 2-40 characters/],
  ["unknown-profile", GOOD("    - name: crm\n      profile: salesforce\n"), /integrations\[0\]\.profile: must be one of: daktela/],
  ["typo-top", CUSTOM("").replace("crm-sync:dataverseEnvironments", "crm-sync:dataverseEnvironment"), /crm-sync:dataverseEnvironment: unknown setting \(did you mean dataverseEnvironments\?\)/],
  ["typo-integration", CUSTOM("      permisions: []\n"), /integrations\[0\]\.permisions: unknown setting \(did you mean permissions\?\)/],
  ["typo-secret", CUSTOM("      secret:\n        lifetimeMonth: 12\n"), /integrations\[0\]\.secret\.lifetimeMonth: unknown setting \(did you mean lifetimeMonths\?\)/],
  ["typo-dataverse", CUSTOM("      dataverse:\n        securityRole: [Basic User]\n"), /dataverse\.securityRole: unknown setting \(did you mean securityRoles\?\)/],
  ["typo-redirects", CUSTOM("      redirectUris:\n        webs: []\n"), /redirectUris\.webs: unknown setting \(did you mean web\?\)/],
  ["http-environment", CUSTOM("").replace("https://contoso.crm4.dynamics.com", "http://contoso.crm4.dynamics.com"), /dataverseEnvironments\.crm: must use https:\/\//],
  ["environment-path", CUSTOM("").replace("https://contoso.crm4.dynamics.com", "https://contoso.crm4.dynamics.com/api/data/v9.2"), /dataverseEnvironments\.crm: must be the environment root/],
  ["environment-not-dataverse", CUSTOM("").replace("https://contoso.crm4.dynamics.com", "https://contoso.example.com"), /dataverseEnvironments\.crm: contoso\.example\.com is not a Dataverse host/],
  ["environment-number", CUSTOM("").replace("https://contoso.crm4.dynamics.com", "42"), /dataverseEnvironments\.crm: must be a URL string/],
  ["bu-number", CUSTOM("      dataverse:\n        businessUnitId: 12345\n"), /dataverse\.businessUnitId: must be a GUID/],
  ["dataverse-null", CUSTOM("      dataverse: null\n"), /integrations\[0\]\.dataverse: must be object, got null/],
  ["roles-text", CUSTOM("      dataverse:\n        securityRoles: Basic User\n"), /dataverse\.securityRoles: must be array, got text "Basic User"/],
  ["tables-empty", CUSTOM("      dataverse:\n        changeTracking: []\n"), /dataverse\.changeTracking: lists no table/],
  ["table-uppercase", CUSTOM("      dataverse:\n        changeTracking: [Account]\n"), /dataverse\.changeTracking\[0\]: must be a table logical name/],
  ["lifetime-high", CUSTOM("      secret:\n        lifetimeMonths: 30\n"), /secret\.lifetimeMonths: must be at most 24 months/],
  ["lifetime-text", CUSTOM("      secret:\n        lifetimeMonths: twelve\n"), /secret\.lifetimeMonths: must be a number of months/],
  ["rotate-too-long", CUSTOM("      secret:\n        lifetimeMonths: 6\n        rotateEveryDays: 400\n"), /secret\.rotateEveryDays: must be shorter than the secret's lifetime/],
  ["handover-future", CUSTOM("      secret:\n        handedOver: { rotation: 1, createdAt: 2999-01-01T00:00:00Z }\n"), /secret\.handedOver\.createdAt: createdAt 2999-01-01T00:00:00Z is in the future/],
  ["generation-no-handover", CUSTOM("      secret:\n        generation: 2\n"), /secret\.generation: asks for an on-demand rotation, but no handover is recorded/],
  ["redirect-ipv6", CUSTOM("      redirectUris:\n        publicClient: [\"http://[::1]:8400\"]\n"), /redirectUris\.publicClient\[0\]: uses the IPv6 loopback \[::1\]/],
  ["redirect-http", CUSTOM("      redirectUris:\n        web: [\"http://vendor.example.com/cb\"]\n"), /redirectUris\.web\[0\]: must use https:\/\//],
  ["redirect-object", CUSTOM("      redirectUris:\n        web: [{ url: x }]\n"), /redirectUris\.web\[0\]: must be a URL string/],
  ["permission-unknown", CUSTOM("      permissions: [\"Graph: User.Reed (delegated)\"]\n"), /permissions\[0\]: Microsoft Graph has no delegated permission "User\.Reed" in the catalog; did you mean/],
  ["bp-label", GOOD("    - name: bp\n      profile: bright-pattern\n      vendor: { tenant: contoso }\n"), /vendor\.tenant: must be the instance's whole host/],
  ["keyvault-no-subscription", CUSTOM("", ).replace("  crm-sync:integrations:", "  crm-sync:keyVault: { resourceGroupName: rg, vaultName: kv-one }\n  crm-sync:integrations:"), /crm-sync:keyVault\.subscriptionId: is required/],
  ["keyvault-bad-name", CUSTOM("").replace("  crm-sync:integrations:", `  crm-sync:keyVault: { subscriptionId: ${TENANT}, resourceGroupName: rg, vaultName: kv_one }\n  crm-sync:integrations:`), /crm-sync:keyVault\.vaultName: must be a Key Vault name/],
  ["host-suffix-bad", CUSTOM("").replace("  crm-sync:integrations:", "  crm-sync:dataverseHostSuffixes: [\"dynamics\"]\n  crm-sync:integrations:"), /crm-sync:dataverseHostSuffixes\[0\]: must be a host suffix/],
  ["secure-value", CUSTOM("").replace(`crm-sync:tenantId: ${TENANT}`, "crm-sync:tenantId:\n    secure: AAABAJ"), /crm-sync:tenantId is an encrypted secret/],
];

describe.concurrent("npm start refuses bad stack files, naming file or stack and key path", () => {
  it.each(STACK_CASES)("%s", async (name, text, expected) => {
    fs.writeFileSync(path.join(stacks, `Pulumi.${name}.yaml`), text);
    const r = await run("plan.js", ["--stack", name, "--plan-only"]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`stack "${name}"|Pulumi\\.${name}\\.yaml`));
    expect(r.stderr).toMatch(expected);
    expect(r.stderr).not.toMatch(FORBIDDEN);
  }, 30_000);

  it.each([
    [["--stack", "../../etc/passwd"], 1, /"\.\.\/\.\.\/etc\/passwd" is not a stack name/],
    [["--stack", "nope"], 1, /no stack "nope"/],
    [["--stak", "dev"], 2, /Unknown option '--stak'/],
    [["--at", "soon"], 2, /--at: "soon" is not an ISO 8601 time/],
    [["extra"], 2, /Unexpected argument 'extra'/],
  ] as [string[], number, RegExp][])("flags %j", async (args, status, expected) => {
    const r = await run("plan.js", args);
    expect(r.status).toBe(status);
    expect(r.stderr).toMatch(expected);
    expect(r.stderr).not.toMatch(FORBIDDEN);
  }, 30_000);
});

const OUTPUT = (integrations: Record<string, unknown>) => JSON.stringify({ integrations });
const GOOD_OUT = { profile: "custom", settings: { clientId: "c", clientSecret: "s" }, secretFields: ["clientSecret"], generic: {} };
const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;

describe.concurrent("export-sync-config refuses input of the wrong shape, writes all or nothing, only inside --out", () => {
  it.each([
    ["empty input", "", /the input is empty/],
    ["not JSON", "{nope", /the input is not JSON/],
    ["a list", "[]", /the input is a list, not `pulumi stack output/],
    ["another project's outputs", JSON.stringify({ url: "https://x", bucket: "b" }), /no `integrations` output \(top-level keys: url, bucket\)/],
    ["no integrations", OUTPUT({}), /the input's `integrations` output is empty/],
    ["a name that climbs out of --out", OUTPUT({ "../../escaped": GOOD_OUT }), /integration name "\.\.\/\.\.\/escaped" is not one crm-sync creates/],
    ["an object where text belongs", OUTPUT({ crm: { ...GOOD_OUT, settings: { clientId: { id: "x" }, clientSecret: "s" } } }), /integration "crm": clientId is object, expected text/],
    ["settings missing", OUTPUT({ crm: { profile: "custom" } }), /integration "crm" has no settings\/secretFields/],
    ["deep nesting", deep(5000), /nests 5000 levels deep/],
    ["a masked secret", OUTPUT({ crm: { ...GOOD_OUT, settings: { clientId: "c", clientSecret: "[secret]" } } }), /clientSecret is masked; run `pulumi stack output --json --show-secrets`/],
  ])("%s", async (_label, input, expected) => {
    const out = fs.mkdtempSync(path.join(scratch, "export-"));
    const r = await run("export-sync-config.js", ["--out", path.join(out, "cfg")], input);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(expected);
    expect(r.stderr).not.toMatch(FORBIDDEN);
    // Nothing written anywhere: not in --out, not above it.
    expect(fs.readdirSync(out).flatMap((d) => fs.readdirSync(path.join(out, d)))).toEqual([]);
  }, 30_000);

  it("leaves no file when one target cannot be replaced, and refuses an --out that is a file", async () => {
    const out = path.join(scratch, "blocked");
    fs.mkdirSync(path.join(out, "crm.env"), { recursive: true });
    const r = await run("export-sync-config.js", ["--out", out], OUTPUT({ crm: GOOD_OUT }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/crm\.env exists and is not a regular file/);
    expect(fs.readdirSync(out)).toEqual(["crm.env"]);
    const file = path.join(scratch, "a-file");
    fs.writeFileSync(file, "x");
    const f = await run("export-sync-config.js", ["--out", file], OUTPUT({ crm: GOOD_OUT }));
    expect(f.status).toBe(1);
    expect(f.stderr).toMatch(/a-file exists and is not a folder/);
  }, 30_000);

  it("reads a slow, chunked pipe to its end and rejects unknown flags", async () => {
    const out = path.join(scratch, "piped");
    const r = await run("export-sync-config.js", ["--out", out], OUTPUT({ crm: GOOD_OUT }));
    expect(r.stderr).toBe("");
    expect(fs.readdirSync(out).sort()).toEqual(["crm.env", "crm.json"]);
    expect((await run("export-sync-config.js", ["--outt", out], "{}")).status).toBe(2);
  }, 30_000);
});

describe.concurrent("audit-report refuses input that is not a crm-sync export or preview", () => {
  const otherProject = JSON.stringify({ version: 3, deployment: { resources: [{ urn: "urn:pulumi:prod::web::aws:s3/bucket:Bucket::site", type: "aws:s3/bucket:Bucket", custom: true }] } });
  it.each([
    ["empty input", "", /the input is empty/],
    ["a list", "[1,2]", /the input is a list/],
    ["another project's export", otherProject, /the input has no crm-sync integration \(1 resources of project web\)/],
    ["neither export nor preview", JSON.stringify({ hello: "world" }), /has neither deployment\.resources nor steps \(top-level keys: hello\)/],
    ["malformed resources", JSON.stringify({ deployment: { resources: [{ type: 3 }] } }), /deployment\.resources\[0\] is not a resource/],
    ["malformed steps", JSON.stringify({ steps: [{ op: "create" }] }), /steps\[0\] is not a preview step/],
    ["deep nesting", `{"a":${deep(3000)}}`, /nests 3001 levels deep/],
  ])("%s", async (_label, input, expected) => {
    const out = path.join(scratch, `audit-${Math.random().toString(36).slice(2)}`);
    const r = await run("audit-report.js", ["--out", out], input);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(expected);
    expect(r.stderr).not.toMatch(FORBIDDEN);
    expect(fs.existsSync(out)).toBe(false);
  }, 30_000);
});

describe.concurrent("the other commands check their flags and input", () => {
  it.each([
    ["verify-connection.js", ["--environment-url", "http://crm.example.com"], "{}", 2, /--environment-url "http:\/\/crm\.example\.com" must use https/],
    ["verify-connection.js", ["--integration", "nope"], OUTPUT({ crm: GOOD_OUT }), 1, /no integration "nope" in the outputs \(there are: crm\)/],
    ["verify-connection.js", [], "not json", 1, /the input is not JSON/],
    ["rotate-secret.js", ["--all"], undefined, 2, /give --stack and either --integration or --all/],
    ["rotate-secret.js", ["--stack", "nope", "--all"], undefined, 1, /no stack "nope"/],
    ["rotate-secret.js", ["--stack", "../../etc/x", "--all"], undefined, 1, /"\.\.\/\.\.\/etc\/x" is not a stack name/],
    ["record-handover.js", ["--stack", "../prod", "--integration", "crm"], OUTPUT({ crm: GOOD_OUT }), 1, /"\.\.\/prod" is not a stack name/],
    ["record-handover.js", ["--stack", "prod", "--rotation", "first"], "{}", 2, /--rotation must be a rotation number/],
    ["record-handover.js", ["--stack", "nope", "--integration", "crm"], OUTPUT({ crm: GOOD_OUT }), 1, /no stack "nope"/],
    ["secret-status.js", ["--stack", "prod", "--fail-within-days", "9999"], "{}", 2, /--fail-within-days must be a whole number of days from 0 to 730/],
    ["secret-status.js", ["--stack", "prod"], OUTPUT({ crm: GOOD_OUT }), 1, /integration "crm" has no generic\.secrets list/],
    ["emulator.js", ["--tables", "100000000"], undefined, 2, /--tables must be a whole number from 0 to 5000, got "100000000"/],
    ["emulator.js", ["--port", "70000"], undefined, 2, /--port must be a whole number from 0 to 65535/],
    ["emulator.js", ["--page-size", "0"], undefined, 2, /--page-size must be a whole number from 1 to 5000/],
    ["emulator.js", ["--latency=-5"], undefined, 2, /--latency must be a whole number from 0 to 60000, got "-5"/],
    ["emulator.js", ["--tabels", "3"], undefined, 2, /Unknown option '--tabels'/],
  ] as [string, string[], string | undefined, number, RegExp][])("%s %j", async (script, args, input, status, expected) => {
    const r = await run(script, args, input);
    expect(r.status, r.stderr).toBe(status);
    expect(r.stderr).toMatch(expected);
    expect(r.stderr).not.toMatch(FORBIDDEN);
  }, 30_000);

  it.each(["plan.js", "export-sync-config.js", "verify-connection.js", "rotate-secret.js", "record-handover.js", "secret-status.js", "audit-report.js", "emulator.js"])("%s --help lists what it accepts", async (script) => {
    const r = await run(script, ["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: /);
    for (const flag of r.stdout.match(/--[a-z-]+/g) ?? []) expect(r.stdout).toContain(flag);
    expect((r.stdout.match(/--[a-z-]+ </g) ?? []).length + (r.stdout.match(/--[a-z-]+\]/g) ?? []).length).toBeGreaterThan(0);
  }, 30_000);
});

describe("the providers' check names the property", () => {
  it.each([
    [{ environmentUrl: "http://crm.example.com", applicationId: TENANT, securityRoles: [] }, "environmentUrl"],
    [{ environmentUrl: "https://contoso.crm.dynamics.com", applicationId: "app", securityRoles: [] }, "applicationId"],
    [{ environmentUrl: "https://contoso.crm.dynamics.com", applicationId: TENANT, securityRoles: [""] }, "securityRoles[0]"],
    [{ environmentUrl: "https://contoso.crm.dynamics.com", applicationId: TENANT, securityRoles: [], businessUnitId: "sales" }, "businessUnitId"],
  ])("ApplicationUser %j", (inputs, property) => {
    const { failures } = checkApplicationUser(inputs as Record<string, unknown>);
    expect(failures.map((f) => f.property)).toContain(property);
    for (const f of failures) expect(f.reason).not.toMatch(FORBIDDEN);
  });

  it.each([
    [{ environmentUrl: "https://contoso.crm.dynamics.com", entities: ["Account"] }, "entities[0]"],
    [{ environmentUrl: "https://contoso.crm.dynamics.com", entities: "account" }, "entities"],
    [{ environmentUrl: "ftp://x", entities: ["account"] }, "environmentUrl"],
  ])("ChangeTracking %j", (inputs, property) => {
    const { failures } = checkChangeTracking(inputs as Record<string, unknown>);
    expect(failures.map((f) => f.property)).toContain(property);
  });
});
