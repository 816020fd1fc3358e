import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parseStackOutputs, readInput } from "./sync/stackOutputs";
import { syncConfigFiles } from "./sync/syncConfigFiles";

const USAGE = `usage: pulumi stack output --json --show-secrets | npm run -s export-sync-config -- [--out <dir>] [--redact]
       npm run -s export-sync-config -- --input outputs.json [--out <dir>] [--redact]

Writes <dir>/<integration>.json and <dir>/<integration>.env (default dir: sync-config) with each integration's
settings under the vendor's own field names. Files are created with mode 0600 (owner only).
  --redact   replace secret values with "[redacted]", for sharing`;

/** Creates (or truncates) a file readable by the owner only, whatever the umask or an earlier mode. */
function writePrivate(file: string, text: string): void {
  const fd = fs.openSync(file, "w", 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

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
    fs.mkdirSync(values.out!, { recursive: true, mode: 0o700 });
    for (const f of files) {
      writePrivate(path.join(values.out!, `${f.integration}.json`), f.json);
      writePrivate(path.join(values.out!, `${f.integration}.env`), f.env);
      console.log(`wrote ${path.join(values.out!, f.integration)}.{json,env}${values.redact ? " (secrets redacted)" : " (contains secrets: mode 0600)"}`);
    }
    return 0;
  } catch (err) {
    console.error(`export-sync-config: ${(err as Error).message}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
