import { parseArgs } from "node:util";
import { ConfigError } from "../components/config";
import { evaluateStack } from "./sandbox/evaluate";
import { planJson, renderPlanText } from "./sandbox/renderPlan";
import { listStacks } from "./sandbox/stackFiles";

const USAGE = `usage: npm start -- [--stack <name>] [--json]

Runs the Pulumi program for stacks/Pulumi.<name>.yaml offline (Pulumi's mock runtime, fake ids)
and prints what \`pulumi up\` would create. Nothing is sent to Azure or Dataverse.
  --stack <name>  stack to plan (default: dev)
  --json          print one JSON document instead of text; secrets appear as "[secret]"`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: { stack: { type: "string", default: "dev" }, json: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
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
    const plan = await evaluateStack(values.stack!);
    console.log(values.json ? planJson(plan) : `${renderPlanText(plan)}\n\nOffline plan: ids are placeholders; nothing left this machine.`);
    return 0;
  } catch (err) {
    console.error(err instanceof ConfigError ? `stack "${values.stack}": ${err.message}` : `error: ${(err as Error).message}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
