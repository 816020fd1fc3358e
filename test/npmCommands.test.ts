import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..");

/**
 * The environment a user's shell gives npm: without the npm_config_* variables an enclosing `npm test -s` would pass
 * down (they would silence the child npm and hide exactly what these tests look for).
 */
function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

async function npm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("npm", args, {
      cwd: ROOT,
      env: userEnv(),
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === "number" ? failed.code : -1,
      stdout: failed.stdout ?? "",
      stderr: failed.stderr ?? "",
    };
  }
}

describe("npm commands as the README writes them", () => {
  it("`npm start -s -- --json` prints one JSON document and nothing else on stdout", async () => {
    const result = await npm(["start", "-s", "--", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout) as { stack: string; resources: { type: string }[]; outputs: object };
    expect(plan.stack).toBe("dev");
    expect(plan.resources.map((r) => r.type)).toContain("pulumi-nodejs:dynamic/dataverse:ApplicationUser");
    expect(plan.outputs).toBeTypeOf("object");
  }, 180_000);

  it("a mistyped script name fails with npm's own error on stderr (no project-wide loglevel=silent)", async () => {
    const result = await npm(["run", "emulater"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Missing script: "emulater"');
    expect(result.stderr).toContain("npm run emulator");
  }, 60_000);
});
