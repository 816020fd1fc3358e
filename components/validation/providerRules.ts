// Over 300 lines: one walk over every resource type of the provider extract, so the config check, the policy pack,
// the sandbox and the tests apply the same rules; the per-rule checks live in ruleChecks.ts and uriRules.ts.
/**
 * Validates resource inputs the way the real providers do at `pulumi preview`: the published input schema
 * (names, required inputs, types) and the validation rules the provider binaries apply, from
 * providerSchema.json (each rule names its source repository, commit and line).
 * One function serves the config check, the policy pack, the sandbox and the tests.
 */
import extract from "./providerSchema.json";
import { CHECKS, type ExtractRule } from "./ruleChecks";
import { appRedirectUriFindings, type Platform } from "./uriRules";

export interface ResourceInputs {
  type: string;
  name: string;
  /** Plain input values (secrets revealed, nothing wrapped). */
  inputs: Record<string, unknown>;
}

export interface Violation {
  type: string;
  name: string;
  property: string;
  rule: string;
  message: string;
  source: string;
}

export interface ValidateOptions {
  /** The moment of the run: end dates must lie after it. */
  now: Date;
  /**
   * Values may still be unknown (a policy pack during preview sees them as absent): skip the required-input
   * check instead of reporting every unknown value as missing.
   */
  partial?: boolean;
}

interface PropertySchema {
  type?: string;
  $ref?: string;
  items?: PropertySchema;
  additionalProperties?: PropertySchema;
}

interface ResourceSchema {
  requiredInputs: string[];
  inputProperties: Record<string, PropertySchema>;
  rules: ExtractRule[];
}

interface TypeSchema {
  required: string[];
  properties: Record<string, PropertySchema>;
  rules?: ExtractRule[];
}

const RESOURCES = extract.resources as unknown as Record<string, ResourceSchema>;
const TYPES = extract.types as unknown as Record<string, TypeSchema>;
const FUNCTIONS = extract.functions as unknown as Record<string, { inputs: string[] }>;
const CONFLICTS = extract.conflicts as unknown as {
  resource: string;
  with: string;
  inline: string | Record<string, string>;
  source: string;
}[];

const SCHEMA_SOURCE: Record<string, string> = {
  azuread: `${extract.sources.azuread.repo}@${extract.sources.azuread.tag} ${extract.sources.azuread.path}`,
  "azure-native": `${extract.sources.azureNative.package} ${extract.sources.azureNative.files.join(", ")}`,
};
const schemaSource = (type: string) => SCHEMA_SOURCE[type.split(":")[0]] ?? "provider schema";

/** Provider packages whose resources must all be covered by the extract. */
const VALIDATED_PACKAGES = ["azuread", "azure-native"];

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

function typeProblem(value: unknown, schema: PropertySchema): string | undefined {
  if (schema.$ref) return isObject(value) ? undefined : "must be an object";
  switch (schema.type) {
    case "string":
      return typeof value === "string" ? undefined : `must be a string, got ${JSON.stringify(value)}`;
    case "boolean":
      return typeof value === "boolean" ? undefined : `must be true or false, got ${JSON.stringify(value)}`;
    case "integer":
      return Number.isInteger(value) ? undefined : `must be an integer, got ${JSON.stringify(value)}`;
    case "number":
      return typeof value === "number" && Number.isFinite(value)
        ? undefined
        : `must be a number, got ${JSON.stringify(value)}`;
    case "array":
      return Array.isArray(value) ? undefined : "must be a list";
    case "object":
      return isObject(value) ? undefined : "must be a map";
    default:
      return undefined;
  }
}

type Report = (property: string, rule: string, message: string, source: string) => void;

function checkValue(
  value: unknown,
  schema: PropertySchema,
  path: string,
  report: Report,
  source: string,
  partial: boolean,
): void {
  if (value === undefined || value === null) return;
  const problem = typeProblem(value, schema);
  if (problem) return report(path, "type", problem, source);
  if (schema.$ref) {
    const t = TYPES[schema.$ref.replace("#/types/", "")];
    if (t)
      checkObject(
        value as Record<string, unknown>,
        t.properties,
        partial ? [] : t.required,
        path,
        report,
        source,
        partial,
      );
  } else if (schema.type === "array" && schema.items) {
    (value as unknown[]).forEach((item, i) =>
      checkValue(item, schema.items!, `${path}[${i}]`, report, source, partial),
    );
  } else if (schema.type === "object" && schema.additionalProperties) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      checkValue(v, schema.additionalProperties, `${path}.${k}`, report, source, partial);
  }
}

function checkObject(
  obj: Record<string, unknown>,
  properties: Record<string, PropertySchema>,
  required: string[],
  prefix: string,
  report: Report,
  source: string,
  partial: boolean,
): void {
  const at = (k: string) => (prefix ? `${prefix}.${k}` : k);
  for (const key of required)
    if (obj[key] === undefined || obj[key] === null) report(at(key), "required", "is a required input", source);
  for (const [key, value] of Object.entries(obj)) {
    const schema = properties[key];
    if (!schema)
      report(
        at(key),
        "notInSchema",
        `is not an input of this resource (known: ${Object.keys(properties).sort().join(", ")})`,
        source,
      );
    else checkValue(value, schema, at(key), report, source, partial);
  }
}

