import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, parseStackConfig, rawConfigFrom } from "../components/config";
import { rotationPlan } from "../components/entra/rotation";
import { bumpGenerations } from "./rotation/rotateConfig";
import { listStacks, loadStackConfig, stackConfigFromText, stacksDir } from "./sandbox/stackFiles";

const USAGE = `usage: npm run -s rotate-secret -- --stack <name> (--integration <name>... | --all) [--dry-run]

Asks for an on-demand client secret rotation: bumps secret.generation (and records secret.rotatedAt) in
stacks/Pulumi.<stack>.yaml, keeping the rest of the file and its comments. The next \`pulumi up\` replaces the
older of the two secrets and makes it the active one; the previous secret stays valid until its end date.
Commit the changed stack file: the generation is state, a run without it would rotate back.`;

function main(): number {
  let values;
  try {
    ({ values } = parseArgs({ options: {
      stack: { type: "string" }, integration: { type: "string", multiple: true }, all: { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false }, help: { type: "boolean", short: "h" },
    } }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) { console.log(USAGE); return 0; }
  if (!values.stack || (!values.all && !values.integration?.length) || (values.all && values.integration?.length)) {
    console.error(`rotate-secret: give --stack and either --integration or --all\n\n${USAGE}`);
    return 2;
  }
  try {
    const file = path.join(stacksDir(), `Pulumi.${values.stack}.yaml`);
    if (!fs.existsSync(file)) throw new Error(`no stack "${values.stack}" (stacks: ${listStacks().join(", ")})`);
    const now = new Date();
    const { text, changes } = bumpGenerations(fs.readFileSync(file, "utf8"), values.all ? undefined : values.integration, now);
    const before = parseStackConfig(rawConfigFrom(loadStackConfig(values.stack)));
    // The edited text is validated exactly as a preview would, before it is written.
    const after = parseStackConfig(rawConfigFrom(stackConfigFromText(text, file)));
    for (const change of changes) {
      const old = before.integrations.find((i) => i.name === change.integration)!;
      const neu = after.integrations.find((i) => i.name === change.integration)!;
      const planBefore = rotationPlan({ ...old.secret, anchor: old.secret.rotationAnchor }, now);
      const planAfter = rotationPlan({ ...neu.secret, anchor: neu.secret.rotationAnchor }, now);
      console.log(`${change.integration}: generation ${change.from} -> ${change.to}; next \`pulumi up -s ${values.stack}\` replaces slot ${planAfter.active.slot} ` +
        `and makes it active (ends ${planAfter.active.endDate}); slot ${planBefore.active.slot} stays valid until ${planBefore.active.endDate}`);
    }
    if (values["dry-run"]) {
      console.log("dry run: the stack file was not changed");
    } else {
      fs.writeFileSync(file, text);
      console.log(`updated ${path.relative(process.cwd(), file)}; commit it with the deployment`);
    }
    return 0;
  } catch (err) {
    console.error(`rotate-secret: ${err instanceof ConfigError ? err.message : (err as Error).message}`);
    return 1;
  }
}

process.exit(main());
