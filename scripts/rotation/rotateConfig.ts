import { isMap, isSeq, parseDocument, type YAMLMap } from "yaml";

const KEY = "crm-sync:integrations";

export interface RotationChange {
  integration: string;
  from: number;
  to: number;
}

/**
 * Bumps `secret.generation` (and records `secret.rotatedAt`) of the chosen integrations in a stack file's
 * YAML text, leaving every other line and comment as it was. `only` undefined means all integrations.
 */
export function bumpGenerations(yamlText: string, only: string[] | undefined, now: Date): { text: string; changes: RotationChange[] } {
  const doc = parseDocument(yamlText);
  if (doc.errors.length) throw new Error(`the stack file is not valid YAML: ${doc.errors[0].message}`);
  const integrations = doc.getIn(["config", KEY], true);
  if (!isSeq(integrations)) throw new Error(`the stack file has no ${KEY} list`);
  const maps = integrations.items.filter(isMap) as YAMLMap[];
  const names = maps.map((m) => String(m.get("name")));
  const unknown = (only ?? []).filter((n) => !names.includes(n));
  if (unknown.length) throw new Error(`no integration ${unknown.map((n) => `"${n}"`).join(", ")} in this stack (there are: ${names.join(", ")})`);
  const changes: RotationChange[] = [];
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  for (const map of maps) {
    const name = String(map.get("name"));
    if (only && !only.includes(name)) continue;
    const from = Number(map.getIn(["secret", "generation"]) ?? 0);
    if (!Number.isInteger(from) || from < 0) throw new Error(`integration "${name}": secret.generation is ${map.getIn(["secret", "generation"])}, not a whole number`);
    if (!map.has("secret")) map.set("secret", doc.createNode({}));
    map.setIn(["secret", "generation"], from + 1);
    map.setIn(["secret", "rotatedAt"], stamp);
    changes.push({ integration: name, from, to: from + 1 });
  }
  return { text: doc.toString(), changes };
}
