import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, parseRuntimeConfig } from "../components/config";
import { DataverseClient } from "../components/dataverse/client";
import { defaultGraphToken, graphReader, GRAPH_ROOT } from "./preflight/graphClient";
import { preflightNeeds } from "./preflight/needs";
import { renderJson, renderText, type ReportExtras } from "./preflight/report";
import { runPreflight } from "./preflight/run";
import { SandboxSwitchError, startPreflightSandbox, type SandboxSwitches } from "./preflight/sandbox";
import { blocks } from "./preflight/types";
import { listStacks, loadStackConfig, stackConfigFromText } from "./sandbox/stackFiles";

const USAGE = `usage: npm run preflight -- (--stack <name> | --stack-file <path>) [--json] [--sandbox [switches]]

Answers "will this \`pulumi up\` succeed here?" before anything is created: reads (never writes) the Entra tenant
through Microsoft Graph and every Dataverse environment of the stack, signed in as \`pulumi up\` would be
(Graph: GRAPH_ACCESS_TOKEN, else DefaultAzureCredential; Dataverse: DATAVERSE_ACCESS_TOKEN, DATAVERSE_TOKEN_FILE, else
DefaultAzureCredential), and prints one line per check: ok, or what will fail, why and the fix.
Exit code: 0 when nothing would stop \`pulumi up\`, 1 when something would (or could not be checked), 2 on bad usage.
  --stack <name>        stacks/Pulumi.<name>.yaml
  --stack-file <path>   any stack file (the stack name is taken from Pulumi.<name>.yaml, or from --stack)
  --json                one JSON document: { stack, ok, checks: [{ area, check, status, detail, fix }] }
  --sandbox             run against local Graph and Dataverse emulators instead (nothing leaves this machine) and
                        report the writes made (there are none); the deployer holds everything unless a switch says:
  --sandbox-deny <privilege>           the deployer lacks this Dataverse privilege (e.g. prvCreateRole); repeatable
  --sandbox-password-max-days <n>      the tenant caps client secret lifetimes at n days (default app management policy)
  --sandbox-missing-table <table>      the environment has no such table (e.g. phonecall); repeatable
  --sandbox-running-operation <name>   a solution operation with this name is running now (a warning); repeatable`;

class UsageError extends Error {}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string" },
      "stack-file": { type: "string" },
      json: { type: "boolean", default: false },
      sandbox: { type: "boolean", default: false },
      "sandbox-deny": { type: "string", multiple: true, default: [] },
      "sandbox-password-max-days": { type: "string" },
      "sandbox-missing-table": { type: "string", multiple: true, default: [] },
      "sandbox-running-operation": { type: "string", multiple: true, default: [] },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  const sandboxOnly = ["sandbox-deny", "sandbox-missing-table", "sandbox-running-operation"]
    .filter((k) => (values[k as keyof typeof values] as string[]).length)
    .concat(values["sandbox-password-max-days"] !== undefined ? ["sandbox-password-max-days"] : []);
  if (sandboxOnly.length && !values.sandbox)
    throw new UsageError(`--${sandboxOnly[0]} simulates a problem in the sandbox: add --sandbox`);
  const days = values["sandbox-password-max-days"];
  if (days !== undefined && !/^[1-9]\d{0,4}$/.test(days))
    throw new UsageError(`--sandbox-password-max-days: expected a whole number of days (1 or more), got "${days}"`);
  for (const p of values["sandbox-deny"]!)
    if (!/^prv[A-Za-z][A-Za-z0-9_]*$/.test(p))
      throw new UsageError(`--sandbox-deny: expected a Dataverse privilege name such as prvCreateRole, got "${p}"`);
  for (const t of values["sandbox-missing-table"]!)
    if (!/^[a-z][a-z0-9_]{0,63}$/.test(t))
      throw new UsageError(`--sandbox-missing-table: expected a table logical name such as phonecall, got "${t}"`);
  const switches: SandboxSwitches = {
    deny: values["sandbox-deny"]!,
    missingTables: values["sandbox-missing-table"]!,
    runningOperations: values["sandbox-running-operation"]!,
    passwordMaxDays: days === undefined ? undefined : Number(days),
  };
  return { values, switches };
}

/** The stack's name and its flat config, from --stack or --stack-file. */
function readStack(
  stack: string | undefined,
  file: string | undefined,
): { stack: string; config: Record<string, string> } {
  if (file) {
    const name = stack ?? /^Pulumi\.(.+)\.yaml$/.exec(path.basename(file))?.[1];
    if (!name)
      throw new UsageError(
        `--stack-file ${file}: name the stack with --stack (the file is not called Pulumi.<stack>.yaml)`,
      );
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (err) {
      throw new Error(
        `--stack-file ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        { cause: err },
      );
    }
    return { stack: name, config: stackConfigFromText(text, file) };
  }
  if (!stack)
    throw new UsageError(
      `name the stack: --stack <name> (stacks here: ${listStacks().join(", ")}) or --stack-file <path>`,
    );
  return { stack, config: loadStackConfig(stack) };
}

const replaceAll = (text: string, urls: Map<string, string>) =>
  [...urls].reduce((t, [from, to]) => t.split(from).join(to), text);

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, switches } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const now = new Date();
  try {
    const { stack, config } = readStack(values.stack, values["stack-file"]);
    // Validated exactly as `pulumi preview` would: a config error is what the first run would meet.
    const stackConfig = parseRuntimeConfig(config, now);
    let results;
    let extras: ReportExtras = {};
    let urls = new Map<string, string>();
    if (values.sandbox) {
      const sandbox = await startPreflightSandbox(config, stackConfig.tenantId, switches);
      try {
        const needs = preflightNeeds(stack, parseRuntimeConfig(sandbox.config, now));
        results = await runPreflight(needs, { graph: sandbox.graph, dataverse: sandbox.dataverse, now });
        extras = sandbox.counts();
        urls = sandbox.realUrls;
      } finally {
        await sandbox.close();
      }
    } else {
      const log = (line: string) => process.stderr.write(`[preflight] ${line}\n`);
      results = await runPreflight(preflightNeeds(stack, stackConfig), {
        graph: graphReader(GRAPH_ROOT, defaultGraphToken()),
        dataverse: (url) => new DataverseClient(url, { log }),
        now,
      });
    }
    console.log(
      replaceAll(values.json ? renderJson(stack, results, extras) : renderText(stack, results, extras), urls),
    );
    return blocks(results) ? 1 : 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof SandboxSwitchError) {
      console.error(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    const prefix = err instanceof ConfigError ? "the stack config would fail `pulumi preview`: " : "";
    console.error(`preflight: ${prefix}${(err as Error).message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
