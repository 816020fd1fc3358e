import { isMap, isSeq, parseDocument, type Document, type YAMLMap } from "yaml";

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
}

/** The integrations list of a stack file, by name; fails on unknown names in `only`. */
function integrationMaps(doc: Document, only: string[] | undefined): YAMLMap[] {
  if (doc.errors.length) throw new Error(`the stack file is not valid YAML: ${doc.errors[0].message}`);
  const integrations = doc.getIn(["config", KEY], true);
  if (!isSeq(integrations)) throw new Error(`the stack file has no ${KEY} list`);
  const maps = integrations.items.filter(isMap) as YAMLMap[];
  const names = maps.map((m) => String(m.get("name")));
  const unknown = (only ?? []).filter((n) => !names.includes(n));
  if (unknown.length) throw new Error(`no integration ${unknown.map((n) => `"${n}"`).join(", ")} in this stack (there are: ${names.join(", ")})`);
  return maps.filter((m) => !only || only.includes(String(m.get("name"))));
}

/**
 * Bumps `secret.generation` of the chosen integrations in a stack file's YAML text (an on-demand rotation request),
 * leaving every other line and comment as it was. `only` undefined means all integrations.
 */
export function bumpGenerations(yamlText: string, only: string[] | undefined): { text: string; changes: RotationChange[] } {
  const doc = parseDocument(yamlText);
  const changes: RotationChange[] = [];
  for (const map of integrationMaps(doc, only)) {
    const name = String(map.get("name"));
    const from = Number(map.getIn(["secret", "generation"]) ?? 0);
    if (!Number.isInteger(from) || from < 0) throw new Error(`integration "${name}": secret.generation is ${map.getIn(["secret", "generation"])}, not a whole number`);
    if (!map.has("secret")) map.set("secret", doc.createNode({}));
    map.setIn(["secret", "generation"], from + 1);
    changes.push({ integration: name, from, to: from + 1 });
  }
  return { text: doc.toString(), changes };
}

/** Writes `secret.handedOver` of one integration: the secret now in the vendor's settings. */
export function recordHandover(yamlText: string, integration: string, record: HandoverRecord): string {
  const doc = parseDocument(yamlText);
  const [map] = integrationMaps(doc, [integration]);
  if (!map.has("secret")) map.set("secret", doc.createNode({}));
  map.setIn(["secret", "handedOver"], doc.createNode({ rotation: record.rotation, createdAt: record.createdAt, generation: record.generation }));
  return doc.toString();
}
