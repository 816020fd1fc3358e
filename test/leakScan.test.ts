import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadBuilt } from "./helpers/dist";
import type * as Evaluate from "../scripts/sandbox/evaluate";
import type * as Run from "../scripts/sandbox/dataverseRun";
import type * as Render from "../scripts/sandbox/renderPlan";
import type * as RenderSandbox from "../scripts/sandbox/renderSandbox";
import type * as RenderOutputs from "../scripts/sandbox/renderOutputs";
import type * as Files from "../scripts/sandbox/stackFiles";
import type * as Resolve from "../scripts/sandbox/resolve";
import type * as Sync from "../scripts/sync/syncConfigFiles";
import type * as Audit from "../scripts/audit/report";
import type * as AuditRead from "../scripts/audit/readState";

const { evaluateStack } = loadBuilt<typeof Evaluate>("scripts/sandbox/evaluate.js");
const { startSandboxEnvironments, runDataverseResources } = loadBuilt<typeof Run>("scripts/sandbox/dataverseRun.js");
const { renderPlanText, planJson } = loadBuilt<typeof Render>("scripts/sandbox/renderPlan.js");
const { renderDataverseRun } = loadBuilt<typeof RenderSandbox>("scripts/sandbox/renderSandbox.js");
const { renderStackOutputs } = loadBuilt<typeof RenderOutputs>("scripts/sandbox/renderOutputs.js");
const { loadStackConfig } = loadBuilt<typeof Files>("scripts/sandbox/stackFiles.js");
const { Secret, revealSecrets } = loadBuilt<typeof Resolve>("scripts/sandbox/resolve.js");
const { syncConfigFiles } = loadBuilt<typeof Sync>("scripts/sync/syncConfigFiles.js");
const { buildReport, renderMarkdown, renderHtml } = loadBuilt<typeof Audit>("scripts/audit/report.js");
const { readAuditInput } = loadBuilt<typeof AuditRead>("scripts/audit/readState.js");

const SECRET = "leakMARKERsecret~9f8e";
const TOKEN = "leak-MARKER-token-7a6b";
const MARKERS = [SECRET, TOKEN];

/** The plan as `pulumi stack export --show-secrets` would hold it: secrets as plaintext under Pulumi's marker. */
function exportWithPlaintextSecrets(plan: Evaluate.Plan): string {
  const wire = (v: unknown): unknown =>
    v instanceof Secret
      ? { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(v.value) }
      : Array.isArray(v)
        ? v.map(wire)
        : v && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, wire(x)]))
          : v;
  const resources = plan.resources.map((r) => ({
    urn: `urn:pulumi:${plan.stack}::crm-sync::${r.type}::${r.name}`,
    type: r.type,
    custom: !r.component,
    inputs: wire(r.inputs),
    outputs: {},
  }));
  resources.unshift({
    urn: `urn:pulumi:${plan.stack}::crm-sync::pulumi:pulumi:Stack::crm-sync-${plan.stack}`,
    type: "pulumi:pulumi:Stack",
    custom: false,
    inputs: {},
    outputs: wire(plan.outputs) as Record<string, unknown>,
  });
  return JSON.stringify({ version: 3, deployment: { manifest: {}, resources } });
}

describe("leak scan: known secret and token markers never appear where they must not", () => {
  const captured: Record<string, string> = {};
  let unredacted = "";

  beforeAll(async () => {
    const env = await startSandboxEnvironments(loadStackConfig("dev"), TOKEN);
    const lines: string[] = [];
    try {
      const secretValues = Object.fromEntries(
        ["contact-center", "mailbox-sync"].flatMap((n) =>
          ["1", "2"].map((s) => [`${n}-secret-${s}`, `${SECRET}-${n}-${s}`]),
        ),
      );
      const plan = await evaluateStack("dev", { config: env.config, secretValues });
      const run = await runDataverseResources(plan.resources, env, (l) => lines.push(l));
      const outputs = revealSecrets(plan.outputs) as { integrations: Record<string, never> };
      captured["sandbox text"] = renderPlanText(plan) + renderDataverseRun(run) + renderStackOutputs(plan.outputs);
      captured["plan JSON"] = planJson(plan);
      captured["provider host log"] = run.hostLog + lines.join("\n");
      captured["serialized resource inputs"] = JSON.stringify(plan.resources);
      captured["dynamic resource outputs"] = JSON.stringify(run.created);
      captured["emulator request log"] = JSON.stringify([...env.emulators.values()].map((e) => e.log));
      const audit = buildReport(readAuditInput(exportWithPlaintextSecrets(plan)));
      captured["audit report"] = renderMarkdown(audit) + renderHtml(audit);
      captured["exported config --redact"] = JSON.stringify(syncConfigFiles(outputs.integrations, { redact: true }));
      unredacted =
        JSON.stringify(syncConfigFiles(outputs.integrations, { redact: false })) + exportWithPlaintextSecrets(plan);
    } finally {
      await env.close();
    }
  }, 60_000);

  it("the markers really flowed through the run (the scan can fail)", () => {
    expect(unredacted).toContain(SECRET);
    expect(captured["dynamic resource outputs"]).toContain("systemUserId");
  });

  it.each([
    "sandbox text",
    "plan JSON",
    "provider host log",
    "serialized resource inputs",
    "dynamic resource outputs",
    "emulator request log",
    "audit report",
    "exported config --redact",
  ])("%s", (what) => {
    expect(captured[what].length).toBeGreaterThan(0);
    for (const marker of MARKERS) expect(captured[what], `${marker} leaked into ${what}`).not.toContain(marker);
  });
});

describe("npm start (the sandbox command)", () => {
  it("runs the dev stack end to end: plan, Dataverse executed, second run without changes, nothing left the machine", () => {
    const run = spawnSync(process.execPath, [path.resolve(__dirname, "../dist/scripts/plan.js"), "--stack", "dev"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "" },
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('+ dataverse:ApplicationUser "contact-center-app-user": application user');
    expect(run.stdout).toContain("change tracking on: account, contact");
    expect(run.stdout).toMatch(/Second run of the same stack: no changes \(\d+ requests, 0 writes\)/);
    // URLs stay clean (ready to paste); the emulation is said once, on a line of its own.
    expect(run.stdout).toContain(
      "Emulated Dataverse environments (the local emulator answered for them): https://contoso-dev.crm4.dynamics.com",
    );
    expect(run.stdout).not.toMatch(/\(emulated\)|undefined/);
    expect(run.stdout).toContain("environment: https://contoso-dev.crm4.dynamics.com\n");
    expect(run.stdout).toContain("Nothing left this machine");
    expect(run.stdout).not.toMatch(/fake~[0-9a-f]{10}/);
    expect(run.stderr).toContain("[sandbox] creating dataverse:ApplicationUser");
  }, 120_000);
});
