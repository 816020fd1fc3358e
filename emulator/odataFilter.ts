/** A small OData $filter evaluator for the expressions the project sends: eq/ne, and/or, parentheses, literals. */
type Literal = string | number | boolean | null;
type Node = { op: "and" | "or"; left: Node; right: Node } | { op: "eq" | "ne"; field: string; value: Literal };

const TOKEN = /\s*(\(|\)|'(?:[^']|'')*'|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}(?![\w-])|[A-Za-z_][\w/.]*|-?\d+(?:\.\d+)?)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      if (/^\s*$/.test(text.slice(start))) break;
      throw new Error(`cannot parse $filter near "${text.slice(start, start + 20)}"`);
    }
    tokens.push(m[1]);
  }
  return tokens;
}

function literal(token: string): Literal {
  if (token.startsWith("'")) return token.slice(1, -1).replace(/''/g, "'");
  if (token === "null") return null;
  if (token === "true" || token === "false") return token === "true";
  if (/^-?\d+(\.\d+)?$/.test(token)) return Number(token);
  if (/^[0-9a-f-]{36}$/i.test(token)) return token.toLowerCase();
  throw new Error(`unsupported literal ${token}`);
}

export function parseFilter(text: string): Node {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const parseOr = (): Node => {
    let left = parseAnd();
    while (peek() === "or") {
      next();
      left = { op: "or", left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Node => {
    let left = parsePrimary();
    while (peek() === "and") {
      next();
      left = { op: "and", left, right: parsePrimary() };
    }
    return left;
  };
  const parsePrimary = (): Node => {
    if (peek() === "(") {
      next();
      const inner = parseOr();
      if (next() !== ")") throw new Error("missing ) in $filter");
      return inner;
    }
    const field = next();
    const op = next();
    if (op !== "eq" && op !== "ne") throw new Error(`unsupported operator ${op} in $filter`);
    return { op, field, value: literal(next()) };
  };
  const node = parseOr();
  if (pos !== tokens.length) throw new Error(`unexpected ${tokens[pos]} in $filter`);
  return node;
}

function fieldValue(row: Record<string, unknown>, field: string): unknown {
  return field
    .split("/")
    .reduce<unknown>((v, part) => (v && typeof v === "object" ? (v as Record<string, unknown>)[part] : undefined), row);
}

function equal(a: unknown, b: Literal): boolean {
  if (b === null) return a === null || a === undefined;
  if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

export function matches(node: Node, row: Record<string, unknown>): boolean {
  switch (node.op) {
    case "and":
      return matches(node.left, row) && matches(node.right, row);
    case "or":
      return matches(node.left, row) || matches(node.right, row);
    case "eq":
      return equal(fieldValue(row, node.field), node.value);
    case "ne":
      return !equal(fieldValue(row, node.field), node.value);
  }
}
