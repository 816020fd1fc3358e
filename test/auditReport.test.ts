import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readAuditInput } from "../scripts/audit/readState";
import { buildReport, renderHtml, renderMarkdown } from "../scripts/audit/report";

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, "fixtures", name), "utf8");
const SECRET_MARKERS = ["SECRET-MARKER-123", "Zm9vYmFyYmF6cXV1eA", "plaintext", "ciphertext"];

describe("audit report from `pulumi stack export`", () => {
  const report = buildReport(readAuditInput(fixture("stack-export.json")));
  const md = renderMarkdown(report);

  it("names every permission with its kind and consent state, the app user's roles, tables and secret slots", () => {
    expect(report.integrations.map((i) => i.name)).toEqual(["crm"]);
    expect(report.integrations[0].permissions).toEqual([
      { label: "Microsoft Graph: User.Read.All", kind: "application", consented: true },
      { label: "Dynamics CRM: user_impersonation", kind: "delegated", consented: true },
    ]);
    expect(md).toContain("Security roles: Basic User");
    expect(md).toContain("account, contact");
    expect(md).toContain("| 6 (slot a) | 2027-12-31T00:00:00Z | active slot |");
    expect(md).toContain("| 5 (slot b) | 2026-12-31T00:00:00Z | previous slot |");
    expect(md).toContain("| web | https://old.vendor.example.com/cb |");
    expect(md).not.toContain("What this change");
  });

  it("shows a declared permission without its consent resource as not granted", () => {
    const doc = JSON.parse(fixture("stack-export.json"));
    doc.deployment.resources = doc.deployment.resources.filter(
      (r: { urn: string }) => !r.urn.endsWith("crm-consent-graph-User.Read.All"),
    );
    const facts = buildReport(readAuditInput(JSON.stringify(doc))).integrations[0];
    expect(facts.permissions[0]).toEqual({
      label: "Microsoft Graph: User.Read.All",
      kind: "application",
      consented: false,
    });
  });
});

describe("audit report from `pulumi preview --json`", () => {
  const report = buildReport(readAuditInput(fixture("preview.json")));

  it("lists what the change grants, most powerful first, and what it revokes", () => {
    expect(report.changes).toEqual([
      {
        integration: "crm",
        grants: [
          { rank: 0, text: "admin consent, application permission Microsoft Graph: Calendars.ReadWrite" },
          { rank: 2, text: 'Dataverse security role "System Administrator" in https://contoso.crm4.dynamics.com' },
          { rank: 6, text: "client secret slot b, rotation 7, ends 2028-12-30T00:00:00Z" },
        ],
        revokes: [
          { rank: 4, text: "redirect URI (web) https://old.vendor.example.com/cb" },
          { rank: 5, text: "change tracking on contact" },
          { rank: 6, text: "client secret slot b, rotation 5, ends 2026-12-31T00:00:00Z" },
        ],
      },
    ]);
    const md = renderMarkdown(report);
    expect(md.indexOf("What this change grants")).toBeLessThan(md.indexOf("Integration crm"));
  });

  it("reports the state the preview would leave", () => {
    const facts = report.integrations[0];
    expect(facts.permissions.map((p) => p.label)).toContain("Microsoft Graph: Calendars.ReadWrite");
    expect(facts.appUser?.roles).toEqual(["Basic User", "System Administrator"]);
    expect(facts.tables).toEqual(["account"]);
  });
});

describe("secrets", () => {
  it("never appear in the Markdown or HTML, even when the input holds plaintext secrets", () => {
    for (const name of ["stack-export.json", "preview.json"]) {
      const report = buildReport(readAuditInput(fixture(name)));
      const rendered = renderMarkdown(report) + renderHtml(report) + JSON.stringify(report);
      for (const marker of SECRET_MARKERS) expect(rendered).not.toContain(marker);
    }
    expect(fixture("stack-export.json")).toContain("SECRET-MARKER-123"); // the scan can fail
  });
});

describe("audit-report command", () => {
  const script = path.resolve(__dirname, "../dist/scripts/audit-report.js");

  it("writes Markdown and a self-contained, escaped HTML page", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "audit-"));
    const doc = JSON.parse(fixture("stack-export.json"));
    doc.deployment.resources.find((r: { type: string }) => r.type.endsWith("Application")).inputs.displayName =
      "CRM <sync> & co";
    const run = spawnSync(process.execPath, [script, "--out", out], { input: JSON.stringify(doc), encoding: "utf8" });
    expect(run.status).toBe(0);
    const html = fs.readFileSync(path.join(out, "audit-report.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("CRM &lt;sync&gt; &amp; co");
    expect(html).not.toMatch(/<(script|link)\b/);
    expect(fs.readFileSync(path.join(out, "audit-report.md"), "utf8")).toContain("# Audit report: stack prod");
    fs.rmSync(out, { recursive: true });
  });

  it("explains input it cannot read", () => {
    const run = spawnSync(process.execPath, [script], { input: '{"hello": 1}', encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/has neither deployment.resources nor steps .*pulumi stack export/);
  });
});

