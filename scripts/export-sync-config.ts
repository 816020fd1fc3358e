import * as path from "node:path";
import { parseArgs } from "node:util";
import { parseStackOutputs, readInput } from "./sync/stackOutputs";
import { syncConfigFiles } from "./sync/syncConfigFiles";
import { writeAll } from "./cli/writeAll";

const USAGE = `usage: pulumi stack output --json --show-secrets | npm run -s export-sync-config -- [--out <dir>] [--redact]
       npm run -s export-sync-config -- --input outputs.json [--out <dir>] [--redact]

Writes <dir>/<integration>.json and <dir>/<integration>.env (default dir: sync-config) with each integration's
settings under the vendor's own field names (and connectionProperties where the profile has them). Files are
created with mode 0600 (owner only), all or none, and only inside --out.
  --input <file>  read the outputs from a file instead of stdin ("-" for stdin)
  --out <dir>     the folder to write into (default sync-config)
  --redact        replace secret values with "[redacted]", for sharing`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: {
      input: { type: "string" }, out: { type: "string", default: "sync-config" }, redact: { type: "boolean", default: false }, help: { type: "boolean", short: "h" },
    } }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) { console.log(USAGE); return 0; }
  try {
    const files = syncConfigFiles(parseStackOutputs(await readInput(values.input)), { redact: values.redact! });
    // All files or none, mode 0600, never outside --out whatever the integration names say.
    writeAll(values.out!, files.flatMap((f) => [{ name: `${f.integration}.json`, content: f.json }, { name: `${f.integration}.env`, content: f.env }]));
    for (const f of files) {
      console.log(`wrote ${path.join(values.out!, f.integration)}.{json,env}${values.redact ? " (secrets redacted)" : " (contains secrets: mode 0600)"}`);
    }
    return 0;
  } catch (err) {
    console.error(`export-sync-config: ${(err as Error).message}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
