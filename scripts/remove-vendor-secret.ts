import { parseArgs } from "node:util";
import { ConfigError } from "../components/config";
import { defaultGraphToken, GRAPH_ROOT, graphWriter } from "./cli/graphClient";
import { removeVendorSecret } from "./adopt/removeVendorSecret";
import { stackFile } from "./sandbox/stackFiles";

const USAGE = `usage: npm run -s remove-vendor-secret -- --stack <name> --integration <name> [--dry-run]

Removes the vendor's former client secret of an adopted integration (existing.vendorSecret) from the app
registration, once a managed secret has been handed over (secret.handedOver) and the stack file asks for it
(existing.vendorSecret.remove: true, committed). Then drops existing.vendorSecret from the stack file. Signs in like
adopt (GRAPH_URL / GRAPH_ACCESS_TOKEN, else DefaultAzureCredential); needs Application.ReadWrite.All (or ownership).`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      strict: true,
      options: {
        stack: { type: "string" },
        integration: { type: "string" },
        "dry-run": { type: "boolean", default: false },
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
  if (!values.stack || !values.integration) {
    console.error(`remove-vendor-secret: --stack and --integration are required\n\n${USAGE}`);
    return 2;
  }
  try {
    const graph = graphWriter(process.env.GRAPH_URL ?? GRAPH_ROOT, defaultGraphToken());
    const result = await removeVendorSecret(stackFile(values.stack), values.integration, graph, values["dry-run"]!);
    const what = result.alreadyGone
      ? `secret ${result.keyId} was already gone from the app registration`
      : values["dry-run"]
        ? `would remove secret ${result.keyId}`
        : `removed secret ${result.keyId}`;
    console.log(
      `${values.integration}: ${what}; ${values["dry-run"] ? "dry run: nothing changed" : "existing.vendorSecret dropped from the stack file: commit it"}`,
    );
    return 0;
  } catch (err) {
    console.error(`remove-vendor-secret: ${err instanceof ConfigError ? err.message : (err as Error).message}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
