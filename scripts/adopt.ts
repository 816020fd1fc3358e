import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../components/config";
import { environmentUrlProblem, normalizeEnvironmentUrl } from "../components/dataverse/inputs";
import { adopt, ioFromEnv, type AdoptRequest } from "./adopt/run";
import { renderDifferences } from "./adopt/adoptPlan";
import { integrationEntryText, stackFileText, validateStackText, type StackInputs } from "./adopt/stackText";
import { HAND_MADE, SANDBOX_ENVIRONMENT, SANDBOX_TENANT, startAdoptSandbox } from "./adopt/sandbox";
import { writeFileAtomic } from "./adopt/writeFileAtomic";

const USAGE = `usage: npm run adopt -- --tenant <tenant id> --client-id <app client id> [--environment <key>=<url>]... [options]
       npm run adopt -- --sandbox <vendor> [--out <file>] [options]

Reads a hand-made integration (app registration, service principal, API permissions, admin consent, redirect URIs,
client secret metadata; the Dataverse application user, its business unit and roles, tracked tables), finds the
vendor profile it matches (or custom) and prints a stack file that takes it over without changing it, with a table
of where it differs from the vendor's page. Read-only: it writes nothing to Entra or Dataverse, and never sees a
secret value (Graph does not return them).
  --tenant <id>              directory (tenant) id
  --client-id <id>           application (client) id of the app registration
  --environment <key>=<url>  a Dataverse environment, e.g. crm=https://contoso.crm4.dynamics.com (repeatable)
  --name <name>              integration name in the stack (default: the profile, or from the display name)
  --profile <key>            use this vendor profile instead of detecting it
  --tables <a,b,...>         tables whose change tracking to read (default: the tables the vendor pages name)
  --entry                    print only the integration entry, to paste into an existing stack file
  --out <file>               write the stack file (atomically) instead of printing it; refuses to overwrite
                             unless --force
  --sandbox <vendor>         seed the local Graph and Dataverse emulators with that vendor's hand-made setup
                             (${Object.keys(HAND_MADE).join(", ")}) and adopt it; reports the writes each emulator saw
Signs in with DefaultAzureCredential (Graph: https://graph.microsoft.com/.default; Dataverse: <env>/.default);
GRAPH_URL, GRAPH_ACCESS_TOKEN, DATAVERSE_ACCESS_TOKEN and DATAVERSE_EMULATOR_URL point the same reads elsewhere.`;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseEnvironment(text: string): { key: string; url: string } {
  const m = /^([a-zA-Z][\w-]*)=(.+)$/.exec(text);
  if (!m)
    throw new Error(`--environment must be <key>=<url>, e.g. crm=https://contoso.crm4.dynamics.com; got "${text}"`);
  const problem = environmentUrlProblem(m[2]);
  if (problem) throw new Error(`--environment ${m[1]}: ${problem}`);
  return { key: m[1], url: normalizeEnvironmentUrl(m[2]) };
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      strict: true,
      options: {
        tenant: { type: "string" },
        "client-id": { type: "string" },
        environment: { type: "string", multiple: true },
        name: { type: "string" },
        profile: { type: "string" },
        tables: { type: "string" },
        entry: { type: "boolean", default: false },
        out: { type: "string" },
        force: { type: "boolean", default: false },
        sandbox: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const now = new Date();
  const log = (line: string) => process.stderr.write(`[adopt] ${line}\n`);
  let sandbox: Awaited<ReturnType<typeof startAdoptSandbox>> | undefined;
  try {
    const tables = values.tables
      ?.split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    let request: AdoptRequest;
    let env: Record<string, string | undefined> = process.env;
    if (values.sandbox !== undefined) {
      if (values.tenant || values["client-id"] || values.environment)
        throw new Error(
          "--sandbox makes its own tenant, app and environment: leave out --tenant, --client-id and --environment",
        );
      sandbox = await startAdoptSandbox(values.sandbox, now);
      log(
        `seeded the Graph emulator (${sandbox.graph.url}) and the Dataverse emulator (${sandbox.dataverse.url}) with a hand-made ${values.sandbox} setup; client id ${sandbox.clientId}`,
      );
      env = { ...process.env, ...sandbox.env };
      request = {
        tenantId: SANDBOX_TENANT,
        clientId: sandbox.clientId,
        environments: sandbox.usesDataverse ? [SANDBOX_ENVIRONMENT] : [],
        name: values.name,
        profile: values.profile,
        tables,
        now,
      };
    } else {
      if (!values.tenant || !GUID.test(values.tenant))
        throw new Error(
          `--tenant is required: the directory (tenant) id, a GUID${values.tenant ? `; got "${values.tenant}"` : ""}`,
        );
      if (!values["client-id"] || !GUID.test(values["client-id"]))
        throw new Error(
          `--client-id is required: the application (client) id, a GUID${values["client-id"] ? `; got "${values["client-id"]}"` : ""}`,
        );
      const environments = (values.environment ?? []).map(parseEnvironment);
      if (environments.length > 1 && env.DATAVERSE_EMULATOR_URL)
        throw new Error("DATAVERSE_EMULATOR_URL stands in for one environment; pass one --environment");
      request = {
        tenantId: values.tenant.toLowerCase(),
        clientId: values["client-id"].toLowerCase(),
        environments,
        name: values.name,
        profile: values.profile,
        tables,
        now,
      };
    }
    const result = await adopt(request, ioFromEnv(env, log));
    const inputs: StackInputs = {
      tenantId: request.tenantId,
      environments: request.environments,
      entry: result.entry,
      differences: result.differences,
      profile: result.match.best.profile,
      clientId: request.clientId,
    };
    const text = stackFileText(inputs);
    validateStackText(text, now);
    const output = values.entry ? integrationEntryText(inputs) : text;
    log(
      `profile: ${result.match.best.profile}${result.match.alsoMatching.length ? ` (also fits: ${result.match.alsoMatching.join(", ")}; choose with --profile)` : ""}`,
    );
    console.error(`Where the setup differs from the vendor's page:\n${renderDifferences(result.differences)}`);
    if (values.out) {
      const target = path.resolve(process.env.INIT_CWD ?? process.cwd(), values.out);
      if (!values.force && fs.existsSync(target)) throw new Error(`${values.out} exists; pass --force to replace it`);
      writeFileAtomic(target, output);
      log(`wrote ${values.out}`);
    } else {
      console.log(output);
    }
    if (sandbox) {
      const w = sandbox.writes();
      console.error(
        `writes: Microsoft Graph emulator ${w.graph}, Dataverse emulator ${w.dataverse} (adopt only reads)`,
      );
    }
    return 0;
  } catch (err) {
    const message =
      err instanceof ConfigError
        ? `the adopted stack file would not be valid:\n${err.problems.map((p) => `  - ${p}`).join("\n")}`
        : (err as Error).message;
    console.error(`adopt: ${message}`);
    return 1;
  } finally {
    await sandbox?.close();
  }
}

main().then((code) => process.exit(code));
