import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createConsumerProject,
  packPackage,
  type ConsumerProject,
  type PackedPackage,
} from "./helpers/consumerProject";
import { startEmulator, type Emulator } from "../emulator/server";
import { startProviderHost, urnFor } from "../scripts/sandbox/providerHost";

// Slow by nature (two offline installs): one file, generous timeouts, no timing assertions.
const INSTALL_TIMEOUT = 15 * 60_000;
const TOKEN = "consumer-install-token";

/** The consumer program of issue 20, verbatim: a platform team's own Pulumi program. */
const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { SyncIntegration } from "crm-sync-infra";

const environmentUrl: pulumi.Output<string> = pulumi.output("https://contoso.crm4.dynamics.com");
const daktela = new SyncIntegration("daktela", {
  tenantId: "5f3c1a2b-7d4e-4f60-9a8b-0c1d2e3f4a5b",
  profile: "daktela",
  dataverse: { environmentUrl, securityRoles: ["Basic User"], changeTracking: ["account", "contact"] },
});
export const outputs = daktela.outputs;
`;

/** Runs the compiled program under the package's own mocks; prints outputs (secret fields redacted) and resources. */
const RUN_UNDER_MOCKS = `const pulumi = require("@pulumi/pulumi");
const { MockCloud } = require("crm-sync-infra/testing");
const settle = (o) => new Promise((resolve) => pulumi.output(o).apply(resolve));
(async () => {
  const cloud = new MockCloud();
  await pulumi.runtime.setMocks(cloud, "consumer", "dev", false);
  const program = require("./bin/index.js");
  const generic = program.outputs.generic;
  const clientSecretIsSecret = await pulumi.isSecret(generic.clientSecret);
  const outputs = await settle(program.outputs);
  for (const field of outputs.secretFields) outputs.settings[field] = "[redacted]";
  outputs.generic.clientSecret = "[redacted]";
  const dynamic = cloud.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
  process.stdout.write(JSON.stringify({
    outputs, clientSecretIsSecret,
    types: cloud.resources.map((r) => r.type),
    dynamic: dynamic.map((r) => ({ type: r.type, name: r.name, inputs: r.inputs })),
  }));
})().catch((err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); });
`;

interface MockRun {
  outputs: {
    profile: string;
    settings: Record<string, string>;
    secretFields: string[];
    generic: Record<string, unknown>;
    profileEntries: Record<string, unknown>;
  };
  clientSecretIsSecret: boolean;
  types: string[];
  dynamic: { type: string; name: string; inputs: Record<string, unknown> }[];
}

let work: string;
let packed: PackedPackage;
let emulator: Emulator;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "crm-sync-pack-"));
  packed = await packPackage(work);
  emulator = await startEmulator({ token: TOKEN });
}, INSTALL_TIMEOUT);
afterAll(async () => {
  await emulator?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
}, 300_000);

describe("the packed tarball", () => {
  it("holds the library, its declarations, the providers entry and the bin; no tests, stacks, bench, CI, maps or build info", () => {
    expect(packed.files).toEqual(
      expect.arrayContaining([
        "package.json",
        "README.md",
        "bin/crm-sync.js",
        "dist/components/index.js",
        "dist/components/index.d.ts",
        "dist/components/syncIntegrationArgs.d.ts",
        "dist/providers/index.js",
        "dist/scripts/record-handover.js",
      ]),
    );
    const unwanted = packed.files.filter((f) =>
      /^(test|stacks|bench|\.ci|policy|components|scripts|emulator)\/|\.map$|tsbuildinfo|^dist\/(test|bench|policy|stacks)\/|\.test\./.test(
        f,
      ),
    );
    expect(unwanted).toEqual([]);
    expect(packed.files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
  });
});

describe.each(["tarball", "file"] as const)("a consumer project installing crm-sync-infra as a %s", (mode) => {
  let consumer: ConsumerProject;
  let mockRun: MockRun;

  beforeAll(async () => {
    consumer = await createConsumerProject({
      mode,
      packed,
      program: PROGRAM,
      files: { "run-mocks.js": RUN_UNDER_MOCKS },
      root: fs.mkdtempSync(path.join(work, `${mode}-`)),
    });
  }, INSTALL_TIMEOUT);

  it("has a clean npm ls", async () => {
    const ls = await consumer.npmLs();
    expect(ls.stderr).toBe("");
    expect(ls.code).toBe(0);
    expect(ls.stdout).toContain("crm-sync-infra@");
  }, 120_000);

  it("has the crm-sync command, which lists every script and refuses an unknown one", async () => {
    const bin = path.join(consumer.dir, "node_modules", ".bin", "crm-sync");
    const help = await consumer.node(bin, ["--help"]);
    expect(help.code).toBe(0);
    for (const command of [
      "record-handover",
      "rotate-secret",
      "secret-status",
      "audit-report",
      "export-sync-config",
      "verify-connection",
    ]) {
      expect(help.stdout).toContain(`  ${command}\n`);
    }
    const unknown = await consumer.node(bin, ["no-such-command"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('crm-sync: unknown command "no-such-command"');
  }, 120_000);

  it("type-checks the issue's program with strict, noUncheckedIndexedAccess and exactOptionalPropertyTypes", async () => {
    const tsc = await consumer.compile();
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.code).toBe(0);
  }, 300_000);

  it("imports the library without side effects: no resource, no config read", async () => {
    const probe = await consumer.node("-e", [
      `const lib = require("crm-sync-infra"); const pulumi = require("@pulumi/pulumi");
      process.stdout.write(JSON.stringify({ exports: Object.keys(lib).sort(), hasStack: !!pulumi.runtime.getStackResource?.() }));`,
    ]);
    expect(probe.stderr).toBe("");
    const { exports, hasStack } = JSON.parse(probe.stdout) as { exports: string[]; hasStack: boolean };
    expect(exports).toEqual(
      expect.arrayContaining([
        "SyncIntegration",
        "ApplicationUser",
        "SecurityRole",
        "ChangeTracking",
        "EntraIntegrationApp",
        "defineStack",
        "PROFILES",
        "PROFILE_KEYS",
      ]),
    );
    expect(hasStack).toBe(false);
  }, 120_000);

  it("runs under Pulumi mocks: the integration's outputs, the profile's entries, only secret fields secret", async () => {
    const ran = await consumer.node("run-mocks.js");
    expect(ran.stderr).not.toMatch(/error/i);
    expect(ran.code).toBe(0);
    mockRun = JSON.parse(ran.stdout) as MockRun;
    expect(mockRun.outputs.profile).toBe("daktela");
    expect(mockRun.outputs.settings["Instance URI"]).toBe("https://contoso.crm4.dynamics.com");
    expect(mockRun.outputs.generic.tenantId).toBe("5f3c1a2b-7d4e-4f60-9a8b-0c1d2e3f4a5b");
    expect(mockRun.outputs.generic.changeTrackedTables).toEqual(["account", "contact"]);
    expect(mockRun.outputs.profileEntries["dataverse.securityRoles"]).toEqual({
      fromProfile: [],
      fromUser: ["Basic User"],
    });
    expect(mockRun.clientSecretIsSecret).toBe(true);
    expect(mockRun.types.filter((t) => t === "pulumi:providers:azuread")).toHaveLength(1);
    expect(mockRun.dynamic.map((r) => r.type).sort()).toEqual([
      "pulumi-nodejs:dynamic/dataverse:ApplicationUser",
      "pulumi-nodejs:dynamic/dataverse:ChangeTracking",
    ]);
    for (const r of mockRun.dynamic)
      expect(String(r.inputs.__provider)).toContain("crm-sync-infra/dataverse-providers");
  }, 300_000);

  it("runs its Dataverse resources through the consumer's dynamic-provider host, started in the consumer's folder", async () => {
    expect(mockRun).toBeDefined();
    const host = await startProviderHost(
      { DATAVERSE_ACCESS_TOKEN: TOKEN, DATAVERSE_RETRY_BASE_MS: "20" },
      consumer.dir,
      consumer.providerHostScript,
    );
    try {
      for (const resource of mockRun.dynamic) {
        const urn = urnFor(resource.type, resource.name);
        const news = { ...resource.inputs, environmentUrl: emulator.url };
        const checked = await host.check(urn, {}, news);
        expect(checked.failures).toEqual([]);
        const created = await host.create(urn, checked.inputs);
        expect(created.id).not.toBe("");
        if (resource.type.endsWith(":ChangeTracking")) {
          expect(created.props.enabledEntities).toEqual(["account", "contact"]);
          expect(emulator.data.entities.get("contact")!.ChangeTrackingEnabled).toBe(true);
        } else {
          expect(emulator.data.users.get(created.id)?.applicationid).toBe(
            String(resource.inputs.applicationId).toLowerCase(),
          );
          await host.delete(urn, created.id, created.props);
          expect(emulator.data.users.has(created.id)).toBe(false);
        }
      }
    } finally {
      await host.close();
    }
  }, 300_000);

  afterAll(() => consumer?.remove(), 300_000);
});
