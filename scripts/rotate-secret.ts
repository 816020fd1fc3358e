import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError, parseStackConfig, rawConfigFrom } from "../components/config";
import { endDateOf } from "../components/entra/secretSchedule";
import { bumpGenerations } from "./rotation/rotateConfig";
import { stackConfigFromText, stackFile } from "./sandbox/stackFiles";
import { saveStackFile } from "./cli/saveStackFile";

const USAGE = `usage: npm run -s rotate-secret -- --stack <name> (--integration <name>... | --all) [--dry-run]

Asks for an on-demand client secret rotation: bumps secret.generation in stacks/Pulumi.<stack>.yaml, keeping the
rest of the file and its comments. The next \`pulumi up\` creates a new secret beside the one the vendor holds;
that one stays until you hand the new one over and record it (npm run -s record-handover), or until it ends.
Commit the changed stack file. Needs a recorded handover (secret.handedOver).`;

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
    const file = stackFile(values.stack!);
    const { text, changes } = bumpGenerations(fs.readFileSync(file, "utf8"), values.all ? undefined : values.integration);
    // The edited text is validated exactly as a preview would, before it is written.
    const after = parseStackConfig(rawConfigFrom(stackConfigFromText(text, file)));
    for (const change of changes) {
      const held = after.integrations.find((i) => i.name === change.integration)!.secret;
      const h = held.handedOver;
      if (!h) {
        console.log(`${change.integration}: generation ${change.from} -> ${change.to}; the next \`pulumi up -s ${values.stack}\` creates managed rotation 1 beside the vendor's own secret, which stays untouched`);
        continue;
      }
      console.log(`${change.integration}: generation ${change.from} -> ${change.to}; the next \`pulumi up -s ${values.stack}\` creates rotation ${h.rotation + 1} ` +
        `beside rotation ${h.rotation}, which the vendor holds and which stays valid until ${endDateOf(h.createdAt, held.lifetimeMonths)} or until the handover is recorded`);
    }
    saveStackFile(file, text, values["dry-run"]);
    return 0;
  } catch (err) {
    console.error(`rotate-secret: ${err instanceof ConfigError ? err.message : (err as Error).message}`);
    return 1;
  }
}

process.exit(main());
