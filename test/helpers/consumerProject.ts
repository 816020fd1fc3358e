import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const REPO = path.resolve(__dirname, "../..");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const MAX_BUFFER = 64 * 1024 * 1024;

/** The strict flags a demanding consumer compiles with (the issue's check). */
export const STRICT_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "node16",
    moduleResolution: "node16",
    lib: ["ES2022"],
    types: ["node"],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: true,
    outDir: "bin",
    rootDir: ".",
  },
  include: ["index.ts"],
};

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a user's shell: without the npm_* variables an enclosing `npm test` passes down (its
 * `npm_config_local_prefix` would point a child npm at this repository instead of the consumer's folder).
 */
export function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

/** Runs a command to its end; never throws on a non-zero exit (the caller asserts on `code` and the output). */
export async function exec(
  file: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = userEnv(),
): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, env, maxBuffer: MAX_BUFFER });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
  }
}

async function npm(args: string[], cwd: string): Promise<CommandResult> {
  const result = await exec(NPM, [...args, "--no-audit", "--no-fund", "--loglevel=error"], cwd);
  if (result.code !== 0)
    throw new Error(`npm ${args.join(" ")} failed in ${cwd} (exit ${result.code}):\n${result.stderr}${result.stdout}`);
  return result;
}

/** Versions of this repository's installed packages, so consumers install exactly what the npm cache holds. */
export function installedVersion(name: string): string {
  return (
    JSON.parse(fs.readFileSync(path.join(REPO, "node_modules", name, "package.json"), "utf8")) as { version: string }
  ).version;
}

type LockEntry = {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
};
type Lock = {
  name?: string;
  version?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
};

const readLock = (): Lock => JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as Lock;

/** Where Node would find `name` from the lock path `from` (its own node_modules, then each parent's, then the top). */
function lockPathOf(lock: Lock, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!base) return undefined;
    const cut = base.lastIndexOf("/node_modules/");
    base = cut < 0 ? "" : base.slice(0, cut);
  }
}

/**
 * The entries of this repository's lockfile that the named packages need (dependencies, optional ones that are
 * installed, required peers), in the same hoisted layout: a consumer lockfile `npm ci --offline` installs from the
 * npm cache by integrity, without the registry metadata `npm install --offline` would need.
 */
export function lockClosure(roots: Record<string, string>): Record<string, LockEntry> {
  const lock = readLock();
  const picked: Record<string, LockEntry> = {};
  const visit = (from: string, name: string, optional: boolean) => {
    const at = lockPathOf(lock, from, name);
    if (!at) {
      if (optional) return;
      throw new Error(`${name} (needed from ${from || "the root"}) is not in package-lock.json`);
    }
    if (picked[at]) return;
    const { dev: _dev, devOptional: _devOptional, ...entry } = lock.packages[at]!;
    picked[at] = entry;
    for (const dep of Object.keys(entry.dependencies ?? {})) visit(at, dep, false);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(at, dep, true);
    for (const dep of Object.keys(entry.peerDependencies ?? {}))
      visit(at, dep, !!entry.peerDependenciesMeta?.[dep]?.optional);
  };
  for (const name of Object.keys(roots)) visit("", name, false);
  return picked;
}

export interface PackedPackage {
  /** Absolute path of the .tgz `npm pack` wrote. */
  tarball: string;
  /** The paths inside the tarball, as `npm pack` lists them (relative to the package root). */
  files: string[];
}

/** `npm pack` of this repository (already built: `npm test` builds first) into `dir`. */
export async function packPackage(dir: string): Promise<PackedPackage> {
  const { stdout } = await npm(["pack", "--json", "--ignore-scripts", "--pack-destination", dir], REPO);
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  return { tarball: path.join(dir, info!.filename), files: info!.files.map((f) => f.path) };
}

export interface ConsumerOptions {
  /** How the consumer depends on crm-sync-infra: the tarball itself, or a `file:` directory (a checkout). */
  mode: "tarball" | "file";
  packed: PackedPackage;
  /** The consumer's Pulumi program (`index.ts`). */
  program: string;
  /** More files of the consumer project, by relative path. */
  files?: Record<string, string>;
  /** Extra dependencies of the consumer (name -> version); installed offline, so they must be in the npm cache. */
  dependencies?: Record<string, string>;
  /**
   * `file` mode: the checkout the consumer links to (built, with its own `npm ci` done, as a team's checkout is);
   * default this repository. npm reads a linked checkout's node_modules and never writes there.
   */
  checkout?: string;
  /** Parent directory of the project; default a fresh temporary directory. */
  root?: string;
}

