import * as path from "node:path";
import { editFileLocked } from "./safeWrite";

/**
 * Edits a stack file under its lock and writes it atomically; `edit` gets the file's current text (re-read under the
 * lock) and returns the edited, validated text. With --dry-run nothing is written.
 */
export async function editStackFile(
  file: string,
  edit: (text: string) => string,
  dryRun: boolean | undefined,
  log: (line: string) => void,
): Promise<void> {
  const changed = await editFileLocked(file, (text) => {
    const next = edit(text);
    return dryRun ? undefined : next;
  });
  if (dryRun) log("dry run: the stack file was not changed");
  else if (changed)
    log(`updated ${path.relative(process.env.INIT_CWD ?? process.cwd(), file) || file}; commit it with the deployment`);
}
