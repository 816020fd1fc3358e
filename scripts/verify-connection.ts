import { ClientSecretCredential } from "@azure/identity";
import { parseArgs } from "node:util";
import { credentialTokenSource } from "../components/dataverse/token";
import { environmentUrlProblem } from "../components/dataverse/inputs";
import { parseStackOutputs, pickIntegration, readInput } from "./sync/stackOutputs";
import { verifyConnection, VerifyError } from "./sync/verifyConnection";

const USAGE = `usage: pulumi stack output --json --show-secrets | npm run -s verify-connection -- [--integration <name>]
       npm run -s verify-connection -- --input outputs.json --integration <name> [--environment-url <url>]

The vendor's "Test connection": gets a token with the integration's client id and secret (client credentials),
calls WhoAmI on its Dataverse environment and prints the application user and its roles. Exit code 1 with the
reason when something is missing (wrong or expired secret, no consent, no application user, no role).
  --input <file>            read the outputs from a file instead of stdin ("-" for stdin)
  --integration <name>      which integration (needed when the stack has several)
  --environment-url <url>   test against another environment root (https://<org>.crm.dynamics.com)`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: {
      input: { type: "string" }, integration: { type: "string" }, "environment-url": { type: "string" }, help: { type: "boolean", short: "h" },
    } }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) { console.log(USAGE); return 0; }
  const flagProblem = values["environment-url"] !== undefined ? environmentUrlProblem(values["environment-url"]) : undefined;
  if (flagProblem) {
    console.error(`verify-connection: --environment-url "${values["environment-url"]}" ${flagProblem}\n\n${USAGE}`);
    return 2;
  }
  try {
    const [name, out] = pickIntegration(parseStackOutputs(await readInput(values.input)), values.integration);
    const g = out.generic as Record<string, string | undefined>;
    const environmentUrl = values["environment-url"] ?? g.organizationUrl;
    if (!environmentUrl) throw new Error(`integration "${name}" has no Dataverse environment to test`);
    if (!g.clientSecret || g.clientSecret === "[secret]") {
      throw new Error("the client secret is not in the input: use `pulumi stack output --json --show-secrets` (with Key Vault delivery and secretsInOutputs: false, fetch it from the vault)");
    }
    const credential = new ClientSecretCredential(String(g.tenantId), String(g.clientId), g.clientSecret);
    console.log(`testing "${name}" (${out.profile}) against ${environmentUrl} as ${g.clientId} ...`);
    const result = await verifyConnection(
      { environmentUrl, clientId: String(g.clientId), expectApplicationUser: Boolean(g.applicationUserId) },
      credentialTokenSource(environmentUrl, credential),
    );
    if (result.kind === "token-only") {
      console.log("client secret accepted by Entra. This integration signs users in (delegated), so it has no application user to check.");
    } else {
      console.log(`connection OK: application user ${result.userId} (${result.fullName}), business unit ${result.businessUnitId}\nroles: ${result.roles.join(", ")}`);
    }
    return 0;
  } catch (err) {
    console.error(`verify-connection: ${err instanceof VerifyError ? `${err.reason}: ` : ""}${(err as Error).message}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
