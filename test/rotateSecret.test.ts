import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { bumpGenerations } from "../scripts/rotation/rotateConfig";

const YAML = `# Production. Reviewed by the platform team.
config:
  crm-sync:tenantId: 5f3c1a2b-7d4e-4f60-9a8b-0c1d2e3f4a5b   # tenant
  crm-sync:integrations:
    # first integration
    - name: daktela
      profile: daktela
      secret:
        lifetimeMonths: 12     # policy: one year
        generation: 4
        rotatedAt: 2026-01-01T00:00:00Z
    - name: raynet
      profile: raynet
`;
const NOW = new Date("2026-11-22T10:00:00.500Z");

describe("rotate-secret config edit", () => {
  it("bumps the generation and records the time, keeping comments and the other lines", () => {
    const { text, changes } = bumpGenerations(YAML, ["daktela"], NOW);
    expect(changes).toEqual([{ integration: "daktela", from: 4, to: 5 }]);
    expect(text).toContain("# Production. Reviewed by the platform team.");
    expect(text).toContain("# first integration");
    expect(text).toMatch(/lifetimeMonths: 12 +# policy: one year/);
    expect(text).toContain("generation: 5\n");
    expect(text).toContain("rotatedAt: 2026-11-22T10:00:00Z");
    expect(text).toMatch(/- name: raynet\n\s+profile: raynet\n$/);
  });

  it("adds a secret block where there is none, and rotates all with no names given", () => {
    const { text, changes } = bumpGenerations(YAML, undefined, NOW);
    expect(changes.map((c) => [c.integration, c.to])).toEqual([["daktela", 5], ["raynet", 1]]);
    expect(text).toMatch(/- name: raynet\n\s+profile: raynet\n\s+secret:\n\s+generation: 1\n\s+rotatedAt: 2026-11-22T10:00:00Z/);
  });

  it("rejects unknown integration names, listing the real ones", () => {
    expect(() => bumpGenerations(YAML, ["daktela", "syncari"], NOW)).toThrow('no integration "syncari" in this stack (there are: daktela, raynet)');
  });

  it("the command exits non-zero on a bad stack or integration, and --dry-run writes nothing", () => {
    const script = path.resolve(__dirname, "../dist/scripts/rotate-secret.js");
    const file = path.resolve(__dirname, "../stacks/Pulumi.dev.yaml");
    const before = fs.readFileSync(file, "utf8");
    const badStack = spawnSync(process.execPath, [script, "--stack", "nope", "--all"], { encoding: "utf8" });
    expect(badStack.status).toBe(1);
    expect(badStack.stderr).toMatch(/no stack "nope" \(stacks: .*dev/);
    const badName = spawnSync(process.execPath, [script, "--stack", "dev", "--integration", "nope"], { encoding: "utf8" });
    expect(badName.status).toBe(1);
    const usage = spawnSync(process.execPath, [script, "--stack", "dev"], { encoding: "utf8" });
    expect(usage.status).toBe(2);
    const dry = spawnSync(process.execPath, [script, "--stack", "dev", "--all", "--dry-run"], { encoding: "utf8" });
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/contact-center: generation 0 -> 1; next `pulumi up -s dev` replaces slot [ab] and makes it active/);
    expect(dry.stdout).toMatch(/mailbox-sync: generation 0 -> 1/);
    expect(fs.readFileSync(file, "utf8")).toBe(before);
  });
});
