import { randomUUID } from "node:crypto";
import { parseRuntimeConfig } from "../components/config";
import { instantProblem } from "../components/entra/secretExpiry";
import { dynamicResources, runDataverseResources, startSandboxEnvironments } from "./sandbox/dataverseRun";
import { evaluateStack } from "./sandbox/evaluate";
import { planJson, renderPlanText } from "./sandbox/renderPlan";
import { renderDataverseRun, withRealUrls } from "./sandbox/renderSandbox";
import { listStacks, readStackText, stackConfigFromText } from "./sandbox/stackFiles";
import { errorText, out, runCommand, UsageError } from "./cli/command";
import { STACK_OPTIONS, stackTarget, type StackTarget } from "./cli/stackTarget";

/** Parses --at: a real ISO 8601 calendar instant in a sane range; undefined when absent. */
function parseAt(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const problem = instantProblem(text);
  if (problem) throw new UsageError(`--at: ${problem}`);
  return new Date(Date.parse(text));
}

const NOTHING_LEFT = "Nothing left this machine: Entra was simulated in process, Dataverse was the local emulator; ids are placeholders.";

async function sandbox(target: StackTarget, config: Record<string, string>, planOnly: boolean, now?: () => Date): Promise<string> {
  if (planOnly) return `${renderPlanText(await evaluateStack(target.stack, { config, now }))}\n\n${NOTHING_LEFT}`;
  // The stack is validated exactly as `pulumi up` would, before its environments are swapped for emulators.
  parseRuntimeConfig(config, now?.());
  const env = await startSandboxEnvironments(config, `sandbox-${randomUUID()}`);
  try {
    const plan = await evaluateStack(target.stack, { config: env.config, now });
    const urls = new Map([...env.emulators].map(([real, e]) => [e.url, real]));
    process.stderr.write(`[sandbox] running ${dynamicResources(plan.resources).length} Dataverse resources against the emulator ...\n`);
    // The plan is printed whatever happens to the Dataverse run; a failed run is reported under it and fails the command.
    const run = await runDataverseResources(plan.resources, env, (line) => process.stderr.write(`[sandbox] ${line}\n`)).catch((e: Error) => e);
    if (run instanceof Error) dataverseRunFailed = true;
    const outcome = run instanceof Error ? `\nDataverse run FAILED: ${run.message}` : renderDataverseRun(run);
    return withRealUrls(`${renderPlanText(plan)}\n${outcome}\n\n${NOTHING_LEFT}`, urls);
  } finally {
    await env.close();
  }
}

let dataverseRunFailed = false;

runCommand({
  name: "plan",
  usage: (self) => `${self} [--stack <name> | --stack-file <path>] [--json] [--plan-only] [--at <ISO time>]

Runs a stack from stacks/Pulumi.<name>.yaml in a local sandbox: the real Pulumi program under Pulumi's mock
runtime with a simulated Entra tenant (deterministic ids, generated secrets), and the Dataverse resources executed
for real through Pulumi's dynamic-provider host against an embedded Dataverse Web API emulator on 127.0.0.1.
Then it runs the Dataverse side again to show that nothing changes. Nothing leaves this machine.
  --stack <name>        stack to run (default: dev)
  --stack-file <path>   the stack file to run instead, relative to the folder you run the command in
  --json                print only the plan, as one JSON document; secrets appear as "[secret]"
  --plan-only           print the plan without executing the Dataverse side
  --at <time>           evaluate the stack as of another moment (ISO 8601, e.g. 2027-06-01T00:00:00Z), to see what a
                        later rotation will do; default now`,
  helpExtra: () => { try { return `stacks: ${listStacks().join(", ")}`; } catch { return "stacks: none"; } },
  options: { ...STACK_OPTIONS, json: { type: "boolean", default: false }, "plan-only": { type: "boolean", default: false }, at: { type: "string" } },
  run: async (values) => {
    const at = parseAt(values.at);
    const now = at && (() => at);
    const label = values["stack-file"] ?? values.stack ?? "dev";
    try {
      const target = stackTarget(values, "dev");
      const config = stackConfigFromText(readStackText(target.file), target.file);
      out(values.json ? planJson(await evaluateStack(target.stack, { config, now })) : await sandbox(target, config, values["plan-only"]!, now));
      return dataverseRunFailed ? 1 : 0;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new Error(`stack "${label}": ${errorText(e)}`);
    }
  },
});