describe("audit report: a generated security role", () => {
  it("lists its privileges by table and depth, broadest first, and ranks them in what a change grants", () => {
    const r = (
      type: string,
      name: string,
      inputs: Record<string, unknown>,
      custom = true,
      op: "create" | "current" = "create",
    ) => ({
      urn: `urn:pulumi:prod::crm-sync::${type}::${name}`,
      type,
      name,
      custom,
      op,
      new: { inputs, outputs: {} },
      ...(op === "current" ? { old: { inputs, outputs: {} } } : {}),
    });
    const input = {
      source: "preview" as const,
      stack: "prod",
      resources: [
        r("crm-sync:sync:Integration", "crm", {}, false, "current"),
        r("pulumi-nodejs:dynamic/dataverse:SecurityRole", "crm-role", {
          roleName: "CRM sync crm (prod)",
          environmentUrl: "https://x.crm.dynamics.com",
          grants: [
            { table: "systemuser", operation: "read", depth: "narrowest", reason: "base" },
            { table: "account", operation: "read", depth: "Global", reason: "declared" },
            { table: "phonecall", operation: "write", depth: "Local", reason: "declared" },
            { table: "new_thing", operation: "read", depth: "Basic", reason: "declared" },
          ],
        }),
      ],
    };
    const report = buildReport(input as never, new Date("2026-06-01T00:00:00Z"));
    const md = renderMarkdown(report);
    expect(md).toContain('### Generated security role "CRM sync crm (prod)"');
    // real privilege names where recorded (phonecall is prvWriteActivity), honest where not; broadest first
    expect(md.indexOf("read account at Global depth: prvReadAccount (recorded name)")).toBeGreaterThan(-1);
    expect(md.indexOf("read account at Global depth")).toBeLessThan(
      md.indexOf("write phonecall at Local depth: prvWriteActivity (recorded name)"),
    );
    expect(md).toContain("read new_thing at Basic depth: (name resolved from the table's metadata at deploy)");
    expect(md.indexOf("write phonecall at Local")).toBeLessThan(
      md.indexOf("read systemuser at the narrowest allowed depth: prvReadUser (recorded name)"),
    );
    const grants = report.changes![0].grants.map((g) => g.text);
    expect(grants.slice(0, 4)).toEqual([
      'Dataverse privilege prvReadAccount (recorded name): read account at organization depth (role "CRM sync crm (prod)")',
      'Dataverse privilege prvWriteActivity (recorded name): write phonecall at business unit depth (role "CRM sync crm (prod)")',
      `Dataverse privilege (name resolved from the table's metadata at deploy): read new_thing at user depth (role "CRM sync crm (prod)")`,
      'Dataverse privilege prvReadUser (recorded name): read systemuser at the narrowest depth the environment allows (role "CRM sync crm (prod)")',
    ]);
  });
});

describe("audit report: the secret the vendor holds", () => {
  const res = (type: string, name: string, inputs: Record<string, unknown>, custom = true) => ({
    urn: `urn:pulumi:prod::crm-sync::${type}::${name}`,
    type,
    name,
    custom,
    op: "current" as const,
    new: { inputs, outputs: {} },
    old: { inputs, outputs: {} },
  });
  const input = {
    source: "stack export" as const,
    stack: "prod",
    resources: [
      res("crm-sync:sync:Integration", "crm", {}, false),
      res(
        "crm-sync:entra:IntegrationApp",
        "crm",
        {
          expiryWarningDays: 30,
          lifetimeMonths: 12,
          rotateEveryDays: 300,
          heldRotation: 3,
          heldEndsAt: "2027-01-10T08:00:00Z",
        },
        false,
      ),
      res("azuread:index/applicationPassword:ApplicationPassword", "crm-secret-3", { endDate: "2027-01-10T08:00:00Z" }),
      res("azuread:index/applicationPassword:ApplicationPassword", "crm-secret-4", { endDate: "2027-11-06T08:00:00Z" }),
    ],
  };

  it("warns on the held secret inside its window, and marks which secret the vendor holds", () => {
    const md = renderMarkdown(buildReport(input, new Date("2026-12-20T00:00:00Z")));
    expect(md).toContain(
      "The vendor holds rotation 3, ending 2027-01-10T08:00:00Z (21 days from 2026-12-20): WARNING: ends within the 30-day window",
    );
    expect(md).toContain("| 3 | 2027-01-10T08:00:00Z | yes |");
    expect(md).toContain("| 4 | 2027-11-06T08:00:00Z | no (awaiting handover) |");
    expect(renderMarkdown(buildReport(input, new Date("2026-06-01T00:00:00Z")))).toContain("within its lifetime");
  });
});

describe("audit report: where the merged lists came from", () => {
  it("shows, per field, the profile's entries, the user's and whether the profile's list was replaced", () => {
    const profileEntries = {
      permissions: {
        fromProfile: ["Dynamics CRM: user_impersonation (delegated)"],
        fromUser: ["Microsoft Graph: User.Read.All (application)"],
      },
      "dataverse.changeTracking": { fromProfile: [], fromUser: ["account"], replaced: true },
    };
    const integration = {
      urn: "urn:pulumi:prod::crm-sync::crm-sync:sync:Integration::syncari",
      type: "crm-sync:sync:Integration",
      name: "syncari",
      custom: false,
      op: "current",
      new: { inputs: {}, outputs: { profile: "syncari", profileEntries } },
    };
    const md = renderMarkdown(
      buildReport(
        { source: "state", stack: "prod", resources: [integration] } as never,
        new Date("2026-06-01T00:00:00Z"),
      ),
    );
    expect(md).toContain("### Where the lists came from");
    expect(md).toMatch(
      /\| permissions \| Dynamics CRM: user_impersonation \(delegated\) \| Microsoft Graph: User\.Read\.All \(application\) \| no \|/,
    );
    expect(md).toMatch(/\| dataverse\.changeTracking \| - \| account \| yes \|/);
  });
});
