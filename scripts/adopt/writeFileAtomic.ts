import { writeFilesAtomically } from "../cli/safeWrite";

/** Writes one file atomically through the shared helper (temporary file, fsync, rename; symbolic links refused). */
export function writeFileAtomic(file: string, text: string): void {
  writeFilesAtomically([{ path: file, content: text }]);
}