/** The values at a rule path such as `requiredResourceAccesses[].resourceAccesses[].id`, with concrete paths. */
export function valuesAt(root: unknown, path: string): { path: string; value: unknown }[] {
  let current: { path: string; value: unknown }[] = [{ path: "", value: root }];
  for (const segment of path.split(".")) {
    const each = segment.endsWith("[]");
    const key = each ? segment.slice(0, -2) : segment;
    current = current.flatMap(({ path: p, value }) => {
      if (!isObject(value) || value[key] === undefined || value[key] === null) return [];
      const here = p ? `${p}.${key}` : key;
      const v = value[key];
      if (!each) return [{ path: here, value: v }];
      return Array.isArray(v) ? v.map((item, i) => ({ path: `${here}[${i}]`, value: item })) : [];
    });
  }
  return current;
}

/** Every violation of one resource's inputs; types outside azuread/azure-native are not checked. */
export function validateResource(resource: ResourceInputs, options: ValidateOptions): Violation[] {
  const { type, name, inputs } = resource;
  const out: Violation[] = [];
  // One finding per property: a value of the wrong type or format is not also reported by every later rule.
  const report: Report = (property, rule, message, source) => {
    if (!out.some((v) => v.property === property)) out.push({ type, name, property, rule, message, source });
  };
  if (!VALIDATED_PACKAGES.includes(type.split(":")[0])) return out;
  const schema = RESOURCES[type];
  if (!schema) {
    report(
      "(type)",
      "noSchema",
      "this resource type is not in the provider extract: add its schema and rules before using it",
      "components/validation/providerSchema.json",
    );
    return out;
  }
  checkObject(
    inputs,
    schema.inputProperties,
    options.partial ? [] : schema.requiredInputs,
    "",
    report,
    schemaSource(type),
    !!options.partial,
  );
  const rules = [...schema.rules, ...nestedTypeRules(schema)];
  for (const rule of rules) {
    const check = CHECKS[rule.rule];
    if (!check) {
      report(rule.path, rule.rule, "rule kind not implemented by the validator", rule.source);
      continue;
    }
    for (const { path, value } of valuesAt(inputs, rule.path)) {
      const problem = check(value, rule, { now: options.now, inputs });
      if (problem) report(path, rule.rule, problem, rule.source);
    }
  }
  if (type === "azuread:index/application:Application") {
    const lists: Partial<Record<Platform, string[]>> = {
      web: (inputs.web as { redirectUris?: string[] } | undefined)?.redirectUris,
      publicClient: (inputs.publicClient as { redirectUris?: string[] } | undefined)?.redirectUris,
      spa: (inputs.singlePageApplication as { redirectUris?: string[] } | undefined)?.redirectUris,
    };
    for (const f of appRedirectUriFindings(lists)) report("redirectUris", f.rule, f.message, f.source);
  }
  return out;
}

/** Rules the extract attaches to object types, lifted to every property path that uses the type. */
function nestedTypeRules(schema: ResourceSchema): ExtractRule[] {
  const out: ExtractRule[] = [];
  for (const [key, prop] of Object.entries(schema.inputProperties)) {
    const ref = prop.$ref ?? prop.items?.$ref;
    const rules = ref ? TYPES[ref.replace("#/types/", "")]?.rules : undefined;
    const prefix = prop.items ? `${key}[]` : key;
    for (const r of rules ?? []) out.push({ ...r, path: `${prefix}.${r.path}` });
  }
  return out;
}

/**
 * Inline blocks and the separate resources that manage the same collection must not be combined on one app
 * (extract `conflicts`): the two would overwrite each other on every `up`.
 */
function conflictViolations(resources: ResourceInputs[]): Violation[] {
  const out: Violation[] = [];
  for (const c of CONFLICTS) {
    const separate = resources.filter((r) => r.type === c.resource);
    const inline = resources.filter((r) => r.type === c.with);
    for (const s of separate) {
      const blocks = typeof c.inline === "string" ? [c.inline] : [c.inline[String(s.inputs.type)]].filter(Boolean);
      for (const app of inline) {
        for (const block of blocks) {
          if (valuesAt(app.inputs, block).length === 0) continue;
          out.push({
            type: s.type,
            name: s.name,
            property: block,
            rule: "conflictsWithInline",
            message: `manages ${block} which ${app.name} also sets inline: use one or the other`,
            source: c.source,
          });
        }
      }
    }
  }
  return out;
}

/** Validates a whole plan: every resource, plus the rules that span resources. */
export function validateResources(resources: ResourceInputs[], options: ValidateOptions): Violation[] {
  return [...resources.flatMap((r) => validateResource(r, options)), ...conflictViolations(resources)];
}

/** Arguments of a provider function (data source) call, against the extract's list of its inputs. */
export function validateInvoke(token: string, args: Record<string, unknown>): Violation[] {
  const fn = FUNCTIONS[token];
  const source = schemaSource(token);
  if (!fn) return [];
  return Object.keys(args)
    .filter((k) => args[k] !== undefined && !fn.inputs.includes(k))
    .map((k) => ({
      type: token,
      name: "(invoke)",
      property: k,
      rule: "notInSchema",
      message: `is not an input of ${token} (known: ${fn.inputs.join(", ")})`,
      source,
    }));
}

export function formatViolation(v: Violation): string {
  return `${v.type} "${v.name}": ${v.property}: ${v.message} [rule ${v.rule}; source: ${v.source}]`;
}

export class ProviderRuleError extends Error {
  constructor(readonly violations: Violation[]) {
    super(
      `${violations.length} input(s) the real provider would reject:\n${violations.map((v) => `  - ${formatViolation(v)}`).join("\n")}`,
    );
    this.name = "ProviderRuleError";
  }
}
