import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { ConfigError } from "../components/config";
import { dynamicResources, runDataverseResources, startSandboxEnvironments } from "./sandbox/dataverseRun";
import { evaluateStack } from "./sandbox/evaluate";
import { planJson, renderPlanText } from "./sandbox/renderPlan";
import { renderDataverseRun, withRealUrls } from "./sandbox/renderSandbox";
import { listStacks, loadStackConfig } from "./sandbox/stackFiles";

const USAGE = `usage: npm start -- [--stack <name>] [--json] [--plan-only]

Runs a stack from stacks/Pulumi.<name>.yaml in a local sandbox: the real Pulumi program under Pulumi's mock
runtime with a simulated Entra tenant (deterministic ids, generated secrets), and the Dataverse resources executed
for real through Pulumi's dynamic-provider host against an embedded Dataverse Web API emulator on 127.0.0.1.
Then it runs the Dataverse side again to show that nothing changes. Nothing leaves this machine.
  --stack <name>  stack to run (default: dev)
  --json          print only the plan, as one JSON document; secrets appear as "[secret]"
  --plan-only     print the plan without executing the Dataverse side`;

const NOTHING_LEFT = "Nothing left this machine: Entra was simulated in process, Dataverse was the local emulator; ids are placeholders.";

async function sandbox(stack: string, planOnly: boolean): Promise<string> {
  if (planOnly) return `${renderPlanText(await evaluateStack(stack))}\n\n${NOTHING_LEFT}`;
  const env = await startSandboxEnvironments(loadStackConfig(stack), `sandbox-${randomUUID()}`);
  try {
    const plan = await evaluateStack(stack, { config: env.config });
    const urls = new Map([...env.emulators].map(([real, e]) => [e.url, real]));
    process.stderr.write(`[sandbox] running ${dynamicResources(plan.resources).length} Dataverse resources against the emulator ...\n`);
    const run = await runDataverseResources(plan.resources, env, (line) => process.stderr.write(`[sandbox] ${line}\n`));
    return withRealUrls(`${renderPlanText(plan)}\n${renderDataverseRun(run)}\n\n${NOTHING_LEFT}`, urls);
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
        "plan-only": { type: "boolean", default: false }, help: { type: "boolean", short: "h" },
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
  try {
    console.log(values.json ? planJson(await evaluateStack(values.stack!)) : await sandbox(values.stack!, values["plan-only"]!));
    return 0;
  } catch (err) {
    console.error(err instanceof ConfigError ? `stack "${values.stack}": ${err.message}` : `error: ${(err as Error).message}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
