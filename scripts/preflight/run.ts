import type { DataverseClient } from "../../components/dataverse/http/client";
import { dataverseChecks } from "./dataverseChecks";
import { probeEnvironment } from "./dataverseProbe";
import { entraChecks } from "./entraChecks";
import { probeEntra } from "./entraProbe";
import type { GraphReader } from "../cli/graphClient";
import type { PreflightNeeds } from "./needs";
import { unknown, type CheckResult } from "./types";

export interface PreflightIO {
  graph: GraphReader;
  /** A client for one environment, signed in as the deployer. */
  dataverse: (environmentUrl: string) => DataverseClient;
  now: Date;
}

/** Reads the tenant and every environment at once, then judges: one list of results, Entra first, then per environment. */
export async function runPreflight(needs: PreflightNeeds, io: PreflightIO): Promise<CheckResult[]> {
  const crashed =
    (area: string) =>
    (err: unknown): CheckResult[] => [
      unknown(
        area,
        "preflight",
        `the checks stopped: ${(err as Error).message}`,
        signInProblem(err)
          ? "sign in as pulumi up would (az login, AZURE_* variables, a workload or managed identity), or set GRAPH_ACCESS_TOKEN / DATAVERSE_ACCESS_TOKEN"
          : "rerun; report the message if it persists",
      ),
    ];
  const [entra, ...environments] = await Promise.all([
    probeEntra(io.graph, needs)
      .then((obs) => entraChecks(needs, obs, io.now))
      .catch(crashed("entra")),
    ...needs.environments.map((env) =>
      probeEnvironment(io.dataverse(env.url), env)
        .then((obs) => dataverseChecks(env, obs))
        .catch(crashed(`dataverse ${env.key}`)),
    ),
  ]);
  return [...entra, ...environments.flat()];
}

/** @azure/identity found no identity to sign in with (no az login, no AZURE_* variables, no managed identity). */
function signInProblem(err: unknown): boolean {
  const e = err as { name?: string; message?: string; cause?: unknown };
  if (e?.name === "CredentialUnavailableError" || e?.name === "AggregateAuthenticationError") return true;
  if (/CredentialUnavailableError|DefaultAzureCredential/.test(String(e?.message ?? ""))) return true;
  return e?.cause !== undefined && e.cause !== err && signInProblem(e.cause);
}
