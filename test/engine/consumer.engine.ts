// A platform team's own Pulumi program, in a fresh consumer project that installs this package from its
// `npm pack` tarball, run by the real CLI: the library entry, the serialized providers loading from inside the
// installed package in Pulumi's dynamic-provider host, and a clean destroy.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../emulator/server";
import { createWorkspace, engineInfo, ofType, type Workspace } from "./engine";

const run = promisify(execFile);
const REPO = path.resolve(__dirname, "../..");
const { binDir, skipReason } = engineInfo();
if (skipReason) console.log(skipReason);

const CONSUMER_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { ApplicationUser, ChangeTracking, SecurityRole } from "crm-sync-infra";

const config = new pulumi.Config();
const environmentUrl = config.require("environmentUrl");
const role = new SecurityRole("team-role", {
  environmentUrl,
  roleName: "Platform team sync",
  privileges: [{ name: "prvReadAccount", depth: "Global" }],
});
const user = new ApplicationUser("team-app-user", {
  environmentUrl,
  applicationId: config.require("applicationId"),
  securityRoles: role.roleId.apply((id) => ["Basic User", id]),
});
new ChangeTracking("team-tracking", { environmentUrl, entities: ["account"] });
export const applicationUserId = user.systemUserId;
`;

describe.skipIf(!binDir)(
  "a consumer project's own program using the packed package, through the real pulumi CLI",
  () => {
    let emulator: Emulator;
    let ws: Workspace | undefined;
    let consumerDir = "";
    let missingEntry = "";
    const applicationId = randomUUID();

    beforeAll(async () => {
      consumerDir = mkdtempSync(path.join(tmpdir(), "crm-sync-consumer-"));
      const { stdout } = await run("npm", ["pack", "--silent", "--pack-destination", consumerDir], {
        cwd: REPO,
        maxBuffer: 64 * 1024 * 1024,
      });
      const tarball = path.join(consumerDir, stdout.trim().split("\n").pop()!);
      const { stdout: manifest } = await run("tar", ["-xzOf", tarball, "package/package.json"]);
      const packed = JSON.parse(manifest) as { exports?: Record<string, unknown> };
      if (!packed.exports?.["."]) {
        missingEntry =
          "consumer program skipped: this build of crm-sync-infra has no library entry (package.json exports) yet";
        console.log(missingEntry);
        return;
      }
      const lock = JSON.parse(readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as {
        packages: Record<string, { version: string }>;
      };
      writeFileSync(
        path.join(consumerDir, "package.json"),
        JSON.stringify(
          {
            name: "platform-team-infra",
            private: true,
            dependencies: {
              "crm-sync-infra": `file:${tarball}`,
              "@pulumi/pulumi": lock.packages["node_modules/@pulumi/pulumi"].version,
            },
          },
          null,
          2,
        ),
      );
      // Everything comes from the npm cache the project's own `npm ci` filled.
      await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], {
        cwd: consumerDir,
        maxBuffer: 64 * 1024 * 1024,
      });
      writeFileSync(
        path.join(consumerDir, "Pulumi.yaml"),
        "name: platform-team-infra\nruntime: nodejs\nmain: index.ts\n",
      );
      writeFileSync(path.join(consumerDir, "index.ts"), CONSUMER_PROGRAM);
      emulator = await startEmulator({ token: `engine-token-${randomUUID()}` });
      ws = await createWorkspace(
        binDir!,
        { DATAVERSE_ACCESS_TOKEN: emulator.token, DATAVERSE_RETRY_BASE_MS: "20" },
        consumerDir,
      );
      await ws.setConfig({ environmentUrl: emulator.url, applicationId });
    }, 600_000);
    afterAll(async () => {
      ws?.dispose();
      await emulator?.close();
      if (consumerDir) rmSync(consumerDir, { recursive: true, force: true });
    });

    it("pulumi up creates the three resources from the consumer's program, and destroy removes them", async (ctx) => {
      if (missingEntry) ctx.skip();
      const out = await ws!.ok(["up", "--yes"]);
      expect(out).toMatch(/4 created/);
      const { deployment, text } = await ws!.exportState();
      expect(text).not.toContain(emulator.token);
      const [user] = ofType(deployment, "ApplicationUser");
      expect(emulator.data.users.get(user.id!)?.applicationid).toBe(applicationId);
      // The serialized provider loads its implementation from the installed package, not from this repository.
      expect(String(user.inputs!.__provider)).not.toContain(REPO);
      expect(emulator.data.entities.get("account")!.ChangeTrackingEnabled).toBe(true);

      const again = await ws!.ok(["up", "--yes"]);
      expect(again).toMatch(/4 unchanged/);
      const gone = await ws!.ok(["destroy", "--yes"]);
      expect(gone).toMatch(/4 deleted/);
      expect(emulator.data.users.has(user.id!)).toBe(false);
    });
  },
);
