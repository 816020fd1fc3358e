#!/usr/bin/env node
// npm run engine:setup — provides the real Pulumi CLI for the engine tests (test/engine/).
//
// 1. A `pulumi` on PATH whose version matches @pulumi/pulumi in package-lock.json (with its
//    pulumi-language-nodejs beside it) is used as it is.
// 2. Otherwise, with Go present, the CLI is built from the Go module proxy through a wrapper module generated
//    into .engine/build (ignored), and our small Node.js language host (scripts/engine/langhost) beside it,
//    into .engine/bin, together with the shims the CLI distribution ships. Cached: a second run only checks
//    a stamp.
// 3. Neither: one line says so, and the engine tests skip.
// The result is written to .engine/engine.json, which test/engine/ reads.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const engineDir = join(repoRoot, ".engine");
const binDir = join(engineDir, "bin");
const buildDir = join(engineDir, "build");
const langhostSource = join(repoRoot, "scripts", "engine", "langhost", "main.go");
const started = Date.now();

function lockedPulumiVersion() {
  const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8"));
  const version = lock.packages?.["node_modules/@pulumi/pulumi"]?.version;
  if (!version) throw new Error("package-lock.json has no node_modules/@pulumi/pulumi entry");
  return version;
}

function tryOutput(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { encoding: "utf8", ...options });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function onPath(name) {
  return tryOutput("sh", ["-c", `command -v ${name}`]);
}

function writeEngineFile(info) {
  mkdirSync(engineDir, { recursive: true });
  writeFileSync(join(engineDir, "engine.json"), JSON.stringify(info, null, 2) + "\n");
}

// Shims as the CLI distribution ships them (sdk/nodejs/dist/pulumi-resource-pulumi-nodejs in
// github.com/pulumi/pulumi): they resolve the SDK's entry point from the working directory the engine gives
// them (the program's, or the policy pack's) and run it with node.
function writeShims(dir) {
  const shim = (module) => `#!/bin/sh
script=$(node -e "process.stdout.write(require.resolve('${module}'))") || exit 1
exec node "$script" "$@"
`;
  const files = {
    "pulumi-resource-pulumi-nodejs": shim("@pulumi/pulumi/cmd/dynamic-provider"),
    "pulumi-analyzer-policy": shim("@pulumi/pulumi/cmd/run-policy-pack"),
  };
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
  // Without a nodejs language host the engine falls back to "pulumi-analyzer-policy-<runtime>"
  // (sdk/go/common/resource/plugin/analyzer_plugin.go, NewPolicyAnalyzer).
  rmSync(join(dir, "pulumi-analyzer-policy-nodejs"), { force: true });
  symlinkSync("pulumi-analyzer-policy", join(dir, "pulumi-analyzer-policy-nodejs"));
}

function buildStamp(version, goVersion) {
  const hash = createHash("sha256");
  hash.update(version).update(goVersion).update(readFileSync(langhostSource));
  hash.update(readFileSync(fileURLToPath(import.meta.url)));
  return hash.digest("hex");
}

function go(args, cwd) {
  console.log(`engine:setup: go ${args.join(" ")}`);
  execFileSync("nice", ["-n", "10", "go", ...args], {
    cwd,
    stdio: "inherit",
    env: { ...process.env, GOTOOLCHAIN: "local" },
  });
}

function buildFromModules(version, goVersion) {
  const stampFile = join(binDir, ".stamp");
  const stamp = buildStamp(version, goVersion);
  const binaries = ["pulumi", "pulumi-language-nodejs"].map((name) => join(binDir, name));
  if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp && binaries.every((b) => existsSync(b))) {
    console.log(`engine:setup: cached pulumi v${version} in .engine/bin`);
    return;
  }
  console.log(`engine:setup: building pulumi v${version} from the Go module proxy (cold builds take 10-30 minutes)`);
  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(join(buildDir, "cmd", "pulumi-language-nodejs"), { recursive: true });
  mkdirSync(binDir, { recursive: true });
  // The CLI's own go.mod (pkg/go.mod at the tag) replaces sdk/v3 with ../sdk, which the wrapper pins to the
  // same version instead, and atotto/clipboard with this fork; replace directives only count in the main
  // module, so the wrapper repeats the one that is not a local path.
  writeFileSync(
    join(buildDir, "go.mod"),
    `module crm-sync-infra/engine-build

go 1.25.11

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
`,
  );
  copyFileSync(langhostSource, join(buildDir, "cmd", "pulumi-language-nodejs", "main.go"));
  go(
    [
      "get",
      "-tool",
      `github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v${version}`,
      `github.com/pulumi/pulumi/sdk/v3@v${version}`,
    ],
    buildDir,
  );
  const ldflags = `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${version}`;
  go(
    [
      "build",
      "-o",
      binDir + "/",
      "-ldflags",
      ldflags,
      "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
      "./cmd/pulumi-language-nodejs",
    ],
    buildDir,
  );
  writeFileSync(stampFile, stamp);
}

function main() {
  const version = lockedPulumiVersion();
  const ambient = onPath("pulumi");
  if (ambient && !ambient.startsWith(binDir)) {
    const ambientVersion = tryOutput(ambient, ["version"]);
    const langhost = existsSync(join(dirname(ambient), "pulumi-language-nodejs")) || onPath("pulumi-language-nodejs");
    if (ambientVersion === `v${version}` && langhost) {
      writeEngineFile({ source: "path", version, binDir: dirname(ambient) });
      console.log(`engine:setup: using ${ambient} (${ambientVersion})`);
      return;
    }
    console.log(`engine:setup: ${ambient} is ${ambientVersion ?? "unusable"}, not v${version}; building instead`);
  }
  const goVersion = tryOutput("go", ["env", "GOVERSION"]);
  if (!goVersion) {
    writeEngineFile({ source: "none", version, reason: `neither pulumi v${version} nor Go is on PATH` });
    console.log(`engine:setup: skipped: neither pulumi v${version} nor Go is on PATH; the engine tests will skip`);
    return;
  }
  buildFromModules(version, goVersion);
  writeShims(binDir);
  const reported = tryOutput(join(binDir, "pulumi"), ["version"]);
  if (reported !== `v${version}`) throw new Error(`built pulumi reports ${reported}, expected v${version}`);
  writeEngineFile({ source: "built", version, binDir });
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`engine:setup: pulumi ${reported} ready in .engine/bin (${seconds}s)`);
}

main();
