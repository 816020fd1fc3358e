import { ClientSecretCredential } from "@azure/identity";
import { credentialTokenSource } from "../components/dataverse/http/token";
import { environmentUrlProblem } from "../components/dataverse/inputs";
import { schemeProblem } from "../components/config";
import { parseStackOutputs, pickIntegration, readInput } from "./sync/stackOutputs";
import { verifyConnection, VerifyError } from "./sync/verifyConnection";
import { out, runCommand, UsageError } from "./cli/command";
import { userPath } from "./cli/commandLine";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

runCommand({
  name: "verify-connection",
  usage: (self) => `pulumi stack output --json --show-secrets | ${self} [--integration <name>]
       ${self} --input outputs.json --integration <name> [--environment-url <url>]

The vendor's "Test connection": gets a token with the integration's client id and secret (client credentials),
calls WhoAmI on its Dataverse environment and prints the application user and its roles. Exit code 1 with the
reason when something is missing (wrong or expired secret, no consent, no application user, no role).
  --input <file>            read the outputs from a file instead of stdin ("-" for stdin)
  --integration <name>      which integration (needed when the stack has several)
  --environment-url <url>   test against another environment root (https://<org>.crm.dynamics.com)`,
  options: { input: { type: "string" }, integration: { type: "string" }, "environment-url": { type: "string" } },
  run: async (values) => {
    const flag = values["environment-url"];
    const flagProblem = flag !== undefined ? (schemeProblem(flag) ?? environmentUrlProblem(flag)) : undefined;
    if (flagProblem) throw new UsageError(`--environment-url "${flag}" ${flagProblem}`);
    const [name, o] = pickIntegration(
      parseStackOutputs(await readInput(values.input && values.input !== "-" ? userPath(values.input) : values.input)),
      values.integration,
    );
    const g = o.generic as Record<string, unknown>;
    const environmentUrl = flag ?? g.organizationUrl;
    if (environmentUrl === undefined) throw new Error(`integration "${name}" has no Dataverse environment to test`);
    // The URL from the input gets the same check as the flag: the token is never sent over plain http to a real host.
    const urlProblem = schemeProblem(environmentUrl) ?? environmentUrlProblem(environmentUrl);
    if (urlProblem) throw new Error(`integration "${name}": generic.organizationUrl ${urlProblem}`);
    for (const field of ["tenantId", "clientId"]) {
      if (typeof g[field] !== "string" || !GUID.test(g[field] as string))
        throw new Error(`integration "${name}": generic.${field} must be a GUID`);
    }
    const secret = g.clientSecret;
    if (typeof secret !== "string" || !secret || secret === "[secret]") {
      throw new Error(
        "the client secret is not in the input: use `pulumi stack output --json --show-secrets` (with Key Vault delivery and secretsInOutputs: false, fetch it from the vault)",
      );
    }
    const url = String(environmentUrl).replace(/\/+$/, "");
    const credential = new ClientSecretCredential(String(g.tenantId), String(g.clientId), secret);
    out(`testing "${name}" (${o.profile}) against ${url} as ${g.clientId} ...`);
    try {
      const result = await verifyConnection(
        { environmentUrl: url, clientId: String(g.clientId), expectApplicationUser: Boolean(g.applicationUserId) },
        credentialTokenSource(url, credential),
      );
      if (result.kind === "token-only") {
        out(
          "client secret accepted by Entra. This integration signs users in (delegated), so it has no application user to check.",
        );
      } else {
        out(
          `connection OK: application user ${result.userId} (${result.fullName}), business unit ${result.businessUnitId}\nroles: ${result.roles.join(", ")}`,
        );
      }
    } catch (e) {
      if (e instanceof VerifyError) throw new Error(`${e.reason}: ${e.message}`, { cause: e });
      throw e;
    }
  },
});
