import { parseJsonInput } from "../sync/stackOutputs";
/** Pulumi's marker key for secret values in state and in `preview --json`. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_TEXT = "[secret]";

export type Op = "create" | "update" | "replace" | "delete" | "same" | "current";

export interface ResourceState {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

export interface ResourceChange {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  op: Op;
  old?: ResourceState;
  new?: ResourceState;
}

export interface AuditInput {
  source: "stack export" | "preview";
  stack: string;
  resources: ResourceChange[];
}

/** Replaces every secret (ciphertext or plaintext) by "[secret]": nothing downstream can print one. */
export function stripSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripSecrets);
  if (value && typeof value === "object") {
    if (SIG_KEY in value) return SECRET_TEXT;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripSecrets(v)]));
  }
  return value;
}

interface ResourceV3 {
  urn: string;
  type: string;
  custom?: boolean;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const stackOf = (urn: string) => urn.split("::")[0].replace(/^urn:pulumi:/, "");
const state = (r?: ResourceV3): ResourceState | undefined =>
  r
    ? {
        inputs: stripSecrets(r.inputs ?? {}) as Record<string, unknown>,
        outputs: stripSecrets(r.outputs ?? {}) as Record<string, unknown>,
      }
    : undefined;

/** Engine step kinds folded into what changes for a reader. */
function foldOp(op: string): Op {
  if (op === "create" || op === "import") return "create";
  if (op === "delete" || op === "discard" || op === "delete-replaced") return "delete";
  if (op === "replace" || op === "create-replacement" || op === "discard-replaced") return "replace";
  if (op === "update" || op === "refresh") return "update";
  return "same";
}

const EXPECTED = "the output of `pulumi stack export` or `pulumi preview --json` of a crm-sync stack";
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON input, checked field by field below
const isMapping = (v: unknown): v is Record<string, any> => !!v && typeof v === "object" && !Array.isArray(v);
const isResource = (r: unknown): r is ResourceV3 =>
  isMapping(r) && typeof r.urn === "string" && r.urn.startsWith("urn:pulumi:") && typeof r.type === "string";

/** Refuses input that holds no crm-sync integration: an empty report would read as "grants nothing". */
function requireIntegrations(input: AuditInput): AuditInput {
  if (!input.resources.some((r) => r.type === "crm-sync:sync:Integration")) {
    const projects = [...new Set(input.resources.map((r) => r.urn.split("::")[1]).filter(Boolean))];
    throw new Error(
      `the input has no crm-sync integration (${input.resources.length} resources${projects.length ? ` of project ${projects.join(", ")}` : ""}): give ${EXPECTED}`,
    );
  }
  return input;
}

/** Reads `pulumi stack export` (version 3) or `pulumi preview --json` output. */
export function readAuditInput(text: string): AuditInput {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON input, checked field by field below
  const doc = parseJsonInput(text, EXPECTED) as any;
  if (!isMapping(doc)) throw new Error(`the input is ${Array.isArray(doc) ? "a list" : typeof doc}, not ${EXPECTED}`);
  if (Array.isArray(doc.deployment?.resources)) {
    const bad = (doc.deployment.resources as unknown[]).findIndex((r) => !isResource(r));
    if (bad >= 0)
      throw new Error(`deployment.resources[${bad}] is not a resource (urn and type): is this ${EXPECTED}?`);
    const resources = (doc.deployment.resources as ResourceV3[]).map((r): ResourceChange => ({
      urn: r.urn,
      type: r.type,
      name: nameOf(r.urn),
      custom: r.custom ?? false,
      op: "current",
      new: state(r),
    }));
    return requireIntegrations({
      source: "stack export",
      stack: resources[0] ? stackOf(resources[0].urn) : "",
      resources,
    });
  }
  if (Array.isArray(doc.steps)) {
    const bad = (doc.steps as unknown[]).findIndex(
      (st) =>
        !isMapping(st) ||
        typeof st.op !== "string" ||
        typeof st.urn !== "string" ||
        !(isResource(st.newState) || isResource(st.oldState)),
    );
    if (bad >= 0) throw new Error(`steps[${bad}] is not a preview step (op, urn and a state): is this ${EXPECTED}?`);
    const byUrn = new Map<string, ResourceChange>();
    for (const step of doc.steps as { op: string; urn: string; oldState?: ResourceV3; newState?: ResourceV3 }[]) {
      const known = byUrn.get(step.urn);
      const op = foldOp(step.op);
      const source = step.newState ?? step.oldState!;
      const change: ResourceChange = known ?? {
        urn: step.urn,
        type: source.type,
        name: nameOf(step.urn),
        custom: source.custom ?? false,
        op,
      };
      change.old ??= state(step.oldState);
      change.new = op === "delete" ? change.new : (state(step.newState) ?? change.new);
      if (known && op !== "same") change.op = op === "delete" && known.op === "replace" ? "replace" : op;
      byUrn.set(step.urn, change);
    }
    const resources = [...byUrn.values()];
    return requireIntegrations({ source: "preview", stack: resources[0] ? stackOf(resources[0].urn) : "", resources });
  }
  throw new Error(
    `the input has neither deployment.resources nor steps (top-level keys: ${Object.keys(doc).join(", ") || "none"}): give ${EXPECTED}`,
  );
}
