import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as lockfile from "proper-lockfile";

export interface FileToWrite {
  path: string;
  content: string;
  /** File mode; default: the mode of the file it replaces, else 0o644. */
  mode?: number;
}

/**
 * Refuses to write through a symbolic link: the edit would land in the link's target, which the user did not name.
 * Passing the real path is the explicit way to edit it.
 */
export function refuseSymlink(file: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    return;
  }
  if (stat.isSymbolicLink()) {
    let target = "a missing file";
    try {
      target = fs.realpathSync(file);
    } catch {
      /* dangling link */
    }
    throw new Error(
      `${file} is a symbolic link to ${target}; refusing to write through it (pass the real path to edit that file)`,
    );
  }
  if (!stat.isFile()) throw new Error(`${file} exists and is not a regular file; move it away first`);
}

/** Writes all of `content` to `fd`, checking every byte arrived (a full disk answers short writes, then ENOSPC). */
function writeFully(fd: number, content: string): void {
  const data = Buffer.from(content, "utf8");
  let done = 0;
  while (done < data.length) {
    const n = fs.writeSync(fd, data, done, data.length - done);
    if (n <= 0) throw Object.assign(new Error("short write"), { code: "ENOSPC" });
    done += n;
  }
  fs.fsyncSync(fd);
  if (fs.fstatSync(fd).size !== data.length)
    throw Object.assign(new Error("size mismatch after write"), { code: "EIO" });
}

function modeFor(file: FileToWrite): number {
  if (file.mode !== undefined) return file.mode;
  try {
    return fs.statSync(file.path).mode & 0o7777;
  } catch {
    return 0o644;
  }
}

/**
 * Writes every file or none, each atomically: a hidden temporary file in the same folder (so the rename cannot
 * cross file systems), the whole content written and checked, fsync, then all renamed into place and the folders
 * synced. The mode of a replaced file is kept unless one is given. A failure removes the temporary files: nothing
 * half-written, nothing left behind. Symbolic links are refused.
 */
export function writeFilesAtomically(files: FileToWrite[]): void {
  for (const f of files) refuseSymlink(f.path);
  const staged: { temp: string; final: string }[] = [];
  try {
    for (const f of files) {
      const final = path.resolve(f.path);
      const temp = path.join(path.dirname(final), `.${path.basename(final)}.${randomBytes(6).toString("hex")}.tmp`);
      const mode = modeFor(f);
      const fd = fs.openSync(temp, "wx", mode);
      staged.push({ temp, final });
      try {
        fs.fchmodSync(fd, mode);
        writeFully(fd, f.content);
      } finally {
        fs.closeSync(fd);
      }
    }
    for (const s of staged) fs.renameSync(s.temp, s.final);
  } catch (e) {
    for (const s of staged) fs.rmSync(s.temp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    const where = [...new Set(files.map((f) => path.dirname(f.path)))].join(", ");
    throw code
      ? new Error(
          `cannot write into ${where} (${code}${code === "ENOSPC" ? ": the disk is full" : ""}); nothing was changed`,
        )
      : e;
  }
  for (const dir of new Set(staged.map((s) => path.dirname(s.final)))) syncFolder(dir);
}

/** Makes the renames durable; some file systems cannot open a folder for sync, which is no reason to fail. */
function syncFolder(dir: string): void {
  try {
    const fd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}

/** How long a second edit of the same file waits for the first before it refuses (about 3 s). */
const LOCK_RETRIES = { retries: 12, minTimeout: 100, maxTimeout: 400, factor: 1.3 };

/**
 * Edits `file` under an exclusive lock (`<file>.lock`, removed afterwards; a lock older than 15 s from a crashed
 * run is taken over): reads it, lets `edit` compute the new text from what is there now (so a concurrent edit is
 * never lost), and writes it atomically. `edit` returning undefined writes nothing. A second edit of the same file
 * waits briefly, then refuses by name.
 */
export async function editFileLocked(file: string, edit: (text: string) => string | undefined): Promise<boolean> {
  refuseSymlink(file);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, { retries: LOCK_RETRIES, stale: 15_000, realpath: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ELOCKED") {
      throw new Error(
        `${file} is being edited by another command (lock ${file}.lock); nothing was changed: run this again when it has finished`,
        { cause: e },
      );
    }
    throw new Error(
      `cannot lock ${file} for editing (${(e as NodeJS.ErrnoException).code ?? "error"}); nothing was changed`,
      { cause: e },
    );
  }
  try {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      throw new Error(`${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"}); nothing was changed`, {
        cause: e,
      });
    }
    const next = edit(text);
    if (next === undefined) return false;
    writeFilesAtomically([{ path: file, content: next }]);
    return true;
  } finally {
    await release().catch(() => undefined);
  }
}
