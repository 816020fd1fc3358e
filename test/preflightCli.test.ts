import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const CLI = path.resolve(__dirname, "../dist/scripts/preflight.js");
const STACKS = path.resolve(__dirname, "../stacks");

async function preflight(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, DATAVERSE_ACCESS_TOKEN: "", GRAPH_ACCESS_TOKEN: "" },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const failLines = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("FAIL"));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "crm-sync-preflight-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Each case starts a node process (and emulators); on a loaded machine that takes seconds, never asserted.
describe("npm run preflight -- --sandbox", { timeout: 120_000 }, () => {
  it("passes the daktela stack with every check ok and no write", async () => {
    const r = await preflight("--stack", "daktela", "--sandbox");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Writes made: 0 \(Dataverse 0, Microsoft Graph 0\)/);
    expect(failLines(r.stdout)).toEqual([]);
    // One line per check, each area present; the stack's real URL is shown, not the emulator's.
    expect(r.stdout).toMatch(/^ok +entra: client secret of daktela/m);
    expect(r.stdout).toMatch(/^ok +dataverse crm: deployer privileges/m);
    expect(r.stdout).toMatch(/^ok +dataverse crm: table phonecall/m);
    expect(r.stdout).toContain("https://contoso.crm4.dynamics.com");
    expect(r.stdout).not.toContain("127.0.0.1");
  });

  it("names a privilege the deployer lacks, and exits 1", async () => {
    const r = await preflight("--stack", "daktela", "--sandbox", "--sandbox-deny", "prvCreateRole");
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      expect.stringMatching(/^FAIL +dataverse crm: deployer privileges: prvCreateRole: the deployer does not hold it/),
    ]);
    expect(r.stdout).toMatch(/Writes made: 0 /);
  });

  it("names a privilege the generated role would grant that the deployer does not hold", async () => {
    const r = await preflight("--stack", "daktela", "--sandbox", "--sandbox-deny", "prvAppendToContact");
    expect(r.code).toBe(1);
    expect(failLines(r.stdout).join("\n")).toMatch(
      /prvAppendToContact: the deployer does not hold it, but granted by "CRM sync daktela \(daktela\)" \(appendTo contact\) at organization \(Global\)/,
    );
  });

  it("names the lifetime over a tenant cap and the longest that fits", async () => {
    const r = await preflight("--stack", "daktela", "--sandbox", "--sandbox-password-max-days", "180");
    expect(r.code).toBe(1);
    const lines = r.stdout.split("\n");
    const i = lines.findIndex((l) => /^FAIL +entra: client secret of daktela/.test(l));
    expect(lines[i]).toMatch(
      /24 months \(\d+ days\), over the tenant's cap of P180D \(180 days.*CredentialInvalidLifetimeAsPerAppPolicy/,
    );
    expect(lines[i + 1]).toMatch(
      /fix: the longest lifetime that fits is 5 month\(s\): set secret.lifetimeMonths: 5 for daktela/,
    );
    expect(failLines(r.stdout)).toHaveLength(1);
  });

  it("names a missing table, and the generated role that needs it", async () => {
    const r = await preflight("--stack", "daktela", "--sandbox", "--sandbox-missing-table", "phonecall", "--json");
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      writes: { dataverse: number; graph: number };
      checks: { check: string; status: string; detail: string }[];
    };
    expect(report.ok).toBe(false);
    expect(report.writes).toEqual({ dataverse: 0, graph: 0 });
    const failing = report.checks.filter((c) => c.status === "fail");
    expect(failing.map((c) => c.check)).toEqual(["table phonecall", "generated role of daktela"]);
    expect(failing[0].detail).toMatch(/table phonecall does not exist/);
  });

  it("reports a running solution operation as a warning, not a failure", async () => {
    const r = await preflight("--stack", "syncari", "--sandbox", "--sandbox-running-operation", "ContosoCore");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^warn +dataverse \w+: customization lock: a solution operation is running now: ContosoCore/m,
    );
  });
});

describe("npm run preflight usage", { timeout: 120_000 }, () => {
  it("reads any stack file with --stack-file, naming the stack from the file name", async () => {
    const file = path.join(tmp, "Pulumi.team-a.yaml");
    fs.copyFileSync(path.join(STACKS, "Pulumi.raynet.yaml"), file);
    const r = await preflight("--stack-file", file, "--sandbox", "--sandbox-password-max-days", "365");
    expect(r.stdout).toMatch(/preflight for stack "team-a"/);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/longest lifetime that fits is 12 month\(s\)/);
  });

  it("refuses switches without --sandbox, unknown privileges and tables, and a missing stack, with exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [["--stack", "daktela", "--sandbox-deny", "prvCreateRole"], /add --sandbox/],
      [["--stack", "daktela", "--sandbox", "--sandbox-deny", "prvNoSuchThing"], /no privilege named "prvNoSuchThing"/],
      [["--stack", "daktela", "--sandbox", "--sandbox-missing-table", "nosuchtable"], /no table "nosuchtable"/],
      [["--stack", "daktela", "--sandbox", "--sandbox-password-max-days", "ten"], /whole number of days/],
      [["--sandbox"], /give the stack/],
    ];
    const results = await Promise.all(cases.map(([args]) => preflight(...args)));
    results.forEach((r, i) => {
      expect({ args: cases[i][0], code: r.code }).toEqual({ args: cases[i][0], code: 2 });
      expect(r.stderr).toMatch(cases[i][1]);
    });
  });

  it("fails a stack whose config pulumi preview would refuse, with the config error", async () => {
    const file = path.join(tmp, "Pulumi.broken.yaml");
    fs.writeFileSync(file, "config:\n  crm-sync:tenantId: not-a-guid\n  crm-sync:integrations: []\n");
    const r = await preflight("--stack-file", file, "--sandbox");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/crm-sync:tenantId: must be a GUID/);
  });
});

describe("CI examples", () => {
  const dir = path.resolve(__dirname, "../ci-examples");
  it("run preflight for the stack before every pulumi up", async () => {
    const { parse } = await import("yaml");
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yml"));
    expect(files).toContain("github-deploy.yml");
    for (const file of files) {
      const text = fs.readFileSync(path.join(dir, file), "utf8");
      const doc = parse(text) as {
        jobs?: Record<string, { steps: { run?: string; uses?: string; with?: { command?: string } }[] }>;
        steps?: { inputs?: { inlineScript?: string } }[];
      };
      // Every command in order: a GitHub step's run or pulumi action, or an Azure DevOps inline script's lines.
      const commands = doc.jobs
        ? Object.values(doc.jobs).flatMap((j) =>
            j.steps.map((s) => s.run ?? (s.uses?.startsWith("pulumi/actions") ? `pulumi ${s.with?.command}` : "")),
          )
        : (doc.steps ?? []).flatMap((s) =>
            (s.inputs?.inlineScript ?? "").split("\n").filter((line) => !line.trim().startsWith("#")),
          );
      const firstUp = commands.findIndex((c) => /pulumi up\b/.test(c));
      const preflight = commands.findIndex((c) => /npm run -s preflight -- --stack /.test(c));
      expect({ file, hasUp: firstUp >= 0, preflightFirst: preflight >= 0 && preflight < firstUp }).toEqual({
        file,
        hasUp: true,
        preflightFirst: true,
      });
    }
  });
});
