import { isWrite, roundTrips } from "../../emulator/requestLog";
import { addRunningOperation, revokeEverywhere } from "../../emulator/privilegeRoutes";
import type { Emulator } from "../../emulator/server";
import { capPasswordLifetime } from "../../emulator/graph/seed";
import { isGraphWrite, startGraphEmulator, type GraphEmulator } from "../../emulator/graph/server";
import { DataverseClient } from "../../components/dataverse/http/client";
import { startSandboxEnvironments } from "../sandbox/dataverseRun";
import { graphReader, type GraphReader } from "../cli/graphClient";

/** A switch that names something the emulated environment does not have. */
export class SandboxSwitchError extends Error {}

/** What the sandbox makes go wrong, to show that preflight catches it. */
export interface SandboxSwitches {
  /** Dataverse privileges the deployer does not hold (taken from every role). */
  deny: string[];
  /** A tenant-wide cap on password lifetimes, in days (the default app management policy's passwordLifetime). */
  passwordMaxDays?: number;
  /** Tables missing from every environment (with their own privileges). */
  missingTables: string[];
  /** Names of solution operations running now (in msdyn_solutionhistories). */
  runningOperations: string[];
}

export interface PreflightSandbox {
  /** The stack config with every environment pointed at its emulator. */
  config: Record<string, string>;
  graph: GraphReader;
  dataverse: (url: string) => DataverseClient;
  /** Emulator URL -> the stack's real URL, to print the real ones. */
  realUrls: Map<string, string>;
  counts(): { writes: { dataverse: number; graph: number }; requests: { dataverse: number; graph: number } };
  close(): Promise<void>;
}

function removeTable(emulator: Emulator, table: string): boolean {
  const def = emulator.data.entities.get(table);
  if (!def) return false;
  emulator.data.entities.delete(table);
  // The table's own privileges go with it (names end with its schema name); shared ones (prv*Activity) stay.
  const schema = String(def.SchemaName ?? table).toLowerCase();
  emulator.data.privileges = emulator.data.privileges.filter(
    (p) =>
      !/^prv(AppendTo|Append|Create|Read|Write|Delete|Assign|Share)/.test(p.name) ||
      !p.name.toLowerCase().endsWith(schema),
  );
  return true;
}

/**
 * A Graph emulator for the stack's tenant (the deployer signed in as a Global Administrator) and a Dataverse emulator per
 * environment (the deployer a System Administrator), with the switches applied. Unknown privileges or tables are refused.
 */
export async function startPreflightSandbox(
  config: Record<string, string>,
  tenantId: string,
  switches: SandboxSwitches,
): Promise<PreflightSandbox> {
  const token = `sandbox-${Math.random().toString(36).slice(2)}`;
  const envs = await startSandboxEnvironments(config, token);
  let graph: GraphEmulator | undefined;
  try {
    graph = await startGraphEmulator({ tenantId });
    const emulators = [...envs.emulators.values()];
    for (const name of switches.deny) {
      const known = emulators.map((e) => revokeEverywhere(e.data, name)).some(Boolean);
      if (!known || emulators.length === 0)
        throw new SandboxSwitchError(
          `--sandbox-deny: no privilege named "${name}" in the emulated environment${emulators.length ? "" : "s (this stack has no Dataverse environment)"}`,
        );
    }
    for (const table of switches.missingTables) {
      const known = emulators.map((e) => removeTable(e, table)).some(Boolean);
      if (!known)
        throw new SandboxSwitchError(
          `--sandbox-missing-table: the emulated environment has no table "${table}" (tables: ${[...(emulators[0]?.data.entities.keys() ?? [])].join(", ") || "none"})`,
        );
    }
    for (const op of switches.runningOperations) for (const e of emulators) addRunningOperation(e.data, op);
    if (switches.passwordMaxDays !== undefined) capPasswordLifetime(graph.data, `P${switches.passwordMaxDays}D`);
  } catch (err) {
    await Promise.all([envs.close(), graph?.close()]);
    throw err;
  }
  const g = graph;
  const emulators = [...envs.emulators.values()];
  const marks = emulators.map((e) => e.log.length);
  const graphMark = g.log.length;
  return {
    config: envs.config,
    graph: graphReader(g.url, async () => g.token),
    dataverse: (url) =>
      new DataverseClient(url, {
        tokenSource: async () => token,
        log: (line) => process.stderr.write(`[preflight] ${line}\n`),
      }),
    realUrls: new Map([...envs.emulators].map(([real, e]) => [e.url, real])),
    counts: () => {
      const fresh = emulators.flatMap((e, i) => e.log.slice(marks[i]));
      const graphFresh = g.log.slice(graphMark);
      return {
        writes: { dataverse: fresh.filter(isWrite).length, graph: graphFresh.filter(isGraphWrite).length },
        requests: { dataverse: roundTrips(fresh).length, graph: graphFresh.length },
      };
    },
    close: async () => {
      await Promise.all([envs.close(), g.close()]);
    },
  };
}
