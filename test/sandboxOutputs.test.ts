import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { loadBuilt } from "./helpers/dist";
import type * as Session from "../scripts/sandbox/session";
import type * as Files from "../scripts/sandbox/stackFiles";
import type * as Run from "../scripts/sandbox/dataverseRun";
import type * as Seed from "../emulator/seed";

const { runSandbox } = loadBuilt<typeof Session>("scripts/sandbox/session.js");
const { loadStackConfig } = loadBuilt<typeof Files>("scripts/sandbox/stackFiles.js");

const PLAN_JS = path.resolve(__dirname, "../dist/scripts/plan.js");
// Spawned runs start a provider host and an emulator: generous bounds for a loaded 2-core machine (no timing asserted).
const SLOW = 120_000;
const ROLE = "CRM sync syncari (syncari)";
const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

function plan(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PLAN_JS, ...args], { env: process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** What the emulator holds after the run: the application user of the stack's app and the generated root role. */
function emulatorIds(env: Run.SandboxEnvironments): {
  systemUserId: string;
  businessUnitId: string;
  roleId: string;
  userRoles: string[];
} {
  const [emulator] = [...env.emulators.values()];
  const data = emulator.data as Seed.EmulatorData;
  const users = [...data.users.values()].filter((u) => u.applicationid);
  expect(users).toHaveLength(1);
  const root = data.businessUnits[0].businessunitid;
  const roles = data.roles.filter((r) => r.name === ROLE && r._businessunitid_value === root);
  expect(roles).toHaveLength(1);
  return {
    systemUserId: users[0].systemuserid,
    businessUnitId: users[0]._businessunitid_value,
    roleId: roles[0].roleid,
    userRoles: [...users[0].roles],
  };
}

const field = (text: string, name: string) => new RegExp(`^    ${name}: (\\S+)$`, "m").exec(text)?.[1];

describe("npm start prints the stack outputs with the ids the Dataverse run created", () => {
  let text = "";
  let json: {
    dataverse: {
      created: { name: string; id: string; systemUserId?: string; businessUnitId?: string; roleIds?: string[] }[];
    };
    outputs: { integrations: Record<string, { generic: Record<string, unknown> }> };
    resources: { type: string; inputs: Record<string, unknown> }[];
  };
  let inText: ReturnType<typeof emulatorIds>;
  let inJson: ReturnType<typeof emulatorIds>;
  const warnings: string[] = [];

  beforeAll(async () => {
    // The program runs twice per sandbox run (plan, outputs with the real ids); its warnings are captured here.
    const warn = vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
      warnings.push(args.map(String).join(" "));
    });
    const config = loadStackConfig("syncari");
    const report = await runSandbox("syncari", config, {
      inspect: (env) => {
        inText = emulatorIds(env);
      },
    });
    expect(report.failed).toBe(false);
    text = report.text;
    const jsonReport = await runSandbox("syncari", config, {
      json: true,
      inspect: (env) => {
        inJson = emulatorIds(env);
      },
    });
    json = JSON.parse(jsonReport.text);
    warn.mockRestore();
  }, SLOW);

  it("prints the program's warning once per run, though the program ran twice", () => {
    expect(warnings.filter((w) => w.includes("client secret of syncari: no handover is recorded"))).toHaveLength(2);
  });

  it("the no-handover warning gives the whole command to record it, stack and integration filled in", () => {
    expect(warnings.join("\n")).toContain("| npm run -s record-handover -- --stack syncari --integration syncari");
  });

  it("text: applicationUserId and securityRoleId are the emulator's ids, and the user holds that role", () => {
    expect(inText.userRoles).toEqual([inText.roleId]);
    expect(field(text, "applicationUserId")).toBe(inText.systemUserId);
    expect(field(text, "securityRoleId")).toBe(inText.roleId);
  });

  it("text: the Dataverse run's lines carry the same ids, and the outputs come after both runs", () => {
    expect(text).toContain(
      `application user ${inText.systemUserId} (created) in business unit ${inText.businessUnitId}, roles: "${ROLE}" ${inText.roleId}`,
    );
    expect(text).toContain(`role "${ROLE}" ${inText.roleId} with`);
    const order = [
      "Plan for stack",
      "Dataverse, executed for real",
      "Second run of the same stack",
      "Stack outputs, as `pulumi stack output` shows them",
      "Nothing left this machine",
    ].map((s) => text.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("text: the plan shows the generated role by name, no placeholder id for it", () => {
    const line = /^ {6}security roles: (.*)$/m.exec(text)?.[1];
    expect(line).toBe(
      `role "${ROLE}" (generated by dataverse:SecurityRole "syncari-role", its id is known once created)`,
    );
    expect(line).not.toMatch(GUID);
  });

  it("--json: outputs, the created resources and the inputs carry the emulator's ids", () => {
    const generic = json.outputs.integrations.syncari.generic;
    expect(generic.applicationUserId).toBe(inJson.systemUserId);
    expect(generic.securityRoleId).toBe(inJson.roleId);
    expect(generic.clientSecret).toBe("[secret]");
    const user = json.dataverse.created.find((c) => c.name === "syncari-app-user")!;
    expect(user).toMatchObject({
      id: inJson.systemUserId,
      systemUserId: inJson.systemUserId,
      businessUnitId: inJson.businessUnitId,
      roleIds: [inJson.roleId],
    });
    expect(json.dataverse.created.find((c) => c.name === "syncari-role")!.id).toBe(inJson.roleId);
    const appUser = json.resources.find((r) => r.type.endsWith(":ApplicationUser"))!;
    expect(appUser.inputs.securityRoles).toEqual([inJson.roleId]);
    expect(appUser.inputs.environmentUrl).toBe("https://contoso.crm.dynamics.com");
  });
});

describe("npm start -- --plan-only prints only the plan", () => {
  it(
    "text: the resources, no Dataverse run, no outputs section",
    async () => {
      const r = await plan(["--stack", "syncari", "--plan-only"]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('Plan for stack "syncari"');
      expect(r.stdout).toContain(`security roles: role "${ROLE}" (generated by dataverse:SecurityRole "syncari-role"`);
      expect(r.stdout).not.toMatch(
        /Stack outputs|integrations\.syncari|applicationUserId|Dataverse, executed|Second run/,
      );
      expect(r.stderr).not.toContain("[sandbox] running");
    },
    SLOW,
  );

  it(
    "--json: a document with the stack and its resources only",
    async () => {
      const r = await plan(["--stack", "syncari", "--plan-only", "--json"]);
      expect(r.status, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(Object.keys(doc)).toEqual(["stack", "resources"]);
      expect(doc.resources.length).toBeGreaterThan(5);
      // The generated role's id does not exist before the run: no placeholder GUID stands in for it.
      const appUser = doc.resources.find((r: { type: string }) => r.type.endsWith(":ApplicationUser"));
      expect(appUser.inputs.securityRoles).toEqual([
        `(id of dataverse:SecurityRole "syncari-role", role "${ROLE}": known once created)`,
      ]);
    },
    SLOW,
  );
});

describe("npm start when the Dataverse run fails", () => {
  let stackFile = "";
  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-outputs-"));
    stackFile = path.join(dir, "Pulumi.broken.yaml");
    // A table the local emulator does not know: the generated role cannot be created there.
    fs.writeFileSync(
      stackFile,
      fs
        .readFileSync(path.resolve(__dirname, "../stacks/Pulumi.syncari.yaml"), "utf8")
        .replace(
          "      profile: syncari",
          "      profile: syncari\n      dataverse:\n        changeTracking: [msdyn_customerasset]",
        ),
    );
  });

  it(
    "text: the plan is printed, the failure named, and the outputs section says they are not available",
    async () => {
      const r = await plan(["--stack-file", stackFile]);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('Plan for stack "broken"');
      expect(r.stdout).toMatch(/Dataverse run FAILED: syncari-role: .*msdyn_customerasset/);
      expect(r.stdout).toContain("Stack outputs: not available, because the Dataverse run failed");
      expect(r.stdout).not.toMatch(/applicationUserId|Stack outputs of/);
    },
    SLOW,
  );

  it(
    "--json: outputs null, and why",
    async () => {
      const r = await plan(["--stack-file", stackFile, "--json"]);
      expect(r.status).toBe(1);
      const doc = JSON.parse(r.stdout);
      expect(doc.outputs).toBeNull();
      expect(doc.outputsNotAvailable).toMatch(/Dataverse run failed/);
      expect(doc.dataverse.failed).toMatch(/msdyn_customerasset/);
    },
    SLOW,
  );
});

describe("npm start -- --help", () => {
  it(
    "lists every flag the command accepts, each on its own line, and nothing it refuses",
    async () => {
      const r = await plan(["--help"]);
      expect(r.status).toBe(0);
      const listed = [...r.stdout.matchAll(/^ {2}(?:-h, )?--([a-z-]+)/gm)].map((m) => m[1]).sort();
      expect(listed).toEqual(["at", "help", "json", "plan-only", "stack", "stack-file"]);
      for (const flag of new Set(r.stdout.match(/--[a-z][a-z-]*/g))) expect(listed).toContain(flag.slice(2));
      const refused = await plan(["--plan-outputs"]);
      expect(refused.status).toBe(2);
    },
    SLOW,
  );
});
