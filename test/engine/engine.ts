// Drives the real `pulumi` CLI (from `npm run engine:setup`) against a local file backend, for test/engine/.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "../..");
const ENGINE_FILE = path.join(REPO, ".engine", "engine.json");
const PROGRAM_TEMPLATE = path.join(__dirname, "program");
const WORK = path.join(__dirname, ".work");

interface EngineInfo {
  source: "path" | "built" | "none";
  version: string;
  binDir?: string;
  reason?: string;
}

/** Where the CLI is, or why the engine tests skip (one line). */
export function engineInfo(): { binDir?: string; skipReason?: string } {
  if (!existsSync(ENGINE_FILE))
    return { skipReason: "engine tests skipped: run `npm run engine:setup` first (no .engine/engine.json)" };
  const info = JSON.parse(readFileSync(ENGINE_FILE, "utf8")) as EngineInfo;
  if (info.source === "none" || !info.binDir)
    return { skipReason: `engine tests skipped: ${info.reason ?? "no pulumi"}` };
  return { binDir: info.binDir };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Workspace {
  /** The program folder the CLI runs in (a copy of test/engine/program's project file, importing its program). */
  dir: string;
  backendDir: string;
  stack: string;
  /** Runs `pulumi <args>` for this stack; never throws on a non-zero exit. */
  pulumi(args: string[], extraEnv?: Record<string, string>): Promise<CliResult>;
  /** Like pulumi(), but fails with the CLI's output when it exits non-zero. */
  ok(args: string[], extraEnv?: Record<string, string>): Promise<string>;
  setConfig(values: Record<string, string>, secret?: boolean): Promise<void>;
  exportState(): Promise<{ text: string; deployment: Deployment }>;
  dispose(): void;
}

export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  retainOnDelete?: boolean;
}
export interface Deployment {
  deployment: { resources?: StateResource[]; secrets_providers?: { type: string; state?: unknown } };
}

/**
 * A fresh stack (of test/engine/program, or of the given program folder) in its own file backend and PULUMI_HOME: nothing is shared with the machine's ~/.pulumi, and
 * nothing reaches the network (no update check, no plugin downloads).
 */
export async function createWorkspace(
  binDir: string,
  env: Record<string, string>,
  programDir?: string,
): Promise<Workspace> {
  let dir = programDir;
  if (!dir) {
    mkdirSync(WORK, { recursive: true });
    dir = mkdtempSync(path.join(WORK, "run-"));
    writeFileSync(path.join(dir, "Pulumi.yaml"), readFileSync(path.join(PROGRAM_TEMPLATE, "Pulumi.yaml")));
    writeFileSync(path.join(dir, "index.ts"), `export * from "../../program/program";\n`);
    // The CLI's TypeScript loader takes tsconfig.json from the program's folder (else Pulumi's defaults, whose lib
    // lacks ES2022): the project's own, as `pulumi up` at the repository root uses it.
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({ extends: path.relative(dir, path.join(REPO, "tsconfig.json")), include: ["index.ts"] }),
    );
  }
  const cwd = dir;
  const backendDir = mkdtempSync(path.join(tmpdir(), "crm-sync-engine-backend-"));
  const home = mkdtempSync(path.join(tmpdir(), "crm-sync-engine-home-"));
  const stack = `engine-${randomUUID().slice(0, 8)}`;
  const baseEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_CONFIG_PASSPHRASE: "engine-test-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    PULUMI_SUPPRESS_COPILOT_LINK: "true",
    NO_COLOR: "1",
    // ts-node type-checks the program on every run unless told otherwise; a test asks for it where it matters
    // (PULUMI_NODEJS_TRANSPILE_ONLY=false), the other runs only transpile (tsc checks the components in the build).
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    ...env,
  };
  const pulumi = (args: string[], extraEnv: Record<string, string> = {}) =>
    new Promise<CliResult>((resolve) => {
      execFile(
        path.join(binDir, "pulumi"),
        [...args, "--non-interactive", "--color", "never"],
        {
          cwd,
          env: { ...baseEnv, ...extraEnv },
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  const ok = async (args: string[], extraEnv?: Record<string, string>) => {
    const result = await pulumi(args, extraEnv);
    if (result.code !== 0)
      throw new Error(`pulumi ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  };
  await ok(["stack", "init", stack]);
  const ws: Workspace = {
    dir: cwd,
    backendDir,
    stack,
    pulumi,
    ok,
    async setConfig(values, secret = false) {
      for (const [key, value] of Object.entries(values)) {
        await ok(["config", "set", "--stack", stack, ...(secret ? ["--secret"] : ["--plaintext"]), key, value]);
      }
    },
    async exportState() {
      const text = await ok(["stack", "export", "--stack", stack]);
      return { text, deployment: JSON.parse(text) as Deployment };
    },
    dispose() {
      for (const d of [programDir ? undefined : cwd, backendDir, home])
        if (d) rmSync(d, { recursive: true, force: true });
    },
  };
  return ws;
}

/** Resources of the stack's state of one Dataverse type (ApplicationUser, SecurityRole, ChangeTracking). */
export const ofType = (deployment: Deployment, type: string) =>
  (deployment.deployment.resources ?? []).filter((r) => r.type === `pulumi-nodejs:dynamic/dataverse:${type}`);
