import * as fs from "node:fs";
import { ConfigError, parseRuntimeConfig } from "../components/config";
import { DataverseClient } from "../components/dataverse/http/client";
import { out, runCommand, UsageError } from "./cli/command";
import { STACK_OPTIONS, STACK_USAGE, stackTarget } from "./cli/stackTarget";
import { defaultGraphToken, graphReader, GRAPH_ROOT } from "./cli/graphClient";
import { preflightNeeds } from "./preflight/needs";
import { renderJson, renderText, type ReportExtras } from "./preflight/report";
import { runPreflight } from "./preflight/run";
import { SandboxSwitchError, startPreflightSandbox, type SandboxSwitches } from "./preflight/sandbox";
import { blocks, type CheckResult } from "./preflight/types";
import { listStacks, stackConfigFromText } from "./sandbox/stackFiles";

const usage = (self: string) => `${self} (--stack <name> | --stack-file <path>) [--json] [--sandbox [switches]]

Answers "will this \`pulumi up\` succeed here?" before anything is created: reads (never writes) the Entra tenant
through Microsoft Graph and every Dataverse environment of the stack, signed in as \`pulumi up\` would be
(Graph: GRAPH_ACCESS_TOKEN, else DefaultAzureCredential; Dataverse: DATAVERSE_ACCESS_TOKEN, DATAVERSE_TOKEN_FILE, else
DefaultAzureCredential), and prints one line per check: ok, or what will fail, why and the fix.
Exit code: 0 when nothing would stop \`pulumi up\`, 1 when something would (or could not be checked), 2 on bad usage.
${STACK_USAGE}
  --json                one JSON document: { stack, ok, checks: [{ area, check, status, detail, fix }] }
  --sandbox             run against local Graph and Dataverse emulators instead (nothing leaves this machine) and
                        report the writes made (there are none); the deployer holds everything unless a switch says:
  --sandbox-deny <privilege>           the deployer lacks this Dataverse privilege (e.g. prvCreateRole); repeatable
  --sandbox-password-max-days <n>      the tenant caps client secret lifetimes at n days (default app management policy)
  --sandbox-missing-table <table>      the environment has no such table (e.g. phonecall); repeatable
  --sandbox-running-operation <name>   a solution operation with this name is running now (a warning); repeatable`;

function sandboxSwitches(values: {
  sandbox?: boolean;
  "sandbox-deny"?: string[];
  "sandbox-password-max-days"?: string;
  "sandbox-missing-table"?: string[];
  "sandbox-running-operation"?: string[];
}): SandboxSwitches {
  const deny = values["sandbox-deny"] ?? [];
  const missingTables = values["sandbox-missing-table"] ?? [];
  const runningOperations = values["sandbox-running-operation"] ?? [];
  const days = values["sandbox-password-max-days"];
  const given = [
    ...(deny.length ? ["sandbox-deny"] : []),
    ...(missingTables.length ? ["sandbox-missing-table"] : []),
    ...(runningOperations.length ? ["sandbox-running-operation"] : []),
    ...(days !== undefined ? ["sandbox-password-max-days"] : []),
  ];
  if (given.length && !values.sandbox)
    throw new UsageError(`--${given[0]} simulates a problem in the sandbox: add --sandbox`);
  if (days !== undefined && !/^[1-9]\d{0,4}$/.test(days)) {
    throw new UsageError(`--sandbox-password-max-days: expected a whole number of days (1 or more), got "${days}"`);
  }
  for (const p of deny) {
    if (!/^prv[A-Za-z][A-Za-z0-9_]*$/.test(p))
      throw new UsageError(`--sandbox-deny: expected a Dataverse privilege name such as prvCreateRole, got "${p}"`);
  }
  for (const t of missingTables) {
    if (!/^[a-z][a-z0-9_]{0,63}$/.test(t))
      throw new UsageError(`--sandbox-missing-table: expected a table logical name such as phonecall, got "${t}"`);
  }
  return { deny, missingTables, runningOperations, passwordMaxDays: days === undefined ? undefined : Number(days) };
}

const replaceAll = (text: string, urls: Map<string, string>) =>
  [...urls].reduce((t, [from, to]) => t.split(from).join(to), text);

async function sandboxRun(
  config: Record<string, string>,
  tenantId: string,
  switches: SandboxSwitches,
  stack: string,
  now: Date,
) {
  let sandbox;
  try {
    sandbox = await startPreflightSandbox(config, tenantId, switches);
  } catch (e) {
    if (e instanceof SandboxSwitchError) throw new UsageError(e.message);
    throw e;
  }
  try {
    const needs = preflightNeeds(stack, parseRuntimeConfig(sandbox.config, now));
    const results = await runPreflight(needs, { graph: sandbox.graph, dataverse: sandbox.dataverse, now });
    return { results, extras: sandbox.counts() as ReportExtras, urls: sandbox.realUrls };
  } finally {
    await sandbox.close();
  }
}

runCommand({
  name: "preflight",
  usage,
  options: {
    ...STACK_OPTIONS,
    json: { type: "boolean", default: false },
    sandbox: { type: "boolean", default: false },
    "sandbox-deny": { type: "string", multiple: true },
    "sandbox-password-max-days": { type: "string" },
    "sandbox-missing-table": { type: "string", multiple: true },
    "sandbox-running-operation": { type: "string", multiple: true },
  },
  helpExtra: () => `stacks: ${listStacks().join(", ")}`,
  run: async (values) => {
    const switches = sandboxSwitches(values);
    const target = stackTarget(values);
    const config = stackConfigFromText(fs.readFileSync(target.file, "utf8"), target.file);
    const now = new Date();
    let stackConfig;
    try {
      // Validated exactly as `pulumi preview` would: a config error is what the first run would meet.
      stackConfig = parseRuntimeConfig(config, now);
    } catch (e) {
      if (e instanceof ConfigError)
        throw new Error(`the stack config would fail \`pulumi preview\`: ${e.message}`, { cause: e });
      throw e;
    }
    let run: { results: CheckResult[]; extras: ReportExtras; urls: Map<string, string> };
    if (values.sandbox) {
      run = await sandboxRun(config, stackConfig.tenantId, switches, target.stack, now);
    } else {
      const log = (line: string) => process.stderr.write(`[preflight] ${line}\n`);
      const results = await runPreflight(preflightNeeds(target.stack, stackConfig), {
        graph: graphReader(GRAPH_ROOT, defaultGraphToken()),
        dataverse: (url) => new DataverseClient(url, { log }),
        now,
      });
      run = { results, extras: {}, urls: new Map() };
    }
    const text = values.json
      ? renderJson(target.stack, run.results, run.extras)
      : renderText(target.stack, run.results, run.extras);
    out(replaceAll(text, run.urls));
    return blocks(run.results) ? 1 : 0;
  },
});