export interface ConsumerProject {
  /** The consumer project's folder: a Pulumi program's folder, where the CLI runs the program and provider hosts. */
  dir: string;
  /** Where crm-sync-infra was installed from (`file:` path or tarball). */
  spec: string;
  /** Type-checks and compiles `index.ts` with STRICT_TSCONFIG (this repository's TypeScript) into `bin/`. */
  compile(): Promise<CommandResult>;
  /** `npm ls --all` in the consumer. */
  npmLs(): Promise<CommandResult>;
  /** Runs `node <script>` in the consumer's folder. */
  node(script: string, args?: string[], env?: NodeJS.ProcessEnv): Promise<CommandResult>;
  /** The consumer's own copy of the SDK's dynamic-provider host script (what the CLI starts for dynamic resources). */
  providerHostScript: string;
  /** Removes the project's temporary root. */
  remove(): void;
}

/**
 * A fresh consumer Pulumi project that installs crm-sync-infra as a platform team would, offline from the npm cache:
 * `package.json` with crm-sync-infra (tarball or `file:` directory) and @pulumi/pulumi, `Pulumi.yaml`, the program,
 * a lockfile pinned to this repository's (lockClosure), then `npm ci --offline`. In `file` mode the consumer links to a
 * checkout (default this repository), as a team depending on `file:../crm-sync-infra` does.
 */
export async function createConsumerProject(options: ConsumerOptions): Promise<ConsumerProject> {
  const root = options.root ?? fs.mkdtempSync(path.join(os.tmpdir(), `crm-sync-consumer-${options.mode}-`));
  const dir = path.join(root, "consumer");
  fs.mkdirSync(dir, { recursive: true });
  const checkout = options.checkout ?? REPO;
  const linkPath = path.relative(dir, checkout).split(path.sep).join("/");
  const spec = options.mode === "file" ? `file:${linkPath}` : `file:${options.packed.tarball}`;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  };
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as LockEntry & { name: string };
  const own = { "@pulumi/pulumi": installedVersion("@pulumi/pulumi"), ...options.dependencies };
  const devDependencies = { "@types/node": installedVersion("@types/node") };
  const manifest = {
    name: `consumer-${options.mode}`,
    version: "1.0.0",
    private: true,
    main: "bin/index.js",
    dependencies: { "crm-sync-infra": spec, ...own },
    devDependencies,
  };
  write("package.json", `${JSON.stringify(manifest, null, 2)}\n`);
  const library: LockEntry = {
    version: String(pkg.version),
    license: pkg.license,
    bin: pkg.bin,
    engines: pkg.engines,
    dependencies: pkg.dependencies,
    peerDependencies: pkg.peerDependencies,
    peerDependenciesMeta: pkg.peerDependenciesMeta,
  };
  const packages: Record<string, LockEntry> = {
    "": { name: manifest.name, version: manifest.version, dependencies: manifest.dependencies, devDependencies },
    ...(options.mode === "file"
      ? {
          "node_modules/crm-sync-infra": { resolved: linkPath, link: true },
          [linkPath]: { name: "crm-sync-infra", ...library },
        }
      : { "node_modules/crm-sync-infra": { ...library, resolved: spec } }),
    ...lockClosure(options.mode === "file" ? own : { ...(pkg.dependencies as Record<string, string>), ...own }),
    ...Object.fromEntries(
      Object.entries(lockClosure(devDependencies)).map(([at, entry]) => [at, { ...entry, dev: true }]),
    ),
  };
  write(
    "package-lock.json",
    `${JSON.stringify({ name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`,
  );
  write("Pulumi.yaml", "name: consumer\nruntime: nodejs\nmain: bin/index.js\n");
  write("tsconfig.json", `${JSON.stringify(STRICT_TSCONFIG, null, 2)}\n`);
  write("index.ts", options.program);
  for (const [file, text] of Object.entries(options.files ?? {})) write(file, text);
  await npm(["ci", "--offline"], dir);
  const tsc = path.join(REPO, "node_modules", "typescript", "bin", "tsc");
  return {
    dir,
    spec,
    compile: () => exec(process.execPath, [tsc, "-p", "tsconfig.json"], dir),
    npmLs: () => exec(NPM, ["ls", "--all"], dir),
    node: (script, args = [], env = userEnv()) => exec(process.execPath, [script, ...args], dir, env),
    providerHostScript: path.join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "dynamic-provider", "index.js"),
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
