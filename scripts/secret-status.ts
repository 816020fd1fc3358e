import { parseArgs } from "node:util";
import { parseStackOutputs, readInput } from "./sync/stackOutputs";
import { renderStatus, statusFailures, statusRows } from "./rotation/status";

const USAGE = `usage: pulumi stack output -s <stack> --json | npm run -s secret-status -- --stack <stack> [--fail-within-days <n>] [--json]
       npm run -s secret-status -- --stack <stack> --input outputs.json

Prints every live client secret per integration: rotation, key id, created, ends, days left, and whether the vendor
holds it. Needs no secret values (no --show-secrets). Exits 1, saying what to do, when a secret the vendor holds ends
within --fail-within-days (default: each integration's secret.expiryWarningDays) or no handover is recorded:
use it as the last step of a scheduled CI job.
  --stack <name>           the stack, for the commands it suggests (required)
  --fail-within-days <n>   days before the held secret ends at which to fail (0-730)
  --json                   print the rows as JSON`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: {
      stack: { type: "string" }, input: { type: "string" }, "fail-within-days": { type: "string" },
      json: { type: "boolean", default: false }, help: { type: "boolean", short: "h" },
    } }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) { console.log(USAGE); return 0; }
  const within = values["fail-within-days"];
  if (!values.stack || (within !== undefined && !/^\d{1,3}$/.test(within)) || Number(within) > 730) {
    console.error(`secret-status: ${!values.stack ? "--stack is required" : `--fail-within-days must be a whole number of days from 0 to 730, got "${within}"`}\n\n${USAGE}`);
    return 2;
  }
  try {
    const outputs = parseStackOutputs(await readInput(values.input, "`pulumi stack output --json`"));
    const rows = statusRows(outputs, new Date());
    console.log(values.json ? JSON.stringify(rows, null, 2) : renderStatus(rows));
    const failures = statusFailures(outputs, rows, values.stack, within === undefined ? undefined : Number(within));
    for (const f of failures) console.error(`secret-status: ${f}`);
    return failures.length ? 1 : 0;
  } catch (err) {
    console.error(`secret-status: ${(err as Error).message}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
