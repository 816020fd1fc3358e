import { DataverseClient } from "../../components/dataverse/http/client";
import { defaultTokenSource } from "../../components/dataverse/http/token";
import { normalizeEnvironmentUrl } from "../../components/dataverse/inputs";
import { defaultGraphToken, GRAPH_ROOT, graphReader, type GraphReader } from "../cli/graphClient";
import { readEntra } from "./readEntra";
import { readDataverse } from "./readDataverse";
import { observe, type Observed } from "./observed";
import { matchProfile, type ProfileMatch } from "./profileMatch";
import { differences, integrationEntry, type Difference } from "./adoptPlan";
import type { AdoptionSnapshot } from "./snapshot";

export interface AdoptRequest {
  tenantId: string;
  clientId: string;
  /** Dataverse environments by the key the stack file will use, with the URL the stack file will name. */
  environments: { key: string; url: string }[];
  /** Integration name in the stack; default the profile's key. */
  name?: string;
  /** Use this profile instead of detecting one. */
  profile?: string;
  /** Tables whose change tracking is read (default: the tables the vendor pages name). */
  tables?: string[];
  now: Date;
}

export interface AdoptIo {
  graph: GraphReader;
  dataverseFor(url: string): DataverseClient;
}

export interface AdoptResult {
  snapshot: AdoptionSnapshot;
  observed: Observed;
  match: ProfileMatch;
  name: string;
  entry: Record<string, unknown>;
  differences: Difference[];
}

/** Tables the vendor pages ask to track or sync; read for their change-tracking state unless --tables says otherwise. */
export const DEFAULT_TABLES = ["account", "contact", "lead", "opportunity", "incident", "phonecall"];

/**
 * The clients a run reads through, from the environment: the same code for Azure and for the emulators.
 * GRAPH_URL (default https://graph.microsoft.com) and GRAPH_ACCESS_TOKEN (default: DefaultAzureCredential for
 * https://graph.microsoft.com/.default); DATAVERSE_ACCESS_TOKEN (default: DefaultAzureCredential for <env>/.default)
 * and DATAVERSE_EMULATOR_URL, which sends the reads of the (single) environment to an emulator instead.
 */
export function ioFromEnv(
  env: Record<string, string | undefined> = process.env,
  log: (line: string) => void = () => undefined,
): AdoptIo {
  const graph = graphReader(env.GRAPH_URL ?? GRAPH_ROOT, defaultGraphToken(env));
  return {
    graph,
    dataverseFor(url) {
      const target = env.DATAVERSE_EMULATOR_URL ? normalizeEnvironmentUrl(env.DATAVERSE_EMULATOR_URL) : url;
      return new DataverseClient(target, { tokenSource: defaultTokenSource(target, env, log), log });
    },
  };
}

/** Reads the hand-made setup (GETs only) and decides the stack entry that reproduces it. */
export async function adopt(request: AdoptRequest, io: AdoptIo): Promise<AdoptResult> {
  const entra = await readEntra(io.graph, request.tenantId, request.clientId);
  const tables = request.tables ?? DEFAULT_TABLES;
  const dataverse = await Promise.all(
    request.environments.map((e) =>
      readDataverse(io.dataverseFor(e.url), e.key, e.url, entra.application.appId, tables),
    ),
  );
  const snapshot: AdoptionSnapshot = { entra, dataverse };
  const observed = observe(snapshot);
  const match = matchProfile(observed, request.profile);
  const name =
    request.name ?? (match.best.profile === "custom" ? slug(entra.application.displayName) : match.best.profile);
  return {
    snapshot,
    observed,
    match,
    name,
    entry: integrationEntry(name, snapshot, observed, match.best),
    differences: differences(snapshot, observed, match.best, request.now),
  };
}

/** An integration name from a display name: lowercase letters, digits and dashes, 2-40 characters. */
export function slug(text: string): string {
  const s = text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return /^[a-z]/.test(s) && s.length >= 2 ? s : `app-${s}`.slice(0, 40).replace(/-+$/, "");
}
