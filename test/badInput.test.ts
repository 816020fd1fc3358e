import { execFileSync, spawn } from "node:child_process";
import * as http from "node:http";
import { Writable } from "node:stream";
import { exitWhenDrained } from "../scripts/cli/command";
import { commandLine, invokedThroughBin } from "../components/commandLine";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataverseClient } from "../components/dataverse/http/client";
import { settingsFromEnv } from "../components/dataverse/http/settings";
import { fileTokenSource, readTokenFile, tokenFromFileText } from "../components/dataverse/http/token";
import { checkApplicationUser } from "../components/dataverse/applicationUserPlan";
import { checkChangeTracking } from "../components/dataverse/changeTrackingPlan";
import { ConfigError, parseRuntimeConfig } from "../components/config";
import { stackConfigFromText } from "../scripts/sandbox/stackFiles";
import { FIXED_NOW, TENANT } from "./helpers/stackConfig";

/**
 * Bad and awkward input at every entry point: stack files through `npm start`, the CLI scripts with their stdin and
 * flags, the emulator's flags and the providers' check. Each case asserts the exit code and that the message names
 * the file, key path or flag; no case may answer with JavaScript's own words or a stack trace.
 */
const DIST = path.resolve(__dirname, "../dist/scripts");
const FORBIDDEN =
  /received undefined|\[object Object\]|\bNaN\b|TypeError|ReferenceError|SyntaxError: Unexpected|Cannot read properties|is not a function|\n\s+at \S+ \(/;

let stacks: string;
let scratch: string;
beforeAll(() => {
  stacks = fs.mkdtempSync(path.join(os.tmpdir(), "crm-sync-bad-stacks-"));
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "crm-sync-bad-out-"));
});
afterAll(() => {
  fs.rmSync(stacks, { recursive: true, force: true });
  fs.rmSync(scratch, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Spawned commands at once: a loaded 2-core machine runs two Node processes well, more only queue for the CPU. */
const POOL = 2;
/** A test's own timeout: it may wait for the pool and then start a Node process on a loaded machine. */
const T = 300_000;
/** A spawned command that has not finished by then is killed and the case fails. */
const SPAWN_DEADLINE_MS = 120_000;
let running = 0;
const waiting: (() => void)[] = [];
async function pooled<R>(work: () => Promise<R>): Promise<R> {
  if (running >= POOL) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await work();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

/** Runs a script; stdin is written in small chunks with pauses, as `pulumi` writes into a pipe. */
function run(script: string, args: string[], input?: string, env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Run> {
  return pooled(
    () =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [path.join(DIST, script), ...args], {
          cwd,
          env: { ...process.env, CRM_SYNC_STACKS_DIR: stacks, ...env },
        });
        const killer = setTimeout(() => child.kill("SIGKILL"), SPAWN_DEADLINE_MS);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => {
          stdout += d;
        });
        child.stderr.on("data", (d) => {
          stderr += d;
        });
        child.on("close", (status) => {
          clearTimeout(killer);
          resolve({ status, stdout, stderr });
        });
        child.stdin.on("error", () => undefined);
        const chunks = input === undefined ? [] : (input.match(/[\s\S]{1,4096}/g) ?? [""]);
        const next = () => {
          const chunk = chunks.shift();
          if (chunk === undefined) return child.stdin.end();
          child.stdin.write(chunk);
          setTimeout(next, 1);
        };
        next();
      }),
  );
}

const GOOD = (integrations: string, extra = "") => `config:
  crm-sync:tenantId: ${TENANT}
  crm-sync:dataverseEnvironments:
    crm: https://contoso.crm4.dynamics.com
${extra}  crm-sync:integrations:
${integrations}`;
const CUSTOM = (lines: string) =>
  GOOD(`    - name: crm
      profile: custom
${lines}`);

/** Stack files that `npm start -- --stack <name> --plan-only` must refuse, with what the message must say. */
const STACK_CASES: [string, string, RegExp][] = [
  [
    "yaml-syntax",
    "config:\n  crm-sync:tenantId: [unclosed\n  crm-sync:integrations: x\n",
    /Pulumi\.yaml-syntax\.yaml:\d+:\d+: not valid YAML/,
  ],
  ["outside-config", `crm-sync:tenantId: ${TENANT}\nconfig: {}\n`, /"crm-sync:tenantId" is outside config:/],
  [
    "wrong-namespace",
    CUSTOM("").replace("crm-sync:tenantId", "crm_sync:tenantId"),
    /crm_sync:tenantId: not read: this project's namespace is crm-sync \(did you mean crm-sync:tenantId\?\)/,
  ],
  [
    "no-namespace",
    CUSTOM("").replace("crm-sync:tenantId", "tenantId"),
    /tenantId: config keys need a namespace: write crm-sync:tenantId/,
  ],
  ["config-list", "config:\n  - a\n", /config: must be a mapping/],
  ["not-a-mapping", "- just\n- a list\n", /a stack file is a mapping with a config: key, got a list/],
  ["missing-tenant", CUSTOM("").replace(`  crm-sync:tenantId: ${TENANT}\n`, ""), /crm-sync:tenantId: is required/],
  ["bad-tenant", CUSTOM("").replace(TENANT, "contoso.onmicrosoft.com"), /crm-sync:tenantId: must be a GUID/],
  ["no-integrations", `config:\n  crm-sync:tenantId: ${TENANT}\n`, /crm-sync:integrations: is required/],
  [
    "integrations-text",
    `config:\n  crm-sync:tenantId: ${TENANT}\n  crm-sync:integrations: daktela\n`,
    /crm-sync:integrations: must be array, got text "daktela"/,
  ],
  [
    "integrations-empty",
    `config:\n  crm-sync:tenantId: ${TENANT}\n  crm-sync:integrations: []\n`,
    /crm-sync:integrations: must list at least one integration/,
  ],
  [
    "integration-null",
    `config:\n  crm-sync:tenantId: ${TENANT}\n  crm-sync:integrations: [null]\n`,
    /crm-sync:integrations\[0\]: must be object, got null/,
  ],
  [
    "escaping-name",
    GOOD("    - name: ../../escaped\n      profile: custom\n"),
    /integrations\[0\]\.name: must be 2-40 characters/,
  ],
  [
    "unknown-profile",
    GOOD("    - name: crm\n      profile: salesforce\n"),
    /integrations\[0\]\.profile: must be one of: daktela/,
  ],
  [
    "typo-top",
    CUSTOM("").replace("crm-sync:dataverseEnvironments", "crm-sync:dataverseEnvironment"),
    /crm-sync:dataverseEnvironment: unknown setting \(did you mean dataverseEnvironments\?\)/,
  ],
  [
    "typo-integration",
    CUSTOM("      permisions: []\n"),
    /integrations\[0\]\.permisions: unknown setting \(did you mean permissions\?\)/,
  ],
  [
    "typo-secret",
    CUSTOM("      secret:\n        lifetimeMonth: 12\n"),
    /integrations\[0\]\.secret\.lifetimeMonth: unknown setting \(did you mean lifetimeMonths\?\)/,
  ],
  [
    "typo-dataverse",
    CUSTOM("      dataverse:\n        securityRole: [Basic User]\n"),
    /dataverse\.securityRole: unknown setting \(did you mean securityRoles\?\)/,
  ],
  [
    "typo-redirects",
    CUSTOM("      redirectUris:\n        webs: []\n"),
    /redirectUris\.webs: unknown setting \(did you mean web\?\)/,
  ],
  [
    "http-environment",
    CUSTOM("").replace("https://contoso.crm4.dynamics.com", "http://contoso.crm4.dynamics.com"),
    /dataverseEnvironments\.crm: must use https:\/\//,
  ],
  [
    "environment-path",
    CUSTOM("").replace("https://contoso.crm4.dynamics.com", "https://contoso.crm4.dynamics.com/api/data/v9.2"),
    /dataverseEnvironments\.crm: must be the environment root/,
  ],
  [
    "environment-not-dataverse",
    CUSTOM("").replace("https://contoso.crm4.dynamics.com", "https://contoso.example.com"),
    /dataverseEnvironments\.crm: contoso\.example\.com is not a Dataverse host/,
  ],
  [
    "environment-number",
    CUSTOM("").replace("https://contoso.crm4.dynamics.com", "42"),
    /dataverseEnvironments\.crm: must be a URL string/,
  ],
  [
    "bu-number",
    CUSTOM("      dataverse:\n        businessUnitId: 12345\n"),
    /dataverse\.businessUnitId: must be a GUID/,
  ],
  ["dataverse-null", CUSTOM("      dataverse: null\n"), /integrations\[0\]\.dataverse: must be object, got null/],
  [
    "roles-text",
    CUSTOM("      dataverse:\n        securityRoles: Basic User\n"),
    /dataverse\.securityRoles: must be array, got text "Basic User"/,
  ],
  [
    "tables-empty",
    CUSTOM("      dataverse:\n        changeTracking: []\n"),
    /dataverse\.changeTracking: lists no table/,
  ],
  [
    "table-uppercase",
    CUSTOM("      dataverse:\n        changeTracking: [Account]\n"),
    /dataverse\.changeTracking\[0\]: must be a table logical name/,
  ],
  [
    "lifetime-high",
    CUSTOM("      secret:\n        lifetimeMonths: 30\n"),
    /secret\.lifetimeMonths: must be at most 24 months/,
  ],
  [
    "lifetime-text",
    CUSTOM("      secret:\n        lifetimeMonths: twelve\n"),
    /secret\.lifetimeMonths: must be a number of months/,
  ],
  [
    "rotate-too-long",
    CUSTOM("      secret:\n        lifetimeMonths: 6\n        rotateEveryDays: 400\n"),
    /secret\.rotateEveryDays: must be shorter than the secret's lifetime/,
  ],
  [
    "handover-future",
    CUSTOM("      secret:\n        handedOver: { rotation: 1, createdAt: 2199-01-01T00:00:00Z }\n"),
    /secret\.handedOver\.createdAt: createdAt 2199-01-01T00:00:00Z is in the future/,
  ],
  [
    "generation-no-handover",
    CUSTOM("      secret:\n        generation: 2\n"),
    /secret\.generation: asks for an on-demand rotation, but no handover is recorded/,
  ],
  [
    "redirect-ipv6",
    CUSTOM('      redirectUris:\n        publicClient: ["http://[::1]:8400"]\n'),
    /redirectUris\.publicClient\[0\]: uses the IPv6 loopback \[::1\]/,
  ],
  [
    "redirect-http",
    CUSTOM('      redirectUris:\n        web: ["http://vendor.example.com/cb"]\n'),
    /redirectUris\.web\[0\]: must use https:\/\//,
  ],
  [
    "redirect-object",
    CUSTOM("      redirectUris:\n        web: [{ url: x }]\n"),
    /redirectUris\.web\[0\]: must be a URL string/,
  ],
  [
    "permission-unknown",
    CUSTOM('      permissions: ["Graph: User.Reed (delegated)"]\n'),
    /permissions\[0\]: Microsoft Graph has no delegated permission "User\.Reed" in the catalog; did you mean/,
  ],
  [
    "bp-label",
    GOOD("    - name: bp\n      profile: bright-pattern\n      vendor: { tenant: contoso }\n"),
    /vendor\.tenant: must be the instance's whole host/,
  ],
  [
    "keyvault-no-subscription",
    CUSTOM("").replace(
      "  crm-sync:integrations:",
      "  crm-sync:keyVault: { resourceGroupName: rg, vaultName: kv-one }\n  crm-sync:integrations:",
    ),
    /crm-sync:keyVault\.subscriptionId: is required/,
  ],
  [
    "keyvault-bad-name",
    CUSTOM("").replace(
      "  crm-sync:integrations:",
      `  crm-sync:keyVault: { subscriptionId: ${TENANT}, resourceGroupName: rg, vaultName: kv_one }\n  crm-sync:integrations:`,
    ),
    /crm-sync:keyVault\.vaultName: must be a Key Vault name/,
  ],
  [
    "host-suffix-bad",
    CUSTOM("").replace(
      "  crm-sync:integrations:",
      '  crm-sync:dataverseHostSuffixes: ["dynamics"]\n  crm-sync:integrations:',
    ),
    /crm-sync:dataverseHostSuffixes\[0\]: must be a host suffix/,
  ],
  [
    "secure-value",
    CUSTOM("").replace(`crm-sync:tenantId: ${TENANT}`, "crm-sync:tenantId:\n    secure: AAABAJ"),
    /crm-sync:tenantId is an encrypted secret/,
  ],
];

const KV = (fields: string) =>
  CUSTOM("").replace("  crm-sync:integrations:", `  crm-sync:keyVault: { ${fields} }\n  crm-sync:integrations:`);
const nestedBlock = (n: number) =>
  `config:\n  crm-sync:tenantId: ${TENANT}\n  crm-sync:deep:\n${Array.from({ length: n }, (_, i) => `${"  ".repeat(i + 2)}k:`).join("\n")} 1\n`;

/** Stack-file cases added with issue 19 (config edges, dates, YAML shape). */
const NEW_STACK_CASES: [string, string, RegExp][] = [
  [
    "proto-top",
    CUSTOM("").replace("  crm-sync:integrations:", "  crm-sync:__proto__: { tenantId: x }\n  crm-sync:integrations:"),
    /crm-sync:__proto__: "__proto__" is not a setting name/,
  ],
  [
    "proto-nested",
    CUSTOM("      secret:\n        constructor: { lifetimeMonths: 1 }\n"),
    /integrations\[0\]\.secret\.constructor: "constructor" is not a setting name/,
  ],
  [
    "prototype-key",
    CUSTOM("      dataverse:\n        prototype: 1\n"),
    /dataverse\.prototype: "prototype" is not a setting name/,
  ],
  [
    "deep-flow",
    `config:\n  crm-sync:tenantId: ${TENANT}\n  crm-sync:integrations: ${"[".repeat(20000)}${"]".repeat(20000)}\n`,
    /nests 20000 levels deep \(at most 64\)/,
  ],
  ["deep-block", nestedBlock(300), /nests \d+ levels deep \(at most 64\)/],
  [
    "deep-json-value",
    CUSTOM("      vendor: " + "[".repeat(40) + "]".repeat(40) + "\n"),
    /nests more than 32 levels deep/,
  ],
  [
    "duplicate-key",
    CUSTOM("      secret:\n        lifetimeMonths: 12\n        lifetimeMonths: 6\n"),
    /"config\.crm-sync:integrations\[0\]\.secret\.lifetimeMonths" appears twice/,
  ],
  [
    "duplicate-top",
    CUSTOM("").replace("config:\n", `config:\n  crm-sync:tenantId: ${TENANT}\n`),
    /"config\.crm-sync:tenantId" appears twice/,
  ],
  [
    "kv-required-once",
    KV("resourceGroupName: rg, vaultName: kv-one"),
    /crm-sync:keyVault\.subscriptionId: is required: the subscription id/,
  ],
  [
    "env-key-chars",
    CUSTOM("").replace("    crm: https://", "    crm.sales: https://"),
    /dataverseEnvironments\.crm\.sales: is not a valid key here: must be an environment key: a letter, then letters, digits, _ or -/,
  ],
  [
    "url-no-scheme",
    CUSTOM("").replace("https://contoso.crm4.dynamics.com", "contoso.crm4.dynamics.com"),
    /dataverseEnvironments\.crm: has no scheme: write https:\/\/contoso\.crm4\.dynamics\.com/,
  ],
  [
    "handover-feb-30",
    CUSTOM("      secret:\n        handedOver: { rotation: 1, createdAt: 2026-02-30T00:00:00Z }\n"),
    /handedOver\.createdAt: "2026-02-30T00:00:00Z" is not a calendar date: 2026-02 has 28 days/,
  ],
  [
    "handover-year-9999",
    CUSTOM("      secret:\n        handedOver: { rotation: 1, createdAt: 9999-01-01T00:00:00Z }\n"),
    /handedOver\.createdAt: "9999-01-01T00:00:00Z" lies outside 2000-2199/,
  ],
  [
    "handover-end-never",
    CUSTOM("      secret:\n        handedOver: { rotation: 1, createdAt: 2026-01-01T00:00:00Z, endDate: never }\n"),
    /handedOver\.endDate: "never" is not an ISO 8601 time/,
  ],
  [
    "handover-hour-25",
    CUSTOM("      secret:\n        handedOver: { rotation: 1, createdAt: 2026-01-01T25:00:00Z }\n"),
    /handedOver\.createdAt: "2026-01-01T25:00:00Z" is not a time of day/,
  ],
  [
    "alias-bomb",
    `config:\n  crm-sync:tenantId: ${TENANT}\n  crm-sync:x:\n    a: &a [x,x,x,x,x,x,x,x,x]\n    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n    d: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n`,
    /its aliases \(\*name\) expand to too many nodes/,
  ],
  [
    "warning-set-too-long",
    CUSTOM("      secret:\n        lifetimeMonths: 1\n        expiryWarningDays: 30\n"),
    /secret\.expiryWarningDays: must be shorter than the secret's lifetime \(30 days for 1 months\)/,
  ],
];

/** Valid controls: each must keep working. */
const VALID_STACKS: [string, string][] = [
  ["a 1-month secret with default windows", CUSTOM("      secret:\n        lifetimeMonths: 1\n")],
  [
    "a handover with its recorded end date",
    CUSTOM(
      "      secret:\n        handedOver: { rotation: 1, createdAt: 2026-01-31T00:00:00Z, endDate: 2027-01-31T00:00:00Z }\n",
    ),
  ],
  ["a leap day", CUSTOM("      secret:\n        handedOver: { rotation: 1, createdAt: 2024-02-29 }\n")],
  [
    "environment keys with _ and -",
    CUSTOM("")
      .replace("    crm: https://", "    crm_sales-2: https://")
      .replace(
        "\n    - name: crm\n      profile: custom\n",
        "\n    - name: crm\n      profile: custom\n      dataverse: { environment: crm_sales-2 }\n",
      ),
  ],
  [
    "a shared block read through an anchor",
    GOOD(
      "    - name: one\n      profile: custom\n      secret: &policy\n        lifetimeMonths: 12\n    - name: two\n      profile: custom\n      secret: *policy\n",
    ),
  ],
];

describe("npm start refuses bad stack files, naming file or stack and key path", () => {
  // In process: the same two steps `npm start` runs on a stack file (read it, validate it as `pulumi up` would).
  it.each([...STACK_CASES, ...NEW_STACK_CASES])("%s", (name, text, expected) => {
    const file = path.join(stacks, `Pulumi.${name}.yaml`);
    let message = "";
    try {
      parseRuntimeConfig(stackConfigFromText(text, file), FIXED_NOW);
    } catch (e) {
      message = e instanceof ConfigError ? e.message : `${file}: ${(e as Error).message}`;
    }
    expect(message, `${name} was accepted`).toMatch(expected);
    expect(message).not.toMatch(FORBIDDEN);
  });

  // Through the command: exit code, the stack named, no stack trace (a sample; the table above covers the rules).
  it.each([STACK_CASES[0], STACK_CASES[6], ...NEW_STACK_CASES.slice(0, 3)])(
    "npm start %s",
    async (name, text, expected) => {
      fs.writeFileSync(path.join(stacks, `Pulumi.${name}.yaml`), text);
      const r = await run("plan.js", ["--stack", name, "--plan-only"]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`stack "${name}"|Pulumi\\.${name}\\.yaml`));
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).not.toMatch(FORBIDDEN);
    },
    T,
  );

  it.each(VALID_STACKS)("accepts %s", (_name, text) => {
    expect(() => parseRuntimeConfig(stackConfigFromText(text, "valid"), FIXED_NOW)).not.toThrow();
  });

  it.each([
    [["--stack", "../../etc/passwd"], 1, /"\.\.\/\.\.\/etc\/passwd" is not a stack name/],
    [["--stack", "nope"], 1, /no stack "nope"/],
    [["--stak", "dev"], 2, /Unknown option '--stak'/],
    [["--at", "soon"], 2, /--at: "soon" is not an ISO 8601 time/],
    [["extra"], 2, /Unexpected argument 'extra'/],
  ] as [string[], number, RegExp][])(
    "flags %j",
    async (args, status, expected) => {
      const r = await run("plan.js", args);
      expect(r.status).toBe(status);
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).not.toMatch(FORBIDDEN);
    },
    T,
  );
});

