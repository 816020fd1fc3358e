import { unsupportedQuery } from "./errors";

/**
 * The OData query subset the clients of this package send to Graph (https://learn.microsoft.com/graph/query-parameters):
 * $select (comma list), $filter with `eq` (string, GUID or null) and `in (...)` joined by `and`, $top, and
 * server-driven paging with @odata.nextLink carrying an opaque $skiptoken (https://learn.microsoft.com/graph/paging).
 * Anything else is refused with 400 rather than silently ignored.
 */
type Row = Record<string, unknown>;
type Clause = { property: string; values: (string | null)[] };

const CLAUSE = /^\s*(\w+)\s+(eq\s+(?:'((?:[^']|'')*)'|(null))|in\s+\(([^)]*)\))\s*$/i;

export function parseFilter(filter: string | null, filterable: string[]): Clause[] {
  if (!filter) return [];
  return filter.split(/\s+and\s+/i).map((part) => {
    const m = CLAUSE.exec(part);
    if (!m) throw unsupportedQuery(`Unsupported or invalid query filter clause specified: '${part.trim()}'.`);
    const property = m[1];
    if (!filterable.includes(property))
      throw unsupportedQuery(
        `Unsupported or invalid query filter clause specified for property '${property}' of resource.`,
      );
    if (m[5] !== undefined) {
      const values = m[5]
        .split(",")
        .map((v) => v.trim())
        .map((v) => /^'(.*)'$/.exec(v)?.[1]?.replace(/''/g, "'"));
      if (values.some((v) => v === undefined)) throw unsupportedQuery(`Invalid 'in' list: '${m[5]}'.`);
      return { property, values: values as string[] };
    }
    return { property, values: [m[4] ? null : m[3].replace(/''/g, "'")] };
  });
}

export function matches(row: Row, clauses: Clause[]): boolean {
  return clauses.every(({ property, values }) =>
    values.some((v) => {
      const actual = row[property];
      if (v === null) return actual === null || actual === undefined;
      return typeof actual === "string" && actual.toLowerCase() === v.toLowerCase();
    }),
  );
}

export function selectColumns(row: Row, select: string | null): Row {
  if (!select) return { ...row };
  const keep = select
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean);
  for (const k of keep) if (!(k in row)) throw unsupportedQuery(`Could not find a property named '${k}' on type.`);
  // Graph always returns id with a $select (https://learn.microsoft.com/graph/query-parameters#select-parameter).
  return Object.fromEntries(Object.entries(row).filter(([k]) => k === "id" || keep.includes(k)));
}

export interface Page {
  value: Row[];
  nextLink?: string;
}

/** One page of rows starting at the $skiptoken, at most min($top, pageSize) long. */
export function page(rows: Row[], query: URLSearchParams, pageSize: number, selfUrl: string): Page {
  const topText = query.get("$top");
  if (topText !== null && !/^\d{1,3}$/.test(topText)) throw unsupportedQuery(`Invalid $top value '${topText}': 1-999.`);
  const top = topText ? Number(topText) : pageSize;
  if (top < 1) throw unsupportedQuery(`Invalid $top value '${topText}': 1-999.`);
  const token = query.get("$skiptoken");
  const start = token ? decodeSkip(token) : 0;
  const size = Math.min(top, pageSize);
  const value = rows.slice(start, start + size);
  if (start + size >= rows.length) return { value };
  const next = new URL(selfUrl);
  next.searchParams.set("$skiptoken", Buffer.from(`RFNwdAIAAQAAA:${start + size}`).toString("base64url"));
  return { value, nextLink: next.toString() };
}

function decodeSkip(token: string): number {
  const m = /:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!m) throw unsupportedQuery(`Invalid $skiptoken '${token}'.`);
  return Number(m[1]);
}
