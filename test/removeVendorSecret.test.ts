import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { adopt, ioFromEnv } from "../scripts/adopt/run";
import { startAdoptSandbox, SANDBOX_ENVIRONMENT, SANDBOX_TENANT, type Sandbox } from "../scripts/adopt/sandbox";
import { stackFileText } from "../scripts/adopt/stackText";
import { graphWriter } from "../scripts/cli/graphClient";
import { removeVendorSecret } from "../scripts/adopt/removeVendorSecret";

const NOW = new Date("2026-12-01T12:00:00Z");
let sandbox: Sandbox | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** An adopted daktela stack file, edited as the user would after handing a managed secret over. */
async function adoptedFile(edit: (doc: ReturnType<typeof parseDocument>) => void): Promise<string> {
  await sandbox?.close();
  sandbox = await startAdoptSandbox("daktela", NOW);
  const request = {
    tenantId: SANDBOX_TENANT,
    clientId: sandbox.clientId,
    environments: [SANDBOX_ENVIRONMENT],
    now: NOW,
  };
  const r = await adopt(request, ioFromEnv(sandbox.env));
  const doc = parseDocument(
    stackFileText({ ...request, entry: r.entry, differences: r.differences, profile: r.match.best.profile }),
  );
  edit(doc);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crm-sync-remove-"));
  dirs.push(dir);
  const file = path.join(dir, "Pulumi.adopted.yaml");
  fs.writeFileSync(file, doc.toString());
  return file;
}
const integration = ["config", "crm-sync:integrations", 0];
const handedOver = (doc: ReturnType<typeof parseDocument>) =>
  doc.setIn(
    [...integration, "secret"],
    doc.createNode({ handedOver: { rotation: 1, createdAt: "2026-11-20T00:00:00Z", generation: 0 } }),
  );

describe("removing the vendor's former secret (npm run remove-vendor-secret)", () => {
  it("removes it only when asked in the stack file after a handover: one Graph write, and the file forgets it", async () => {
    const file = await adoptedFile((doc) => {
      handedOver(doc);
      doc.setIn([...integration, "existing", "vendorSecret", "remove"], true);
    });
    const graph = graphWriter(sandbox!.graph.url, async () => sandbox!.graph.token);
    const keyId = sandbox!.graph.data.applications[0].passwordCredentials[0].keyId;
    const dry = await removeVendorSecret(file, "daktela", graph, true);
    expect(dry).toMatchObject({ keyId, removed: false, alreadyGone: false });
    expect(sandbox!.writes().graph).toBe(0);
    const done = await removeVendorSecret(file, "daktela", graph, false);
    expect(done.removed).toBe(true);
    expect(sandbox!.graph.writes().map((w) => w.path)).toEqual([
      `/applications/${sandbox!.graph.data.applications[0].id}/removePassword`,
    ]);
    expect(sandbox!.graph.data.applications[0].passwordCredentials).toEqual([]);
    const after = fs.readFileSync(file, "utf8");
    expect(after).not.toContain(keyId);
    expect(after).toContain("# Adopted by `npm run adopt`");
  });

  it("refuses without remove: true, and before any managed secret was handed over", async () => {
    const file = await adoptedFile(handedOver);
    const graph = graphWriter(sandbox!.graph.url, async () => sandbox!.graph.token);
    await expect(removeVendorSecret(file, "daktela", graph, false)).rejects.toThrow(
      /set existing\.vendorSecret\.remove: true/,
    );
    const early = await adoptedFile((doc) => doc.setIn([...integration, "existing", "vendorSecret", "remove"], true));
    await expect(removeVendorSecret(early, "daktela", graph, false)).rejects.toThrow(
      /no managed secret has been handed over/,
    );
    expect(sandbox!.writes().graph).toBe(0);
  });
});
