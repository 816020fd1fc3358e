import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError, parseStackConfig, rawConfigFrom } from "../components/config";
import { recordHandover } from "./rotation/rotateConfig";
import { secretsOf } from "./rotation/secretOutputs";
import { stackConfigFromText, stackFile } from "./sandbox/stackFiles";
import { parseStackOutputs, pickIntegration, readInput } from "./sync/stackOutputs";
import { saveStackFile } from "./cli/saveStackFile";

const USAGE = `usage: pulumi stack output -s <stack> --json | npm run -s record-handover -- --stack <stack> --integration <name> [--rotation <n>] [--dry-run]

Records in stacks/Pulumi.<stack>.yaml (secret.handedOver) that the vendor now holds a client secret: by default the
newest one the outputs list, or --rotation <n>. Run it after pasting the secret into the vendor's settings and
commit the file. The next \`pulumi up\` then removes the older secret, and the schedule counts from this one.
Needs no secret values (no --show-secrets).`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: {
      stack: { type: "string" }, integration: { type: "string" }, rotation: { type: "string" }, input: { type: "string" },
      "dry-run": { type: "boolean", default: false }, help: { type: "boolean", short: "h" },
    } }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) { console.log(USAGE); return 0; }
  if (!values.stack || (values.rotation !== undefined && !/^[1-9]\d{0,5}$/.test(values.rotation))) {
    console.error(`record-handover: ${!values.stack ? "--stack is required" : `--rotation must be a rotation number (1, 2, ...), got "${values.rotation}"`}\n\n${USAGE}`);
    return 2;
  }
  try {
    const file = stackFile(values.stack!);
    const [name, out] = pickIntegration(parseStackOutputs(await readInput(values.input, "`pulumi stack output --json`")), values.integration);
    // The vendor's own secret of an adopted integration was never managed: only a managed rotation can be handed over.
    const secrets = secretsOf(name, out).filter((s) => s.managed !== false);
    if (secrets.length === 0) throw new Error(`integration "${name}" has no managed secret yet: the vendor keeps its own secret until a rotation is due (its warning window, or \`npm run -s rotate-secret\`); then \`pulumi up\` creates rotation 1 to hand over`);
    const wanted = values.rotation === undefined ? secrets[secrets.length - 1] : secrets.find((s) => s.rotation === Number(values.rotation));
    if (!wanted) throw new Error(`integration "${name}" has no live secret with rotation ${values.rotation} (live: ${secrets.map((s) => s.rotation).join(", ")})`);
    if (Date.parse(wanted.endDate) <= Date.now()) throw new Error(`rotation ${wanted.rotation} ended on ${wanted.endDate}: run \`pulumi up -s ${values.stack}\` for a new secret and hand that one over`);
    const text = fs.readFileSync(file, "utf8");
    const current = parseStackConfig(rawConfigFrom(stackConfigFromText(text, file))).integrations.find((i) => i.name === name);
    if (!current) throw new Error(`the stack file has no integration "${name}"`);
    const edited = recordHandover(text, name, { rotation: wanted.rotation, createdAt: wanted.createdAt, generation: current.secret.generation });
    // The edited text is validated exactly as a preview would, before it is written.
    parseStackConfig(rawConfigFrom(stackConfigFromText(edited, file)));
    console.log(`${name}: the vendor holds rotation ${wanted.rotation} (created ${wanted.createdAt}, ends ${wanted.endDate}); the next \`pulumi up -s ${values.stack}\` removes ${secrets.filter((s) => s.rotation !== wanted.rotation).map((s) => `rotation ${s.rotation}`).join(", ") || "nothing"}`);
    saveStackFile(file, edited, values["dry-run"]);
    return 0;
  } catch (err) {
    console.error(`record-handover: ${err instanceof ConfigError ? err.message : (err as Error).message}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
