import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

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
 * Writes every file or none: each goes to a hidden temporary name in the folder first (created with `mode`), and
 * only when all are written are they renamed into place. A failure removes the temporary files, so no partial
 * file (and no secret) is left behind. Nothing is ever written outside `dir`.
 */
export function writeAll(dir: string, files: OutputFile[], mode = 0o600): string[] {
  for (const f of files) {
    const problem = fileNameProblem(f.name);
    if (problem) throw new Error(`refusing to write ${problem}`);
  }
  const root = path.resolve(dir);
  if (fs.existsSync(root) && !fs.statSync(root).isDirectory()) throw new Error(`${dir} exists and is not a folder`);
  // Checked before anything is written, so a target that cannot be replaced leaves nothing half done.
  for (const f of files) {
    const target = path.join(root, f.name);
    if (fs.existsSync(target) && !fs.lstatSync(target).isFile()) throw new Error(`${target} exists and is not a regular file; move it away first`);
  }
  try {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new Error(`cannot create the folder ${dir} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const staged: { temp: string; final: string }[] = [];
  try {
    for (const f of files) {
      const final = path.join(root, f.name);
      if (path.dirname(final) !== root) throw new Error(`refusing to write "${f.name}" outside ${root}`);
      const temp = path.join(root, `.${f.name}.${randomBytes(6).toString("hex")}.tmp`);
      const fd = fs.openSync(temp, "wx", mode);
      try {
        fs.fchmodSync(fd, mode);
        fs.writeSync(fd, f.content);
      } finally {
        fs.closeSync(fd);
      }
      staged.push({ temp, final });
    }
    for (const s of staged) fs.renameSync(s.temp, s.final);
  } catch (err) {
    for (const s of staged) fs.rmSync(s.temp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw code ? new Error(`cannot write into ${dir} (${code}); nothing was written`) : err;
  }
  return staged.map((s) => s.final);
}
