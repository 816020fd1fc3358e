import * as path from "node:path";
import { parseStackOutputs, readInput } from "./sync/stackOutputs";
import { syncConfigFiles } from "./sync/syncConfigFiles";
import { writeAll } from "./cli/writeAll";
import { out, runCommand } from "./cli/command";
import { userPath } from "./cli/commandLine";

runCommand({
  name: "export-sync-config",
  usage: (self) => `pulumi stack output --json --show-secrets | ${self} [--out <dir>] [--redact]
       ${self} --input outputs.json [--out <dir>] [--redact]

Writes <dir>/<integration>.json and <dir>/<integration>.env (default dir: sync-config) with each integration's
settings under the vendor's own field names (and connectionProperties where the profile has them). Files are
created with mode 0600 (owner only), all or none, each written whole before it replaces anything, and only
inside --out.
  --input <file>  read the outputs from a file instead of stdin ("-" for stdin)
  --out <dir>     the folder to write into (default sync-config), relative to the folder you run the command in
  --redact        replace secret values with "[redacted]", for sharing`,
  options: {
    input: { type: "string" },
    out: { type: "string", default: "sync-config" },
    redact: { type: "boolean", default: false },
  },
  run: async (values) => {
    const files = syncConfigFiles(
      parseStackOutputs(await readInput(values.input && values.input !== "-" ? userPath(values.input) : values.input)),
      { redact: values.redact! },
    );
    const dir = userPath(values.out!);
    // All files or none, mode 0600, never outside --out whatever the integration names say.
    writeAll(
      dir,
      files.flatMap((f) => [
        { name: `${f.integration}.json`, content: f.json },
        { name: `${f.integration}.env`, content: f.env },
      ]),
    );
    for (const f of files) {
      out(
        `wrote ${path.join(values.out!, f.integration)}.{json,env}${values.redact ? " (secrets redacted)" : " (contains secrets: mode 0600)"}`,
      );
    }
  },
});
