import { isAlias, isMap, isPair, isScalar, isSeq, visit, type Document, type Node } from "yaml";

/** A key path for messages: `config.crm-sync:integrations[0].secret`. */
function pathText(parts: (string | number)[]): string {
  return parts.reduce<string>((text, p) => (typeof p === "number" ? `${text}[${p}]` : text ? `${text}.${p}` : p), "");
}

/**
 * Every key that appears twice in one mapping, by its path (`config.crm-sync:integrations[0].secret.generation`):
 * YAML forbids it, Pulumi's parser keeps one of them, and which one is not what the user meant.
 */
export function duplicateKeyPaths(doc: Document): string[] {
  const found: string[] = [];
  const walk = (node: unknown, at: (string | number)[]) => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (seen.has(key)) found.push(pathText([...at, key]));
        seen.add(key);
        walk(pair.value, [...at, key]);
      }
    } else if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...at, i]));
  };
  walk(doc.contents, []);
  return found;
}

/**
 * Why the node at `path` cannot be edited alone, or undefined: a node on the way that is an alias (`*name`),
 * carries an anchor other nodes may alias (`&name`), or merges another mapping (`<<:`). Changing it would change
 * every place that shares it.
 */
export function sharedNodeProblem(doc: Document, path: (string | number)[]): string | undefined {
  const aliased = new Set<string>();
  visit(doc, {
    Alias: (_key, node) => {
      aliased.add(node.source);
    },
  });
  let node: unknown = doc.contents;
  const walked: (string | number)[] = [];
  for (const part of [undefined, ...path]) {
    if (part !== undefined) {
      walked.push(part);
      if (!isMap(node) && !isSeq(node)) return undefined;
      node = (node as { get: (k: unknown, keep: boolean) => unknown }).get(part, true);
    }
    const where = pathText(walked) || "the document";
    if (isAlias(node))
      return `${where} is the alias *${node.source}, shared with the node anchored &${node.source}: write ${where} out in full (no alias) before editing it`;
    const anchor = (node as Node | undefined)?.anchor;
    if (anchor && aliased.has(anchor))
      return `${where} is anchored as &${anchor} and shared through *${anchor}: an edit here would change every alias too; give it its own copy first`;
    if (isMap(node) && node.items.some((p) => isPair(p) && isScalar(p.key) && p.key.value === "<<")) {
      return `${where} merges another mapping (<<:): write its settings out in full before editing it`;
    }
  }
  return undefined;
}
