import { parseStackOutputs, readInput } from "./sync/stackOutputs";
import { renderStatus, statusFailures, statusRows } from "./rotation/status";
import { err, out, runCommand, UsageError } from "./cli/command";
import { stackName } from "./cli/stackTarget";

runCommand({
  name: "secret-status",
  usage: (self) => `pulumi stack output -s <stack> --json | ${self} --stack <stack> [--fail-within-days <n>] [--json]
       ${self} --stack <stack> --input outputs.json

Prints every live client secret per integration: rotation, key id, created, ends, days left, and whether the vendor
holds it. Needs no secret values (no --show-secrets). Exits 1, saying what to do, when a secret the vendor holds ends
within --fail-within-days (default: each integration's secret.expiryWarningDays), no handover is recorded, or the
input has a date or number that is not one: use it as the last step of a scheduled CI job.
  --stack <name>           the stack, for the commands it suggests (required, or --stack-file)
  --stack-file <path>      the stack file Pulumi.<stack>.yaml, to take the stack's name from
  --input <file>           read the outputs from a file instead of stdin ("-" for stdin)
  --fail-within-days <n>   days before the held secret ends at which to fail (0-730)
  --json                   print the rows as JSON`,
  options: {
    stack: { type: "string" },
    "stack-file": { type: "string" },
    input: { type: "string" },
    "fail-within-days": { type: "string" },
    json: { type: "boolean", default: false },
  },
  run: async (values) => {
    const within = values["fail-within-days"];
    if (within !== undefined && (!/^\d{1,3}$/.test(within) || Number(within) > 730)) {
      throw new UsageError(`--fail-within-days must be a whole number of days from 0 to 730, got "${within}"`);
    }
    const stack = stackName(values);
    const outputs = parseStackOutputs(await readInput(values.input, "`pulumi stack output --json`"));
    const foreign = Object.entries(outputs).find(
      ([, o]) => typeof o.generic.stack === "string" && o.generic.stack !== stack,
    );
    if (foreign) {
      throw new Error(
        `integration "${foreign[0]}": these are the outputs of stack "${String(foreign[1].generic.stack)}", not "${stack}"`,
      );
    }
    const rows = statusRows(outputs, new Date());
    // Checked before anything is printed: a malformed number fails the gate instead of printing a partial table.
    const failures = statusFailures(outputs, rows, stack, within === undefined ? undefined : Number(within));
    out(values.json ? JSON.stringify(rows, null, 2) : renderStatus(rows));
    for (const f of failures) err(`secret-status: ${f}`);
    return failures.length ? 1 : 0;
  },
});