const OUTPUT = (integrations: Record<string, unknown>) => JSON.stringify({ integrations });
const GOOD_OUT = {
  profile: "custom",
  settings: { clientId: "c", clientSecret: "s" },
  secretFields: ["clientSecret"],
  generic: {},
};
const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;

describe.concurrent(
  "export-sync-config refuses input of the wrong shape, writes all or nothing, only inside --out",
  () => {
    it.each([
      ["empty input", "", /the input is empty/],
      ["not JSON", "{nope", /the input is not JSON/],
      ["a list", "[]", /the input is a list, not `pulumi stack output/],
      [
        "another project's outputs",
        JSON.stringify({ url: "https://x", bucket: "b" }),
        /no `integrations` output \(top-level keys: url, bucket\)/,
      ],
      ["no integrations", OUTPUT({}), /the input's `integrations` output is empty/],
      [
        "a name that climbs out of --out",
        OUTPUT({ "../../escaped": GOOD_OUT }),
        /integration name "\.\.\/\.\.\/escaped" is not one crm-sync creates/,
      ],
      [
        "an object where text belongs",
        OUTPUT({ crm: { ...GOOD_OUT, settings: { clientId: { id: "x" }, clientSecret: "s" } } }),
        /integration "crm": clientId is object, expected text/,
      ],
      ["settings missing", OUTPUT({ crm: { profile: "custom" } }), /integration "crm" has no settings\/secretFields/],
      ["deep nesting", deep(5000), /nests 5000 levels deep/],
      [
        "a masked secret",
        OUTPUT({ crm: { ...GOOD_OUT, settings: { clientId: "c", clientSecret: "[secret]" } } }),
        /clientSecret is masked; run `pulumi stack output --json --show-secrets`/,
      ],
    ])(
      "%s",
      async (_label, input, expected) => {
        const out = fs.mkdtempSync(path.join(scratch, "export-"));
        const r = await run("export-sync-config.js", ["--out", path.join(out, "cfg")], input);
        expect(r.status, r.stderr).toBe(1);
        expect(r.stderr).toMatch(expected);
        expect(r.stderr).not.toMatch(FORBIDDEN);
        // Nothing written anywhere: not in --out, not above it.
        expect(fs.readdirSync(out).flatMap((d) => fs.readdirSync(path.join(out, d)))).toEqual([]);
      },
      T,
    );

    it(
      "leaves no file when one target cannot be replaced, and refuses an --out that is a file",
      async () => {
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
      },
      T,
    );

    it(
      "reads a slow, chunked pipe to its end and rejects unknown flags",
      async () => {
        const out = path.join(scratch, "piped");
        const r = await run("export-sync-config.js", ["--out", out], OUTPUT({ crm: GOOD_OUT }));
        expect(r.stderr).toBe("");
        expect(fs.readdirSync(out).sort()).toEqual(["crm.env", "crm.json"]);
        expect((await run("export-sync-config.js", ["--outt", out], "{}")).status).toBe(2);
      },
      T,
    );
  },
);

describe.concurrent("audit-report refuses input that is not a crm-sync export or preview", () => {
  const otherProject = JSON.stringify({
    version: 3,
    deployment: {
      resources: [
        { urn: "urn:pulumi:prod::web::aws:s3/bucket:Bucket::site", type: "aws:s3/bucket:Bucket", custom: true },
      ],
    },
  });
  it.each([
    ["empty input", "", /the input is empty/],
    ["a list", "[1,2]", /the input is a list/],
    ["another project's export", otherProject, /the input has no crm-sync integration \(1 resources of project web\)/],
    [
      "neither export nor preview",
      JSON.stringify({ hello: "world" }),
      /has neither deployment\.resources nor steps \(top-level keys: hello\)/,
    ],
    [
      "malformed resources",
      JSON.stringify({ deployment: { resources: [{ type: 3 }] } }),
      /deployment\.resources\[0\] is not a resource/,
    ],
    ["malformed steps", JSON.stringify({ steps: [{ op: "create" }] }), /steps\[0\] is not a preview step/],
    ["deep nesting", `{"a":${deep(3000)}}`, /nests 3001 levels deep/],
  ])(
    "%s",
    async (_label, input, expected) => {
      const out = path.join(scratch, `audit-${Math.random().toString(36).slice(2)}`);
      const r = await run("audit-report.js", ["--out", out], input);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).not.toMatch(FORBIDDEN);
      expect(fs.existsSync(out)).toBe(false);
    },
    T,
  );
});

describe("audit-report into a folder that cannot be created", () => {
  it.each(["/proc/crm-sync-audit", "/dev/null/x"])(
    "--out %s fails at once naming the folder (no endless recursive mkdir)",
    async (out) => {
      const input = fs.readFileSync(path.join(__dirname, "fixtures/preview.json"), "utf8");
      const r = await run("audit-report.js", ["--out", out], input);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`cannot create the folder ${out} \\((ENOENT|ENOTDIR)\\)`));
    },
    T,
  );
});

describe.concurrent("audit-report fails closed on malformed dates and numbers", () => {
  const exportWith = (app: Record<string, unknown>, endDate: string) => {
    const doc = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures/stack-export.json"), "utf8"));
    for (const r of doc.deployment.resources) {
      if (r.type === "crm-sync:entra:IntegrationApp") r.inputs = { ...r.inputs, ...app };
      if (r.type === "azuread:index/applicationPassword:ApplicationPassword" && r.urn.endsWith("-secret-a"))
        r.inputs.endDate = endDate;
    }
    return JSON.stringify(doc);
  };
  it.each([
    [
      "a held end date that is not a time",
      exportWith({ heldRotation: 6, heldEndsAt: "soon", expiryWarningDays: 30 }, "2027-12-31T00:00:00Z"),
      /integration "crm": heldEndsAt "soon" is not an ISO 8601 time/,
    ],
    [
      "a warning window that is text",
      exportWith(
        { heldRotation: 6, heldEndsAt: "2027-12-31T00:00:00Z", expiryWarningDays: "thirty" },
        "2027-12-31T00:00:00Z",
      ),
      /integration "crm": expiryWarningDays must be a whole number of days/,
    ],
    [
      "a secret that ends never",
      exportWith({}, "never"),
      /integration "crm": client secret a endDate "never" is not an ISO 8601 time/,
    ],
  ])(
    "%s",
    async (_label, input, expected) => {
      const r = await run("audit-report.js", [], input);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(expected);
      expect(r.stdout).toBe("");
      expect(r.stderr).not.toMatch(FORBIDDEN);
    },
    T,
  );

  it(
    "reports a well-formed export (valid control)",
    async () => {
      const r = await run(
        "audit-report.js",
        [],
        exportWith(
          { heldRotation: 6, heldEndsAt: "2027-12-31T00:00:00Z", expiryWarningDays: 30 },
          "2027-12-31T00:00:00Z",
        ),
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/The vendor holds rotation 6, ending 2027-12-31T00:00:00Z/);
    },
    T,
  );
});

describe.concurrent("the other commands check their flags and input", () => {
  it.each([
    [
      "verify-connection.js",
      ["--environment-url", "http://crm.example.com"],
      "{}",
      2,
      /--environment-url "http:\/\/crm\.example\.com" must use https/,
    ],
    [
      "verify-connection.js",
      ["--integration", "nope"],
      OUTPUT({ crm: GOOD_OUT }),
      1,
      /no integration "nope" in the outputs \(there are: crm\)/,
    ],
    ["verify-connection.js", [], "not json", 1, /the input is not JSON/],
    ["rotate-secret.js", ["--all"], undefined, 2, /give the stack: --stack <name> or --stack-file <path>/],
    ["rotate-secret.js", ["--stack", "prod"], undefined, 2, /give --stack and either --integration or --all/],
    ["rotate-secret.js", ["--stack", "nope", "--all"], undefined, 1, /no stack "nope"/],
    ["rotate-secret.js", ["--stack", "../../etc/x", "--all"], undefined, 1, /"\.\.\/\.\.\/etc\/x" is not a stack name/],
    [
      "record-handover.js",
      ["--stack", "../prod", "--integration", "crm"],
      OUTPUT({ crm: GOOD_OUT }),
      1,
      /"\.\.\/prod" is not a stack name/,
    ],
    ["record-handover.js", ["--stack", "prod", "--rotation", "first"], "{}", 2, /--rotation must be a rotation number/],
    [
      "record-handover.js",
      ["--stack", "nope", "--integration", "crm"],
      OUTPUT({ crm: GOOD_OUT }),
      1,
      /no stack "nope"/,
    ],
    [
      "secret-status.js",
      ["--stack", "prod", "--fail-within-days", "9999"],
      "{}",
      2,
      /--fail-within-days must be a whole number of days from 0 to 730/,
    ],
    [
      "secret-status.js",
      ["--stack", "prod"],
      OUTPUT({ crm: GOOD_OUT }),
      1,
      /integration "crm" has no generic\.secrets list/,
    ],
    [
      "emulator.js",
      ["--tables", "100000000"],
      undefined,
      2,
      /--tables must be a whole number from 0 to 5000, got "100000000"/,
    ],
    ["emulator.js", ["--port", "70000"], undefined, 2, /--port must be a whole number from 0 to 65535/],
    ["emulator.js", ["--page-size", "0"], undefined, 2, /--page-size must be a whole number from 1 to 5000/],
    ["emulator.js", ["--latency=-5"], undefined, 2, /--latency must be a whole number from 0 to 60000, got "-5"/],
    ["emulator.js", ["--tabels", "3"], undefined, 2, /Unknown option '--tabels'/],
  ] as [string, string[], string | undefined, number, RegExp][])(
    "%s %j",
    async (script, args, input, status, expected) => {
      const r = await run(script, args, input);
      expect(r.status, r.stderr).toBe(status);
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).not.toMatch(FORBIDDEN);
    },
    T,
  );

  it.each([
    "plan.js",
    "export-sync-config.js",
    "verify-connection.js",
    "rotate-secret.js",
    "record-handover.js",
    "secret-status.js",
    "audit-report.js",
    "emulator.js",
  ])(
    "%s --help lists what it accepts",
    async (script) => {
      const r = await run(script, ["--help"]);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^usage: /);
      for (const flag of r.stdout.match(/--[a-z-]+/g) ?? []) expect(r.stdout).toContain(flag);
      expect(
        (r.stdout.match(/--[a-z-]+ </g) ?? []).length + (r.stdout.match(/--[a-z-]+\]/g) ?? []).length,
      ).toBeGreaterThan(0);
    },
    T,
  );
});

describe("the providers' check names the property", () => {
  it.each([
    [{ environmentUrl: "http://crm.example.com", applicationId: TENANT, securityRoles: [] }, "environmentUrl"],
    [{ environmentUrl: "https://contoso.crm.dynamics.com", applicationId: "app", securityRoles: [] }, "applicationId"],
    [
      { environmentUrl: "https://contoso.crm.dynamics.com", applicationId: TENANT, securityRoles: [""] },
      "securityRoles[0]",
    ],
    [
      {
        environmentUrl: "https://contoso.crm.dynamics.com",
        applicationId: TENANT,
        securityRoles: [],
        businessUnitId: "sales",
      },
      "businessUnitId",
    ],
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

const CLIENT = "0a1b2c3d-0000-4000-8000-000000000001";
const OTHER_TENANT = "11111111-2222-4333-8444-555555555555";
const HELD = `config:
  crm-sync:tenantId: ${TENANT}
  crm-sync:integrations:
    - name: crm       # the vendor's integration
      profile: custom
      secret:
        lifetimeMonths: 12
        generation: 4
        handedOver: { rotation: 3, createdAt: 2026-01-01T00:00:00Z, generation: 4, clientId: ${CLIENT} }
`;
const day = 86_400_000;
const isoAt = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const secretOut = (rotation: number, createdAt: string, endDate: string, held = false) => ({
  rotation,
  keyId: `k${rotation}`,
  createdAt,
  endDate,
  heldByVendor: held,
  awaitingHandover: !held,
});
const handoverOutputs = (secrets: object[], generic: Record<string, unknown> = {}) =>
  OUTPUT({ crm: { ...GOOD_OUT, generic: { tenantId: TENANT, clientId: CLIENT, secrets, ...generic } } });
const NOW = Date.now();
const S3 = secretOut(3, "2026-01-01T00:00:00Z", isoAt(NOW + 100 * day), true);
const S4 = secretOut(4, isoAt(NOW - day), isoAt(NOW + 300 * day));

/** A scratch stacks folder with one stack file; `leftovers` lists anything else that appears in it. */
function scratch1(text: string, name = "prod") {
  const dir = fs.mkdtempSync(path.join(scratch, "stacks-"));
  const file = path.join(dir, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, text, { mode: 0o640 });
  return {
    dir,
    file,
    env: { CRM_SYNC_STACKS_DIR: dir },
    leftovers: () => fs.readdirSync(dir).filter((f) => f !== `Pulumi.${name}.yaml`),
  };
}

describe.concurrent(
  "record-handover refuses outputs that would lose the vendor's secret; the stack file stays as it was",
  () => {
    it.each([
      [
        "another tenant",
        handoverOutputs([S3, S4], { tenantId: OTHER_TENANT }),
        /these outputs are of tenant 11111111-.* the stack file's tenant is 5f3c1a2b-/,
      ],
      [
        "another stack",
        handoverOutputs([S3, S4], { stack: "staging" }),
        /these are the outputs of stack "staging", not "prod"/,
      ],
      [
        "another app",
        handoverOutputs([S3, S4], { clientId: "0a1b2c3d-0000-4000-8000-0000000000ff" }),
        /these outputs are of app 0a1b2c3d-0000-4000-8000-0000000000ff, the recorded handover of app 0a1b2c3d-0000-4000-8000-000000000001/,
      ],
      [
        "a rotation lower than the recorded one",
        handoverOutputs([secretOut(2, "2025-12-01T00:00:00Z", isoAt(NOW + 50 * day))]),
        /rotation 2 is older than rotation 3, which is recorded as handed over: a handover never moves backwards/,
      ],
      [
        "createdAt of February 30",
        handoverOutputs([S3, { ...S4, createdAt: "2026-02-30T00:00:00Z" }]),
        /generic\.secrets\[1\]\.createdAt "2026-02-30T00:00:00Z" is not a calendar date: 2026-02 has 28 days/,
      ],
      [
        "endDate never",
        handoverOutputs([S3, { ...S4, endDate: "never" }]),
        /generic\.secrets\[1\]\.endDate "never" is not an ISO 8601 time/,
      ],
      [
        "endDate beyond 24 months",
        handoverOutputs([S3, { ...S4, endDate: isoAt(NOW + 900 * day) }]),
        /rotation 4: endDate .* is not within 24 months after createdAt/,
      ],
      [
        "a createdAt in the future",
        handoverOutputs([S3, { ...S4, createdAt: isoAt(NOW + 5 * day) }]),
        /rotation 4: createdAt .* is in the future/,
      ],
      [
        "the same rotation from another deployment",
        handoverOutputs([{ ...S3, createdAt: "2026-01-02T00:00:00Z" }]),
        /rotation 3 was created 2026-01-02T00:00:00Z in these outputs, the recorded one 2026-01-01T00:00:00Z/,
      ],
      [
        "a rotation count that is not a number",
        handoverOutputs([{ ...S4, rotation: "4" }]),
        /generic\.secrets\[0\]\.rotation must be a whole number from 1, got "4"/,
      ],
    ])(
      "%s",
      async (_label, input, expected) => {
        const s = scratch1(HELD);
        const r = await run("record-handover.js", ["--stack", "prod", "--integration", "crm"], input, s.env);
        expect(r.status, r.stderr).toBe(1);
        expect(r.stderr).toMatch(expected);
        expect(r.stderr).not.toMatch(FORBIDDEN);
        expect(fs.readFileSync(s.file, "utf8")).toBe(HELD);
        expect(s.leftovers()).toEqual([]);
      },
      T,
    );

    it(
      "refuses to cancel a requested rotation that is not deployed, saying what to run",
      async () => {
        const s = scratch1(HELD.replace("generation: 4\n        handedOver", "generation: 5\n        handedOver"));
        const before = fs.readFileSync(s.file, "utf8");
        const r = await run(
          "record-handover.js",
          ["--stack-file", s.file, "--integration", "crm"],
          handoverOutputs([S3]),
          s.env,
        );
        expect(r.status, r.stderr).toBe(1);
        expect(r.stderr).toMatch(
          /a rotation was requested \(secret\.generation 5\) and is not deployed yet: run `pulumi up -s prod`/,
        );
        expect(fs.readFileSync(s.file, "utf8")).toBe(before);
      },
      T,
    );

    it(
      "records the new rotation with its fixed end date and key id, keeping comments and mode (valid control)",
      async () => {
        const s = scratch1(HELD);
        const r = await run(
          "record-handover.js",
          ["--stack", "prod", "--integration", "crm"],
          handoverOutputs([S3, S4]),
          s.env,
        );
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        const text = fs.readFileSync(s.file, "utf8");
        expect(text).toContain("# the vendor's integration");
        expect(text).toMatch(
          new RegExp(
            `rotation: 4\\n\\s+createdAt: ${S4.createdAt}\\n\\s+generation: 4\\n\\s+endDate: ${S4.endDate}\\n\\s+keyId: k4`,
          ),
        );
        expect(fs.statSync(s.file).mode & 0o777).toBe(0o640);
        expect(s.leftovers()).toEqual([]);
      },
      T,
    );
  },
);

const ANCHORED = `config:
  crm-sync:tenantId: ${TENANT}
  crm-sync:integrations:
    - name: one
      profile: custom
      secret: &policy
        lifetimeMonths: 12
    - name: two
      profile: custom
      secret: *policy
`;

describe.concurrent("stack-file edits touch only what they say, one at a time, never through a link", () => {
  it.each([
    [
      "the anchored side",
      ANCHORED,
      ["--integration", "one"],
      /integrations\[0\]\.secret is anchored as &policy and shared through \*policy/,
    ],
    ["the aliased side", ANCHORED, ["--integration", "two"], /integrations\[1\]\.secret is the alias \*policy/],
    [
      "a merge key",
      ANCHORED.replace("secret: *policy", "secret:\n        <<: *policy"),
      ["--integration", "two"],
      /integrations\[1\]\.secret merges another mapping/,
    ],
    [
      "a duplicate key",
      CUSTOM("      secret:\n        generation: 0\n        generation: 1\n"),
      ["--all"],
      /repeats "config\.crm-sync:integrations\[0\]\.secret\.generation"/,
    ],
  ])(
    "rotate-secret refuses %s",
    async (_label, text, args, expected) => {
      const s = scratch1(text);
      const r = await run("rotate-secret.js", ["--stack", "prod", ...args], undefined, s.env);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).not.toMatch(FORBIDDEN);
      expect(fs.readFileSync(s.file, "utf8")).toBe(text);
      expect(s.leftovers()).toEqual([]);
    },
    T,
  );

  it(
    "refuses a symlinked stack file, and edits it through its real path",
    async () => {
      const s = scratch1(HELD, "real");
      fs.symlinkSync(s.file, path.join(s.dir, "Pulumi.prod.yaml"));
      const r = await run("rotate-secret.js", ["--stack", "prod", "--all"], undefined, s.env);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /Pulumi\.prod\.yaml is a symbolic link to .*Pulumi\.real\.yaml; refusing to write through it \(pass the real path/,
      );
      expect(fs.readFileSync(s.file, "utf8")).toBe(HELD);
      const ok = await run("rotate-secret.js", ["--stack-file", s.file, "--all"], undefined, s.env);
      expect(ok.status, ok.stderr).toBe(0);
      expect(fs.readFileSync(s.file, "utf8")).toMatch(/generation: 5\n/);
      expect(fs.lstatSync(path.join(s.dir, "Pulumi.prod.yaml")).isSymbolicLink()).toBe(true);
    },
    T,
  );

  it(
    "resolves a relative --stack-file against the caller's folder (npm's INIT_CWD), not the project root",
    async () => {
      const s = scratch1(HELD);
      const r = await run("rotate-secret.js", ["--stack-file", "Pulumi.prod.yaml", "--all", "--dry-run"], undefined, {
        ...s.env,
        INIT_CWD: s.dir,
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/crm: generation 4 -> 5/);
      const missing = await run("rotate-secret.js", ["--stack-file", "Pulumi.nope.yaml", "--all"], undefined, {
        ...s.env,
        INIT_CWD: s.dir,
      });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/--stack-file Pulumi\.nope\.yaml: .*Pulumi\.nope\.yaml cannot be read \(ENOENT\)/);
    },
    T,
  );

  it(
    "two edits at once both land; a held lock makes the second refuse by name",
    async () => {
      const s = scratch1(
        ANCHORED.replace("secret: &policy\n        lifetimeMonths: 12", "secret:\n        lifetimeMonths: 12")
          .replace("secret: *policy", "secret:\n        lifetimeMonths: 12")
          .replace(
            /lifetimeMonths: 12/g,
            "lifetimeMonths: 12\n        handedOver: { rotation: 1, createdAt: 2026-01-01T00:00:00Z }",
          ),
      );
      const [a, b] = await Promise.all([
        run("rotate-secret.js", ["--stack", "prod", "--integration", "one"], undefined, s.env),
        run("rotate-secret.js", ["--stack", "prod", "--integration", "two"], undefined, s.env),
      ]);
      expect([a.status, b.status], a.stderr + b.stderr).toEqual([0, 0]);
      const text = fs.readFileSync(s.file, "utf8");
      expect(text.match(/generation: 1\n/g)?.length).toBe(2);
      // A live holder: it refreshes the lock's time, as proper-lockfile does, so the lock never looks abandoned.
      fs.mkdirSync(`${s.file}.lock`);
      const holder = setInterval(() => {
        const t = new Date();
        fs.utimesSync(`${s.file}.lock`, t, t);
      }, 1000);
      const locked = await run("rotate-secret.js", ["--stack", "prod", "--all"], undefined, s.env).finally(() =>
        clearInterval(holder),
      );
      expect(locked.status).toBe(1);
      expect(locked.stderr).toMatch(
        /Pulumi\.prod\.yaml is being edited by another command \(lock .*\.lock\); nothing was changed/,
      );
      expect(fs.readFileSync(s.file, "utf8")).toBe(text);
    },
    T,
  );
});

describe.concurrent("secret-status fails closed and quotes what it suggests", () => {
  const status = (secrets: object[], generic: Record<string, unknown> = {}) => handoverOutputs(secrets, generic);
  it.each([
    [
      "an endDate that is not a time",
      status([{ ...S3, endDate: "soon" }]),
      /generic\.secrets\[0\]\.endDate "soon" is not an ISO 8601 time/,
    ],
    [
      "an endDate of February 30",
      status([{ ...S3, endDate: "2027-02-30T00:00:00Z" }]),
      /generic\.secrets\[0\]\.endDate "2027-02-30T00:00:00Z" is not a calendar date/,
    ],
    [
      "a text expiryWarningDays",
      status([{ ...S3, endDate: isoAt(NOW + 2 * day) }], { expiryWarningDays: "2" }),
      /generic\.expiryWarningDays must be a whole number of days from 0 to 730, got "2"/,
    ],
    ["a secrets entry that is not one", status(["x"]), /generic\.secrets\[0\] is not a secret entry/],
    [
      "a held flag that is text",
      status([{ ...S3, heldByVendor: "yes" }]),
      /generic\.secrets\[0\]\.heldByVendor must be true or false/,
    ],
    [
      "the outputs of another stack",
      status([S3], { stack: "staging" }),
      /integration "crm": these are the outputs of stack "staging", not "prod"/,
    ],
    [
      "thousands of secrets",
      status(Array.from({ length: 5000 }, () => S3)),
      /generic\.secrets lists 5000 secrets \(a stack keeps at most 2\)/,
    ],
  ])(
    "%s",
    async (_label, input, expected) => {
      const r = await run("secret-status.js", ["--stack", "prod"], input);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(expected);
      expect(r.stdout).toBe("");
      expect(`${r.stdout}${r.stderr}`).not.toMatch(FORBIDDEN);
    },
    T,
  );

  it(
    "quotes a hostile stack name in the commands it suggests, and runs none of it",
    async () => {
      const cwd = fs.mkdtempSync(path.join(scratch, "quote-"));
      const r = await run(
        "secret-status.js",
        ["--stack", "$(touch x)"],
        status([{ ...S3, heldByVendor: false }]),
        { INIT_CWD: cwd },
        cwd,
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        "pulumi stack output -s '$(touch x)' --json | npm run -s record-handover -- --stack '$(touch x)' --integration crm",
      );
      expect(fs.readdirSync(cwd)).toEqual([]);
    },
    T,
  );

  it(
    "names the command as the crm-sync bin when run through it",
    async () => {
      const r = await run("secret-status.js", ["--stack", "prod"], status([{ ...S3, heldByVendor: false }]), {
        CRM_SYNC_BIN: "crm-sync",
      });
      expect(r.stderr).toContain("| crm-sync record-handover --stack prod --integration crm");
    },
    T,
  );

  it(
    "lets a slow reader get the whole --json output before it exits",
    async () => {
      const many = Object.fromEntries(
        Array.from({ length: 400 }, (_, i) => [`crm-${i}`, { ...GOOD_OUT, generic: { secrets: [S3, S4] } }]),
      );
      const r = await pooled(
        () =>
          new Promise<Run>((resolve) => {
            const child = spawn(process.execPath, [path.join(DIST, "secret-status.js"), "--stack", "prod", "--json"], {
              env: process.env,
            });
            const killer = setTimeout(() => child.kill("SIGKILL"), SPAWN_DEADLINE_MS);
            let stdout = "";
            let stderr = "";
            child.stderr.on("data", (d) => {
              stderr += d;
            });
            // The reader does not read at all until the command has written into a full pipe, then reads slowly.
            child.stdout.pause();
            const start = setTimeout(() => child.stdout.resume(), 1000);
            child.stdout.on("data", (d) => {
              stdout += d;
              child.stdout.pause();
              setTimeout(() => child.stdout.resume(), 2);
            });
            child.on("close", (status) => {
              clearTimeout(start);
              clearTimeout(killer);
              resolve({ status, stdout, stderr });
            });
            child.stdin.end(OUTPUT(many));
          }),
      );
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(128 * 1024);
      expect(JSON.parse(r.stdout)).toHaveLength(800);
    },
    T,
  );
});

describe.concurrent("verify-connection and export-sync-config check what arrives on stdin", () => {
  const vc = (generic: Record<string, unknown>) =>
    OUTPUT({
      crm: {
        ...GOOD_OUT,
        generic: {
          tenantId: TENANT,
          clientId: CLIENT,
          clientSecret: "s3cr3t-value",
          applicationUserId: "u",
          ...generic,
        },
      },
    });
  it.each([
    [
      "an http organization URL",
      vc({ organizationUrl: "http://crm.example.com" }),
      /generic\.organizationUrl must use https:\/\//,
    ],
    [
      "an organization URL without scheme",
      vc({ organizationUrl: "contoso.crm.dynamics.com" }),
      /generic\.organizationUrl has no scheme: write https:\/\/contoso\.crm\.dynamics\.com/,
    ],
    [
      "a client id that is not a GUID",
      vc({ organizationUrl: "https://contoso.crm.dynamics.com", clientId: "app" }),
      /generic\.clientId must be a GUID/,
    ],
  ])(
    "verify-connection refuses %s",
    async (_label, input, expected) => {
      const r = await run("verify-connection.js", [], input);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(expected);
      expect(`${r.stdout}${r.stderr}`).not.toContain("s3cr3t-value");
    },
    T,
  );

  it(
    "verify-connection refuses an --environment-url without scheme as a usage error",
    async () => {
      const r = await run("verify-connection.js", ["--environment-url", "contoso.crm.dynamics.com"], vc({}));
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--environment-url "contoso\.crm\.dynamics\.com" has no scheme/);
    },
    T,
  );

  it(
    "--input refuses a folder and a named pipe instead of hanging",
    async () => {
      const dir = fs.mkdtempSync(path.join(scratch, "input-"));
      const fifo = path.join(dir, "fifo");
      execFileSync("mkfifo", [fifo]);
      for (const [input, expected] of [
        [dir, /is not a regular file/],
        [fifo, /is not a regular file/],
        [path.join(dir, "none.json"), /cannot be read \(ENOENT\)/],
      ] as [string, RegExp][]) {
        const r = await run("export-sync-config.js", ["--input", input, "--out", path.join(dir, "out")]);
        expect(r.status, r.stderr).toBe(1);
        expect(r.stderr).toMatch(expected);
      }
      expect(fs.existsSync(path.join(dir, "out"))).toBe(false);
    },
    T,
  );

  it(
    "export-sync-config refuses an --out that is a symbolic link, and reads input with a byte-order mark",
    async () => {
      const cwd = fs.mkdtempSync(path.join(scratch, "outlink-"));
      fs.mkdirSync(path.join(cwd, "real"));
      fs.symlinkSync(path.join(cwd, "real"), path.join(cwd, "link"));
      const r = await run("export-sync-config.js", ["--out", path.join(cwd, "link")], OUTPUT({ crm: GOOD_OUT }));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/link is a symbolic link to .*real; refusing to write through it/);
      expect(fs.readdirSync(path.join(cwd, "real"))).toEqual([]);
      const bom = await run(
        "export-sync-config.js",
        ["--out", path.join(cwd, "real")],
        `\uFEFF${OUTPUT({ crm: GOOD_OUT })}`,
      );
      expect(bom.status, bom.stderr).toBe(0);
    },
    T,
  );

  it(
    "a stack file that is a folder is named, not read",
    async () => {
      const s = scratch1(HELD);
      fs.mkdirSync(path.join(s.dir, "Pulumi.folder.yaml"));
      const r = await run("rotate-secret.js", ["--stack", "folder", "--all"], undefined, s.env);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/stack "folder": .*Pulumi\.folder\.yaml is not a file/);
      const f = await run(
        "record-handover.js",
        ["--stack-file", path.join(s.dir, "Pulumi.folder.yaml")],
        handoverOutputs([S3]),
        s.env,
      );
      expect(f.status).toBe(1);
      expect(f.stderr).toMatch(/Pulumi\.folder\.yaml is not a file/);
    },
    T,
  );

  it(
    "export-sync-config writes --out relative to the caller's folder, mode 0600, nothing else left there",
    async () => {
      const cwd = fs.mkdtempSync(path.join(scratch, "cwd-"));
      const r = await run("export-sync-config.js", ["--out", "cfg"], OUTPUT({ crm: GOOD_OUT }), { INIT_CWD: cwd });
      expect(r.status, r.stderr).toBe(0);
      expect(fs.readdirSync(path.join(cwd, "cfg")).sort()).toEqual(["crm.env", "crm.json"]);
      expect(fs.statSync(path.join(cwd, "cfg", "crm.env")).mode & 0o777).toBe(0o600);
    },
    T,
  );
});

describe("DATAVERSE_TOKEN_FILE is read with a deadline and checked", () => {
  const jwt = (exp: number) => `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ exp })).toString("base64url")}.sig`;
  const dir = () => fs.mkdtempSync(path.join(scratch, "token-"));
  it.each([
    ["empty", "  \n", /is empty: write the access token into it/],
    ["several lines", "token-one\ntoken-two\n", /has 2 lines: it must hold exactly one token on one line/],
    [
      "expired",
      `${jwt(Math.floor(NOW / 1000) - 60)}\n`,
      /holds a token that expired at .* \(its exp\): write a fresh token/,
    ],
    ["with spaces", "Bearer abc\n", /holds characters a bearer token cannot have/],
  ])("refuses a token file that is %s, without printing it", async (_label, content, expected) => {
    const file = path.join(dir(), "token");
    fs.writeFileSync(file, content);
    const source = fileTokenSource("https://contoso.crm.dynamics.com", file, () => undefined, 1000);
    const e = await source().then(
      () => undefined,
      (err: Error) => err,
    );
    expect(e?.message).toMatch(expected);
    if (content.trim()) expect(e?.message).not.toContain(content.trim().split("\n")[0]);
  });

  it("refuses a folder, and a named pipe nobody writes to at the deadline", async () => {
    const d = dir();
    await expect(readTokenFile(d, 1000)).rejects.toThrow(/is a folder: point it at the file that holds the token/);
    const fifo = path.join(d, "pipe");
    execFileSync("mkfifo", [fifo]);
    await expect(readTokenFile(fifo, 200)).rejects.toThrow(/is a named pipe and nothing was written to it within 0 s/);
  });

  it("reads a valid token (valid control)", async () => {
    const file = path.join(dir(), "token");
    const token = jwt(Math.floor(NOW / 1000) + 3600);
    fs.writeFileSync(file, `${token}\n`);
    expect(tokenFromFileText(file, await readTokenFile(file, 1000)).token).toBe(token);
  });
});

describe("the Dataverse client bounds each request and each paging", () => {
  const settings = { ...settingsFromEnv({}), requestTimeoutMs: 300, maxAttempts: 1 };
  async function serve(
    handler: http.RequestListener,
  ): Promise<{ url: string; close: () => Promise<void>; requests: () => number }> {
    let count = 0;
    const server = http.createServer((req, res) => {
      count += 1;
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    return {
      url,
      requests: () => count,
      close: () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }

  it("stops an @odata.nextLink that loops back to a page already read", async () => {
    const s = await serve((req, res) => {
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ value: [{ id: 1 }], "@odata.nextLink": `${s.url}/api/data/v9.2/accounts?page=2` }));
    });
    try {
      const client = new DataverseClient(s.url, { settings, tokenSource: async () => "t", log: () => undefined });
      await expect(client.getAll("/accounts")).rejects.toThrow(/@odata\.nextLink loops back to a page already read/);
      expect(s.requests()).toBe(2);
    } finally {
      await s.close();
    }
  });

  it("aborts a request whose server trickles bytes past the total deadline", async () => {
    const timers: NodeJS.Timeout[] = [];
    const s = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write("{");
      timers.push(setInterval(() => res.write(" "), 50));
    });
    try {
      const client = new DataverseClient(s.url, { settings, tokenSource: async () => "t", log: () => undefined });
      await expect(client.get("/WhoAmI")).rejects.toThrow(
        /timeout: no complete answer within the 300 ms request deadline/,
      );
    } finally {
      timers.forEach(clearInterval);
      await s.close();
    }
  });
});

describe("every command exits only after its output has drained", () => {
  it("waits for the reader before exiting, with the command's exit code", async () => {
    const pending: (() => void)[] = [];
    const slowReader = new Writable({
      write(_chunk, _enc, done) {
        pending.push(done);
      },
    });
    slowReader.write("a large answer");
    const exits: number[] = [];
    const exiting = exitWhenDrained(3, [slowReader], (code) => {
      exits.push(code);
    });
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(exits).toEqual([]);
    while (pending.length) pending.shift()!();
    await exiting;
    expect(exits).toEqual([3]);
  });
});

describe("suggested commands are named from one place and pasted safely", () => {
  it("names the command as the user runs it and quotes every argument", () => {
    expect(commandLine("record-handover", ["--stack", "$(touch x)", "--integration", "crm"], false)).toBe(
      "npm run -s record-handover -- --stack '$(touch x)' --integration crm",
    );
    expect(commandLine("record-handover", ["--stack", "it's"], true)).toBe(`crm-sync record-handover --stack "it's"`);
    expect(commandLine("plan", [], false)).toBe("npm start");
    expect(invokedThroughBin({}, "/usr/local/bin/crm-sync", "/repo/dist/components")).toBe(true);
    expect(invokedThroughBin({ CRM_SYNC_BIN: "1" }, "/x/node", "/repo/dist/components")).toBe(true);
    expect(
      invokedThroughBin({}, "/repo/dist/scripts/plan.js", "/app/node_modules/crm-sync-infra/dist/components"),
    ).toBe(true);
    expect(invokedThroughBin({}, "/repo/dist/scripts/plan.js", "/repo/dist/components")).toBe(false);
  });
});
