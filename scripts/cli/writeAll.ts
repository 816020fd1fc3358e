import * as fs from "node:fs";
import * as path from "node:path";
import { writeFilesAtomically } from "./safeWrite";

export interface OutputFile {
  /** A plain file name inside the output folder: no folder parts, no "..". */
  name: string;
  content: string;
}

/** Why `name` cannot be a file directly inside the output folder, or undefined. */
export function fileNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(name) || name.includes("..")) {
    return `"${name}" is not a plain file name (letters, digits, ".", "_", "-"; no folders)`;
  }
  return undefined;
}

/**
 * Writes every file or none, through writeFilesAtomically (temporary files in the folder, checked full writes,
 * fsync, renames), each with `mode` whatever the file it replaces had. Nothing is ever written outside `dir`.
 */
export function writeAll(dir: string, files: OutputFile[], mode = 0o600): string[] {
  for (const f of files) {
    const problem = fileNameProblem(f.name);
    if (problem) throw new Error(`refusing to write ${problem}`);
  }
  const root = path.resolve(dir);
  if (fs.existsSync(root) && fs.lstatSync(root).isSymbolicLink())
    throw new Error(
      `${dir} is a symbolic link to ${fs.realpathSync(root)}; refusing to write through it (pass the real path as --out)`,
    );
  if (fs.existsSync(root) && !fs.statSync(root).isDirectory()) throw new Error(`${dir} exists and is not a folder`);
  // Checked before anything is written, so a target that cannot be replaced leaves nothing half done.
  for (const f of files) {
    const target = path.join(root, f.name);
    if (fs.existsSync(target) && !fs.lstatSync(target).isFile())
      throw new Error(`${target} exists and is not a regular file; move it away first`);
  }
  const created = !fs.existsSync(root);
  try {
    makeFolder(root);
  } catch (err) {
    throw new Error(`cannot create the folder ${dir} (${(err as NodeJS.ErrnoException).code ?? "error"})`, {
      cause: err,
    });
  }
  const targets = files.map((f) => {
    const final = path.join(root, f.name);
    if (path.dirname(final) !== root) throw new Error(`refusing to write "${f.name}" outside ${root}`);
    return { path: final, content: f.content, mode };
  });
  try {
    writeFilesAtomically(targets);
  } catch (err) {
    // A folder this call created is not left behind empty.
    if (created) {
      try {
        fs.rmdirSync(root);
      } catch {
        /* not empty: someone else wrote there */
      }
    }
    throw err;
  }
  return targets.map((t) => t.path);
}

/**
 * Creates `dir` and its missing parents one level at a time. Not `mkdirSync(..., { recursive: true })`: under /proc
 * (and other pseudo-filesystems answering ENOENT to every mkdir) Node's recursive mkdir retries for ever and blocks
 * the process, signals included; one level at a time fails at once with the folder's own error.
 */
export function makeFolder(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) fs.mkdirSync(d, { mode: 0o700 });
}
