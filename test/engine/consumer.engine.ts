// A platform team's own Pulumi program, in a fresh consumer project that installs this package from its
// `npm pack` tarball, run by the real CLI: the library entry, the serialized providers loading from inside the
// installed package in Pulumi's dynamic-provider host, and a clean destroy.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../emulator/server";
import { createConsumerProject, packPackage, type ConsumerProject } from "../helpers/consumerProject";
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
  grants: [{ table: "account", operation: "read", depth: "Global", reason: "declared" }],
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
    let work = "";
    let consumer: ConsumerProject | undefined;
    let missingEntry = "";
    const applicationId = randomUUID();

    beforeAll(async () => {
      work = mkdtempSync(path.join(tmpdir(), "crm-sync-consumer-"));
      const packed = await packPackage(work);
      const { stdout: manifest } = await run("tar", ["-xzOf", packed.tarball, "package/package.json"]);
      if (!(JSON.parse(manifest) as { exports?: Record<string, unknown> }).exports?.["."]) {
        missingEntry =
          "consumer program skipped: this build of crm-sync-infra has no library entry (package.json exports) yet";
        console.log(missingEntry);
        return;
      }
      // The package's own consumer-project helper: tarball install, offline from the npm cache, pinned lockfile.
      consumer = await createConsumerProject({ mode: "tarball", packed, program: CONSUMER_PROGRAM, root: work });
      const compiled = await consumer.compile();
      if (compiled.code !== 0)
        throw new Error(`the consumer's program does not compile:\n${compiled.stdout}${compiled.stderr}`);
      emulator = await startEmulator({ token: `engine-token-${randomUUID()}` });
      ws = await createWorkspace(
        binDir!,
        { DATAVERSE_ACCESS_TOKEN: emulator.token, DATAVERSE_RETRY_BASE_MS: "20" },
        consumer.dir,
      );
      await ws.setConfig({ environmentUrl: emulator.url, applicationId });
    }, 600_000);
    afterAll(async () => {
      ws?.dispose();
      await emulator?.close();
      consumer?.remove();
      if (work) rmSync(work, { recursive: true, force: true });
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
