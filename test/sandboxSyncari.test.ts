import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

describe("npm start -- --stack syncari", () => {
  it("creates the generated role for real against the emulator, assigns it, and the rerun writes nothing", () => {
    const run = spawnSync(
      process.execPath,
      [path.resolve(__dirname, "../dist/scripts/plan.js"), "--stack", "syncari"],
      { encoding: "utf8" },
    );
    expect(run.status, run.stderr).toBe(0);
    const role =
      /\+ dataverse:SecurityRole "syncari-role": role "CRM sync syncari \(syncari\)" ([0-9a-f-]{36}) with (\d+) privileges/.exec(
        run.stdout,
      );
    expect(role).not.toBeNull();
    expect(Number(role![2])).toBeGreaterThan(10);
    expect(run.stdout).toMatch(
      new RegExp(
        `dataverse:ApplicationUser "syncari-app-user": application user \\S+ \\(created\\) .* roles: "CRM sync syncari \\(syncari\\)" ${role![1]}`,
      ),
    );
    expect(run.stdout).toMatch(/Second run of the same stack: no changes \(\d+ requests, 0 writes\)/);
    // preview: operations with recorded names; run: the names resolved from the emulated tables' metadata
    expect(run.stdout).toMatch(
      /organization, account: read prvReadAccount, create prvCreateAccount, write prvWriteAccount/,
    );
    expect(run.stdout).toMatch(
      /business unit, businessunit: prvReadBusinessUnit \(read businessunit \(base: read its business unit\)\)/,
    );
    expect(run.stdout).not.toMatch(/prvRead(account|lead|contact)\b/);
  }, 120_000);
});
