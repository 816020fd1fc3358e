import { instantProblem } from "../components/entra/secretExpiry";
import { runSandbox } from "./sandbox/session";
import { listStacks, readStackText, stackConfigFromText } from "./sandbox/stackFiles";
import { errorText, out, runCommand, UsageError } from "./cli/command";
import { STACK_OPTIONS, stackTarget } from "./cli/stackTarget";

/** Parses --at: a real ISO 8601 calendar instant in a sane range; undefined when absent. */
function parseAt(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const problem = instantProblem(text);
  if (problem) throw new UsageError(`--at: ${problem}`);
  return new Date(Date.parse(text));
}

runCommand({
  name: "plan",
  usage: (self) => `${self} [--stack <name>] [--stack-file <path>] [--plan-only] [--json] [--at <ISO time>]

Runs a stack from stacks/Pulumi.<name>.yaml in a local sandbox, nothing leaving this machine, and prints in order:
  1. the plan: the real Pulumi program under Pulumi's mock runtime with a simulated Entra tenant (placeholder ids,
     generated secrets): every resource with its key inputs, generated security roles by name;
  2. the Dataverse resources executed for real through Pulumi's dynamic-provider host against an embedded Dataverse
     Web API emulator on 127.0.0.1: the ids they were created with, request and write counts;
  3. the same Dataverse resources run again (read, check, diff): nothing changes, nothing is written;
  4. the stack outputs, evaluated with the ids step 2 created (as after \`pulumi up\`), secrets masked; when step 2
     fails, the plan is still printed, this section says the outputs are not available, and the exit code is 1.
  --stack <name>        stack to run (default: dev); with --stack-file, the name to run that file as
  --stack-file <path>   the stack file to run instead, relative to the folder you run the command in
  --plan-only           print only step 1 (no Dataverse run, no outputs)
  --json                print the same as one JSON document on stdout: { "stack", "resources", "dataverse", "outputs" }
                        ("dataverse": what was created with its ids, and both runs' counts; on a failed run
                        "outputs" is null and "outputsNotAvailable" says why); with --plan-only only
                        { "stack", "resources" }; secrets appear as "[secret]"
  --at <time>           evaluate the stack as of another moment (ISO 8601, e.g. 2027-06-01T00:00:00Z), to see what a
                        later rotation will do; default now
  -h, --help            print this help`,
  helpExtra: () => {
    try {
      return `stacks: ${listStacks().join(", ")}`;
    } catch {
      return "stacks: none";
    }
  },
  options: {
    ...STACK_OPTIONS,
    json: { type: "boolean", default: false },
    "plan-only": { type: "boolean", default: false },
    at: { type: "string" },
  },
  run: async (values) => {
    const at = parseAt(values.at);
    const now = at && (() => at);
    const label = values["stack-file"] ?? values.stack ?? "dev";
    try {
      const target = stackTarget(values, "dev");
      const config = stackConfigFromText(readStackText(target.file), target.file);
      const report = await runSandbox(target.stack, config, {
        planOnly: values["plan-only"],
        json: values.json,
        now,
        progress: (line) => process.stderr.write(`[sandbox] ${line}\n`),
      });
      out(report.text);
      return report.failed ? 1 : 0;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new Error(`stack "${label}": ${errorText(e)}`, { cause: e });
    }
  },
});
