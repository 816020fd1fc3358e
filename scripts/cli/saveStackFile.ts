import * as fs from "node:fs";
import * as path from "node:path";

/** Writes the edited stack file, or with --dry-run says that it did not; the edit is validated before this. */
export function saveStackFile(file: string, text: string, dryRun: boolean | undefined): void {
  if (dryRun) {
    console.log("dry run: the stack file was not changed");
    return;
  }
  fs.writeFileSync(file, text);
  console.log(`updated ${path.relative(process.cwd(), file)}; commit it with the deployment`);
}
