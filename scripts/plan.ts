import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { parseRuntimeConfig } from "../components/config";
import { dynamicResources, runDataverseResources, startSandboxEnvironments } from "./sandbox/dataverseRun";
import { evaluateStack } from "./sandbox/evaluate";
import { planJson, renderPlanText } from "./sandbox/renderPlan";
import { renderDataverseRun, withRealUrls } from "./sandbox/renderSandbox";
import { listStacks, loadStackConfig } from "./sandbox/stackFiles";

const USAGE = `usage: npm start -- [--stack <name>] [--json] [--plan-only] [--at <ISO time>]

Runs a stack from stacks/Pulumi.<name>.yaml in a local sandbox: the real Pulumi program under Pulumi's mock
runtime with a simulated Entra tenant (deterministic ids, generated secrets), and the Dataverse resources executed
for real through Pulumi's dynamic-provider host against an embedded Dataverse Web API emulator on 127.0.0.1.
Then it runs the Dataverse side again to show that nothing changes. Nothing leaves this machine.
  --stack <name>  stack to run (default: dev)
  --json          print only the plan, as one JSON document; secrets appear as "[secret]"
  --plan-only     print the plan without executing the Dataverse side
  --at <time>     evaluate the stack as of another moment (ISO 8601, e.g. 2027-06-01T00:00:00Z), to see what a
                  later rotation will do; default now`;

/** Parses --at: an ISO 8601 time with a date and, if a time is given, a zone; undefined when absent. */
function parseAt(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const ok = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text) && !Number.isNaN(Date.parse(text));
  if (!ok) throw new Error(`--at: "${text}" is not an ISO 8601 time; expected e.g. 2027-06-01 or 2027-06-01T00:00:00Z`);
  return new Date(text);
}

const NOTHING_LEFT = "Nothing left this machine: Entra was simulated in process, Dataverse was the local emulator; ids are placeholders.";

async function sandbox(stack: string, planOnly: boolean, now?: () => Date): Promise<string> {
  if (planOnly) return `${renderPlanText(await evaluateStack(stack, { now }))}\n\n${NOTHING_LEFT}`;
  // The stack is validated exactly as `pulumi up` would, before its environments are swapped for emulators.
  const config = loadStackConfig(stack);
  parseRuntimeConfig(config, now?.());
  const env = await startSandboxEnvironments(config, `sandbox-${randomUUID()}`);
  try {
    const plan = await evaluateStack(stack, { config: env.config, now });
    const urls = new Map([...env.emulators].map(([real, e]) => [e.url, real]));
    process.stderr.write(`[sandbox] running ${dynamicResources(plan.resources).length} Dataverse resources against the emulator ...\n`);
    // The plan is printed whatever happens to the Dataverse run; a failed run is reported under it and fails the command.
    const run = await runDataverseResources(plan.resources, env, (line) => process.stderr.write(`[sandbox] ${line}\n`)).catch((err: Error) => err);
    if (run instanceof Error) process.exitCode = 1;
    const outcome = run instanceof Error ? `\nDataverse run FAILED: ${run.message}` : renderDataverseRun(run);
    return withRealUrls(`${renderPlanText(plan)}\n${outcome}\n\n${NOTHING_LEFT}`, urls);
  } finally {
    await env.close();
  }
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        stack: { type: "string", default: "dev" }, json: { type: "boolean", default: false },
        "plan-only": { type: "boolean", default: false }, at: { type: "string" }, help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(`${USAGE}\n\nstacks: ${listStacks().join(", ")}`);
    return 0;
  }
  let now: (() => Date) | undefined;
  try {
    const at = parseAt(values.at);
    now = at && (() => at);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    console.log(values.json ? planJson(await evaluateStack(values.stack!, { now })) : await sandbox(values.stack!, values["plan-only"]!, now));
    return process.exitCode === 1 ? 1 : 0;
  } catch (err) {
    console.error(`stack "${values.stack}": ${(err as Error).message}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
