import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { bumpGenerations, recordHandover } from "../scripts/rotation/rotateConfig";

const YAML = `# Production. Reviewed by the platform team.
config:
  crm-sync:tenantId: 5f3c1a2b-7d4e-4f60-9a8b-0c1d2e3f4a5b   # tenant
  crm-sync:dataverseEnvironments:
    crm: https://contoso.crm4.dynamics.com
  crm-sync:integrations:
    # first integration
    - name: daktela
      profile: daktela
      dataverse:
        securityRoles: [Basic User]
      secret:
        lifetimeMonths: 12     # policy: one year
        generation: 4
        handedOver:
          rotation: 3
          createdAt: 2026-01-01T00:00:00Z
          generation: 4
    - name: raynet
      profile: raynet
`;
const DIST = path.resolve(__dirname, "../dist/scripts");
/** Each spawned command starts a Node process; on a loaded 2-core machine a few take seconds each. */
const SPAWN_TIMEOUT = 180_000;

/** A scratch stacks folder with one stack file, for the commands that edit stack files. */
function scratchStack(text: string): { dir: string; file: string; env: NodeJS.ProcessEnv } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crm-sync-stacks-"));
  const file = path.join(dir, "Pulumi.prod.yaml");
  fs.writeFileSync(file, text);
  return { dir, file, env: { ...process.env, CRM_SYNC_STACKS_DIR: dir } };
}

/** Runs a script with `input` written to its stdin in small chunks with pauses, as `pulumi` writes into a pipe. */
function runPiped(
  script: string,
  args: string[],
  input: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(DIST, script), ...args], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    const chunks = input.match(/[\s\S]{1,40}/g) ?? [];
    const next = () => {
      const chunk = chunks.shift();
      if (chunk === undefined) return child.stdin.end();
      child.stdin.write(chunk);
      setTimeout(next, 3);
    };
    next();
  });
}

const CLIENT_ID = "0a1b2c3d-0000-4000-8000-000000000001";
const outputs = (secrets: object[], expiryWarningDays = 30) =>
  JSON.stringify({
    integrations: {
      daktela: {
        profile: "daktela",
        settings: {},
        secretFields: [],
        generic: { tenantId: "5f3c1a2b-7d4e-4f60-9a8b-0c1d2e3f4a5b", clientId: CLIENT_ID, secrets, expiryWarningDays },
      },
    },
  });
const DAY = 86_400_000;
const isoAt = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

