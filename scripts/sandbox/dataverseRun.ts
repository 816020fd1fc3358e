import { isWrite, roundTrips } from "../../emulator/requestLog";
import { addBusinessUnit } from "../../emulator/seed";
import { KNOWN_TABLES } from "../../emulator/privilegeSeed";
import { withoutGrpcPrefix } from "../../components/dataverse/http/errors";
import { startEmulator, type Emulator } from "../../emulator/server";
import { DYNAMIC_PREFIX, TYPES } from "../../components/resourceTypes";
import { fakeGuid } from "./fakeIds";
import type { PlannedResource } from "./mockCloud";
import { DIFF_NONE, startProviderHost, urnFor } from "./providerHost";

export interface SandboxEnvironments {
  /** One emulator per Dataverse environment of the stack, keyed by the environment's real URL. */
  emulators: Map<string, Emulator>;
  token: string;
  /** The stack config with every Dataverse environment pointed at its emulator. */
  config: Record<string, string>;
  close(): Promise<void>;
}

/** Starts an emulator for each environment in `crm-sync:dataverseEnvironments` and rewrites the config to use them. */
export async function startSandboxEnvironments(
  config: Record<string, string>,
  token: string,
): Promise<SandboxEnvironments> {
  const environments = JSON.parse(config["crm-sync:dataverseEnvironments"] ?? "{}") as Record<string, string>;
  const integrations = JSON.parse(config["crm-sync:integrations"] ?? "[]") as {
    dataverse?: { businessUnitId?: string };
  }[];
  const emulators = new Map<string, Emulator>();
  const rewritten: Record<string, string> = {};
  for (const [key, url] of Object.entries(environments)) {
    const real = new URL(url).origin;
    let emulator = emulators.get(real);
    if (!emulator) {
      emulator = await startEmulator({ token });
      // Business units named in the stack exist in the emulated environment too.
      for (const bu of integrations.map((i) => i.dataverse?.businessUnitId).filter((b): b is string => !!b))
        addBusinessUnit(emulator.data, bu, `unit ${bu.slice(0, 8)}`);
      emulators.set(real, emulator);
    }
    rewritten[key] = emulator.url;
  }
  return {
    emulators,
    token,
    config: {
      ...config,
      ...(Object.keys(environments).length ? { "crm-sync:dataverseEnvironments": JSON.stringify(rewritten) } : {}),
    },
    close: async () => {
      await Promise.all([...emulators.values()].map((e) => e.close()));
    },
  };
}

/**
 * A create that failed, as a person reads it: the resource named, no gRPC status text, and a table the emulator
 * does not know called what it is, a limit of the sandbox, not a verdict on the stack's spelling.
 */
export function sandboxError(resource: string, err: Error): Error {
  let message = withoutGrpcPrefix(err.message);
  const unknown = [...message.matchAll(/table "([a-z0-9_]+)" does not exist in/g)]
    .map((m) => m[1])
    .filter((t) => !(KNOWN_TABLES as readonly string[]).includes(t));
  if (unknown.length) {
    message += ` -- sandbox limit: the local emulator knows only the tables ${KNOWN_TABLES.join(", ")}; ${unknown.map((t) => `"${t}"`).join(", ")} may well exist in the real environment (this is not a check of the name)`;
  }
  return new Error(`${resource}: ${message}`);
}

/** The resources whose providers travel in state (the Dataverse ones). */
export function dynamicResources(resources: PlannedResource[]): PlannedResource[] {
  return resources.filter((r) => r.type.startsWith(DYNAMIC_PREFIX));
}

export interface DynamicOutcome {
  type: string;
  name: string;
  id: string;
  outs: Record<string, unknown>;
}

export interface DataverseRun {
  created: DynamicOutcome[];
  first: RunCounts;
  second: RunCounts & { changed: string[] };
  /** What the provider host wrote to stderr (the providers' log lines). */
  hostLog: string;
}

export interface RunCounts {
  requests: number;
  writes: number;
  publishes: number;
}

const counts = (emulators: Emulator[], from: { log: number; publishes: number }[]): RunCounts => {
  const fresh = emulators.flatMap((e, i) => e.log.slice(from[i].log));
  return {
    requests: roundTrips(fresh).length,
    writes: fresh.filter(isWrite).length,
    publishes: emulators.reduce((n, e, i) => n + e.data.publishes - from[i].publishes, 0),
  };
};

/**
 * Executes the stack's Dataverse dynamic resources for real: their serialized providers run in the SDK's
 * dynamic-provider host (as under `pulumi up`), against the emulators, all at once as the engine runs independent
 * resources (its parallelism is unbounded by default), waiting only where one resource needs another's output (an
 * application user needs its generated role's id). Then runs them again the way a second `pulumi up` would (read,
 * check, diff) and reports whether anything would change.
 */
export async function runDataverseResources(
  resources: PlannedResource[],
  env: SandboxEnvironments,
  log: (line: string) => void = () => {},
): Promise<DataverseRun> {
  const dynamic = [...dynamicResources(resources)];
  const emulators = [...env.emulators.values()];
  const marks = () => emulators.map((e) => ({ log: e.log.length, publishes: e.data.publishes }));
  const host = await startProviderHost({ DATAVERSE_ACCESS_TOKEN: env.token, DATAVERSE_REPLICATION_WAIT_MS: "60000" });
  try {
    const start1 = marks();
    const created: DynamicOutcome[] = new Array(dynamic.length);
    // Placeholder ids the mock runtime gave (a generated role's id) become the real ones as resources are created.
    const realIds = new Map<string, string>();
    const withRealIds = (value: unknown): unknown =>
      typeof value === "string"
        ? (realIds.get(value) ?? value)
        : Array.isArray(value)
          ? value.map(withRealIds)
          : value && typeof value === "object"
            ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withRealIds(v)]))
            : value;
    const createOne = async (i: number) => {
      const r = { ...dynamic[i], inputs: withRealIds(dynamic[i].inputs) as Record<string, unknown> };
      dynamic[i] = r;
      const urn = urnFor(r.type, r.name);
      log(`creating ${r.type.slice(DYNAMIC_PREFIX.length)} "${r.name}" ...`);
      const { inputs, failures } = await host.check(urn, {}, r.inputs);
      if (failures.length)
        throw new Error(`${r.name}: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
      const result = await host.create(urn, inputs).catch((err: Error) => {
        throw sandboxError(r.name, err);
      });
      if (r.type === TYPES.securityRole) realIds.set(fakeGuid(`securityrole:${r.name}`), result.id);
      created[i] = { type: r.type, name: r.name, id: result.id, outs: result.props };
    };
    const indexes = dynamic.map((_, i) => i);
    const isRole = (i: number) => dynamic[i].type === TYPES.securityRole;
    await Promise.all(indexes.filter(isRole).map(createOne));
    await Promise.all(indexes.filter((i) => !isRole(i)).map(createOne));
    const first = counts(emulators, start1);
    const start2 = marks();
    const changed = (
      await Promise.all(
        dynamic.map(async (r, i) => {
          const urn = urnFor(r.type, r.name);
          const read = await host.read(urn, created[i].id, created[i].outs);
          const { inputs } = await host.check(urn, read.props, r.inputs);
          const diff = await host.diff(urn, created[i].id, read.props, inputs);
          return diff.changes !== DIFF_NONE ? r.name : undefined;
        }),
      )
    ).filter((n): n is string => n !== undefined);
    return { created, first, second: { ...counts(emulators, start2), changed }, hostLog: host.stderr() };
  } finally {
    await host.close();
  }
}
