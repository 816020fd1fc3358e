import { distance } from "fastest-levenshtein";
import { handoverProblem } from "../entra/secretSchedule";
import { existingProblems } from "../entra/existing";
import { permissionLabel } from "../entra/permissions";
import { applyProfiles, profileProblems } from "../sync/applyProfiles";
import { CONFIG_NAMESPACE, ConfigError, describeIssue, formatPath } from "./messages";
import { stackConfig, type DataverseConfig, type StackConfig } from "./schema";

/** Keys that would reach an object's prototype: refused wherever they appear, never read as settings. */
const PROTOTYPE_KEYS = new Set(["__proto__", "constructor", "prototype"]);
/** No setting nests deeper; deeper input is refused before validation walks it. */
export const MAX_CONFIG_DEPTH = 32;

/** Prototype keys and excessive nesting anywhere in the raw config, by path; walked without recursion. */
function shapeProblems(raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const stack: { value: unknown; path: PropertyKey[] }[] = [{ value: raw, path: [] }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (!value || typeof value !== "object") continue;
    if (path.length > MAX_CONFIG_DEPTH) {
      problems.push(
        `${formatPath(path.slice(0, 1))}: nests more than ${MAX_CONFIG_DEPTH} levels deep; no setting needs that`,
      );
      continue;
    }
    const entries: [PropertyKey, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : Object.keys(value).map((k) => [k, (value as Record<string, unknown>)[k]]);
    for (const [key, child] of entries) {
      if (typeof key === "string" && PROTOTYPE_KEYS.has(key))
        problems.push(
          `${formatPath([...path, key])}: "${key}" is not a setting name (it would reach JavaScript's object prototype); remove it`,
        );
      else stack.push({ value: child, path: [...path, key] });
    }
  }
  return [...new Set(problems)];
}

/**
 * On-demand rotation needs a recorded handover, except on an adopted integration whose vendor still holds its own
 * secret; and what an `existing:` block cannot mean (components/entra/existing.ts).
 */
function adoptionProblems(integrations: StackConfig["integrations"]): string[] {
  return integrations.flatMap((integ, i) => [
    ...(integ.secret.generation > 0 && !integ.secret.handedOver && !integ.existing?.vendorSecret
      ? [
          `${formatPath(["integrations", i, "secret", "generation"])}: asks for an on-demand rotation, but no handover is recorded (secret.handedOver): record the secret the vendor holds first (npm run -s record-handover)`,
        ]
      : []),
    ...(integ.existing
      ? existingProblems(
          integ.existing,
          integ.permissions.filter((p) => p.kind === "application").map(permissionLabel),
          [...new Set(integ.permissions.filter((p) => p.kind === "delegated").map((p) => p.api.name))],
          !!integ.secret.handedOver,
        ).map((p) => `${formatPath(["integrations", i, ...p.path])}: ${p.message}`)
      : []),
  ]);
}

/**
 * Validates the raw config (the values of `crm-sync:*` keys, already parsed from YAML/JSON) as of `now`.
 * Throws ConfigError listing every problem with its exact config path.
 */
export function parseStackConfig(raw: Record<string, unknown>, now: Date = new Date()): StackConfig {
  const shape = shapeProblems(raw);
  if (shape.length) throw new ConfigError(shape);
  const profiled = applyProfiles(raw);
  const result = stackConfig.safeParse(profiled.config, { reportInput: true });
  const vendorProblems = profiled.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  if (result.success) {
    const data: StackConfig = {
      ...result.data,
      integrations: result.data.integrations.map((integ, i) => ({
        ...integ,
        vendor: profiled.settings[i],
        origins: profiled.origins[i] ?? {},
      })),
    };
    const problems = [
      ...vendorProblems,
      ...profileProblems(data.integrations).map((i) => `${formatPath(i.path)}: ${i.message}`),
      ...data.integrations.flatMap((integ, i) => {
        const problem = integ.secret.handedOver && handoverProblem(integ.secret.handedOver, now);
        return problem ? [`${formatPath(["integrations", i, "secret", "handedOver", "createdAt"])}: ${problem}`] : [];
      }),
      ...adoptionProblems(data.integrations),
    ];
    if (problems.length === 0) return data;
    throw new ConfigError(problems);
  }
  throw new ConfigError([...vendorProblems, ...result.error.issues.map(describeIssue)]);
}

/**
 * Config keys Pulumi holds that this program would silently ignore: no namespace, or a namespace that is a near
 * miss of `crm-sync` (`crm_sync:`, `crmsync:`). Other namespaces (`azuread:`, `azure-native:`) are provider config.
 */
export function namespaceProblems(flat: Record<string, string>): string[] {
  return Object.keys(flat).flatMap((key) => {
    const colon = key.indexOf(":");
    if (colon < 0) return [`${key}: config keys need a namespace: write ${CONFIG_NAMESPACE}:${key}`];
    const namespace = key.slice(0, colon);
    if (namespace === CONFIG_NAMESPACE) return [];
    if (distance(namespace.toLowerCase(), CONFIG_NAMESPACE) <= 2) {
      return [
        `${key}: not read: this project's namespace is ${CONFIG_NAMESPACE} (did you mean ${CONFIG_NAMESPACE}:${key.slice(colon + 1)}?)`,
      ];
    }
    return [];
  });
}

/** Validates the runtime's flat config as the program does: namespaces, then the `crm-sync:` keys; all problems at once. */
export function parseRuntimeConfig(flat: Record<string, string>, now: Date = new Date()): StackConfig {
  const misplaced = namespaceProblems(flat);
  let config: StackConfig | undefined;
  let problems: string[] = [];
  try {
    config = parseStackConfig(rawConfigFrom(flat), now);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems = err.problems;
  }
  if (misplaced.length || !config) throw new ConfigError([...misplaced, ...problems]);
  return config;
}

/** The `crm-sync:*` keys of the runtime's flat config (`namespace:key -> text`); object values arrive as JSON. */
export function rawConfigFrom(flat: Record<string, string>): Record<string, unknown> {
  // No prototype: a key named __proto__ stays an own key, which parseStackConfig then refuses by name.
  const raw: Record<string, unknown> = Object.create(null);
  for (const [key, text] of Object.entries(flat)) {
    const [namespace, name] = key.split(":");
    if (namespace !== CONFIG_NAMESPACE || !name) continue;
    try {
      raw[name] = JSON.parse(text);
    } catch {
      raw[name] = text;
    }
  }
  return raw;
}

/** The environment URL an integration's Dataverse part targets (validated by the schema to exist). */
export function dataverseUrlFor(cfg: StackConfig, dv: DataverseConfig): string {
  const key = dv.environment ?? Object.keys(cfg.dataverseEnvironments)[0];
  return cfg.dataverseEnvironments[key];
}