describe("rotate-secret config edit", () => {
  it("bumps the generation, keeping comments and the other lines", () => {
    const { text, changes } = bumpGenerations(YAML, ["daktela"]);
    expect(changes).toEqual([{ integration: "daktela", from: 4, to: 5 }]);
    expect(text).toContain("# Production. Reviewed by the platform team.");
    expect(text).toContain("# first integration");
    expect(text).toMatch(/lifetimeMonths: 12 +# policy: one year/);
    expect(text).toMatch(/secret:\n\s+lifetimeMonths: 12 +# policy: one year\n\s+generation: 5\n/);
    expect(text).toMatch(/- name: raynet\n\s+profile: raynet\n$/);
  });

  it("adds a secret block where there is none, and rotates all with no names given", () => {
    const { text, changes } = bumpGenerations(YAML, undefined);
    expect(changes.map((c) => [c.integration, c.to])).toEqual([
      ["daktela", 5],
      ["raynet", 1],
    ]);
    expect(text).toMatch(/- name: raynet\n\s+profile: raynet\n\s+secret:\n\s+generation: 1\n/);
  });

  it("rejects unknown integration names, listing the real ones", () => {
    expect(() => bumpGenerations(YAML, ["daktela", "syncari"])).toThrow(
      'no integration "syncari" in this stack (there are: daktela, raynet)',
    );
  });

  it("records a handover in place, keeping the rest", () => {
    const text = recordHandover(YAML, "daktela", { rotation: 4, createdAt: "2026-10-01T08:00:00Z", generation: 4 });
    expect(text).toMatch(/handedOver:\n\s+rotation: 4\n\s+createdAt: 2026-10-01T08:00:00Z\n\s+generation: 4\n/);
    expect(text).toMatch(/lifetimeMonths: 12 +# policy: one year/);
  });
});

describe("the commands", () => {
  it(
    "rotate-secret exits non-zero on a bad stack, integration or missing handover, and --dry-run writes nothing",
    () => {
      const script = path.join(DIST, "rotate-secret.js");
      const { file, env } = scratchStack(YAML);
      const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: "utf8", env });
      const badStack = run("--stack", "nope", "--all");
      expect(badStack.status).toBe(1);
      expect(badStack.stderr).toMatch(/no stack "nope": .* does not exist \(stacks here: prod\)/);
      expect(run("--stack", "prod", "--integration", "nope").status).toBe(1);
      expect(run("--stack", "prod").status).toBe(2);
      const noHandover = run("--stack", "prod", "--integration", "raynet");
      expect(noHandover.status).toBe(1);
      expect(noHandover.stderr).toMatch(/generation: asks for an on-demand rotation, but no handover is recorded/);
      const dry = run("--stack", "prod", "--integration", "daktela", "--dry-run");
      expect(dry.status).toBe(0);
      expect(dry.stdout).toMatch(
        /daktela: generation 4 -> 5; the next `pulumi up -s prod` creates rotation 4 beside rotation 3, which the vendor holds and which stays valid until 2027-01-01T00:00:00Z/,
      );
      expect(fs.readFileSync(file, "utf8")).toBe(YAML);
    },
    SPAWN_TIMEOUT,
  );

  it(
    "record-handover reads piped outputs in chunks and records the newest secret; refuses an ended one",
    async () => {
      const { file, env } = scratchStack(YAML);
      const now = Date.now();
      const secrets = [
        {
          rotation: 3,
          keyId: "k3",
          createdAt: isoAt(now - 200 * DAY),
          endDate: isoAt(now + 100 * DAY),
          heldByVendor: true,
          awaitingHandover: false,
        },
        {
          rotation: 4,
          keyId: "k4",
          createdAt: isoAt(now - DAY),
          endDate: isoAt(now + 300 * DAY),
          heldByVendor: false,
          awaitingHandover: true,
        },
      ];
      const ok = await runPiped(
        "record-handover.js",
        ["--stack", "prod", "--integration", "daktela"],
        outputs(secrets),
        env,
      );
      expect(ok.stderr).toBe("");
      expect(ok.status).toBe(0);
      expect(ok.stdout).toMatch(/daktela: the vendor holds rotation 4 .* removes rotation 3/);
      expect(fs.readFileSync(file, "utf8")).toMatch(
        new RegExp(`handedOver:\\n\\s+rotation: 4\\n\\s+createdAt: ${isoAt(now - DAY)}\\n\\s+generation: 4`),
      );
      const backwards = await runPiped(
        "record-handover.js",
        ["--stack", "prod", "--integration", "daktela", "--rotation", "3"],
        outputs(secrets),
        env,
      );
      expect(backwards.status).toBe(1);
      expect(backwards.stderr).toMatch(
        /rotation 3 is older than rotation 4, which is recorded as handed over: a handover never moves backwards/,
      );
      const fresh = scratchStack(YAML);
      const ended = await runPiped(
        "record-handover.js",
        ["--stack", "prod", "--integration", "daktela", "--rotation", "3"],
        outputs([{ ...secrets[0], createdAt: "2026-01-01T00:00:00Z", endDate: isoAt(now - DAY) }]),
        fresh.env,
      );
      expect(ended.status).toBe(1);
      expect(ended.stderr).toMatch(/rotation 3 ended on .*: run `pulumi up -s prod` for a new secret/);
      const bad = await runPiped("record-handover.js", ["--stack", "prod", "--rotation", "x"], "{}", env);
      expect(bad.status).toBe(2);
    },
    SPAWN_TIMEOUT,
  );

  it(
    "secret-status prints each live secret and fails, saying what to do, when the held one ends within the window",
    async () => {
      const { env } = scratchStack(YAML);
      const now = Date.now();
      const healthy = [
        {
          rotation: 3,
          keyId: "k3",
          createdAt: isoAt(now - 10 * DAY),
          endDate: isoAt(now + 200 * DAY),
          heldByVendor: true,
          awaitingHandover: false,
        },
      ];
      const fine = await runPiped("secret-status.js", ["--stack", "prod"], outputs(healthy), env);
      expect(fine.status).toBe(0);
      expect(fine.stdout).toMatch(/integration\s+rotation\s+key id\s+created\s+ends\s+days left\s+vendor holds it/);
      expect(fine.stdout).toMatch(/daktela\s+3\s+k3\s+\S+\s+\S+\s+19\d\s+yes/);
      const ending = [
        { ...healthy[0], endDate: isoAt(now + 12 * DAY) },
        {
          rotation: 4,
          keyId: "k4",
          createdAt: isoAt(now - DAY),
          endDate: isoAt(now + 300 * DAY),
          heldByVendor: false,
          awaitingHandover: true,
        },
      ];
      const late = await runPiped(
        "secret-status.js",
        ["--stack", "prod", "--fail-within-days", "21"],
        outputs(ending),
        env,
      );
      expect(late.status).toBe(1);
      expect(late.stdout).toMatch(/daktela\s+4\s+k4.*no: awaiting handover/);
      expect(late.stderr).toMatch(
        /daktela: the secret the vendor holds \(rotation 3\) ends in 1[01] days.*paste rotation 4.*record-handover -- --stack prod --integration daktela/,
      );
      const byDefault = await runPiped("secret-status.js", ["--stack", "prod"], outputs(ending, 7), env);
      expect(byDefault.status).toBe(0);
      const none = await runPiped(
        "secret-status.js",
        ["--stack", "prod"],
        outputs([{ ...healthy[0], heldByVendor: false, awaitingHandover: true }]),
        env,
      );
      expect(none.status).toBe(1);
      expect(none.stderr).toMatch(/daktela: no handover recorded/);
      const flag = await runPiped(
        "secret-status.js",
        ["--stack", "prod", "--fail-within-days", "-3"],
        outputs(healthy),
        env,
      );
      expect(flag.status).toBe(2);
    },
    SPAWN_TIMEOUT,
  );
});
