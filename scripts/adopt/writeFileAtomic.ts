import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Writes a file all at once: to a temporary name beside it first, then renamed over the target, so a reader never
 * sees half a file and a failure leaves the old one. Refuses a symbolic link or a folder at the target.
 * TEMPORARY: the shared atomic-write helper of scripts/cli replaces this once it is on main.
 */
export function writeFileAtomic(file: string, text: string, mode = 0o644): void {
  const target = path.resolve(file);
  if (fs.existsSync(target) && !fs.lstatSync(target).isFile()) throw new Error(`${file} exists and is not a regular file; refusing to replace it`);
  const dir = path.dirname(target);
  if (!fs.existsSync(dir)) throw new Error(`the folder ${dir} does not exist`);
  const temp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    fs.writeFileSync(temp, text, { mode, flag: "wx" });
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new Error(`cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was written`);
  }
}
