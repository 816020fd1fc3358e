import { isMap, isSeq, parseDocument, type Document, type YAMLMap } from "yaml";
import { duplicateKeyPaths, sharedNodeProblem } from "../sandbox/yamlChecks";

const KEY = "crm-sync:integrations";

export interface RotationChange {
  integration: string;
  from: number;
  to: number;
}

export interface HandoverRecord {
  rotation: number;
  createdAt: string;
  generation: number;
  /** The secret's end date, fixed when it was created (from the outputs). */
  endDate?: string;
  /** The secret's key id and its app's client id: a later handover from another app or deployment is refused. */
  keyId?: string;
  clientId?: string;
}

/** The stack file's YAML document, refused by name when it does not parse or repeats a key. */
function parseStackYaml(yamlText: string): Document {
  const doc = parseDocument(yamlText, { uniqueKeys: false });
  if (doc.errors.length) throw new Error(`the stack file is not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
  const duplicates = duplicateKeyPaths(doc);
  if (duplicates.length)
    throw new Error(`the stack file repeats ${duplicates.map((d) => `"${d}"`).join(", ")}: keep one of each`);
  return doc;
}

/** The integrations list of a stack file, by name (with each one's index); fails on unknown names in `only`. */
function integrationMaps(doc: Document, only: string[] | undefined): { map: YAMLMap; index: number }[] {
  const shared = sharedNodeProblem(doc, ["config", KEY]);
  if (shared) throw new Error(shared);
  const integrations = doc.getIn(["config", KEY], true);
  if (!isSeq(integrations)) throw new Error(`the stack file has no ${KEY} list`);
  const maps = integrations.items.map((m, index) => ({ map: m as YAMLMap, index })).filter((m) => isMap(m.map));
  const names = maps.map((m) => String(m.map.get("name")));
  const unknown = (only ?? []).filter((n) => !names.includes(n));
  if (unknown.length)
    throw new Error(
      `no integration ${unknown.map((n) => `"${n}"`).join(", ")} in this stack (there are: ${names.join(", ")})`,
    );
  return maps.filter((m) => !only || only.includes(String(m.map.get("name"))));
}

/** Refuses an edit of `<integration>.secret.<key>` that would also change a node shared through an anchor. */
function refuseShared(doc: Document, index: number, key: string): void {
  const problem = sharedNodeProblem(doc, ["config", KEY, index, "secret", key]);
  if (problem) throw new Error(problem);
}

/**
 * Bumps `secret.generation` of the chosen integrations in a stack file's YAML text (an on-demand rotation request),
 * leaving every other line and comment as it was. `only` undefined means all integrations.
 */
export function bumpGenerations(
  yamlText: string,
  only: string[] | undefined,
): { text: string; changes: RotationChange[] } {
  const doc = parseStackYaml(yamlText);
  const changes: RotationChange[] = [];
  for (const { map, index } of integrationMaps(doc, only)) {
    const name = String(map.get("name"));
    refuseShared(doc, index, "generation");
    const from = Number(map.getIn(["secret", "generation"]) ?? 0);
    if (!Number.isInteger(from) || from < 0)
      throw new Error(
        `integration "${name}": secret.generation is ${map.getIn(["secret", "generation"])}, not a whole number`,
      );
    if (!map.has("secret")) map.set("secret", doc.createNode({}));
    map.setIn(["secret", "generation"], from + 1);
    changes.push({ integration: name, from, to: from + 1 });
  }
  return { text: doc.toString(), changes };
}

/** Writes `secret.handedOver` of one integration: the secret now in the vendor's settings. */
export function recordHandover(yamlText: string, integration: string, record: HandoverRecord): string {
  const doc = parseStackYaml(yamlText);
  const [{ map, index }] = integrationMaps(doc, [integration]);
  refuseShared(doc, index, "handedOver");
  if (!map.has("secret")) map.set("secret", doc.createNode({}));
  const fields = Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
  map.setIn(["secret", "handedOver"], doc.createNode(fields));
  return doc.toString();
}
