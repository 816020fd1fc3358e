import type { IncomingMessage, ServerResponse } from "node:http";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export function parseJson(text: string): Record<string, unknown> {
  if (!text) return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new HttpError(400, "0x80040216", "The request body is not valid JSON.");
  }
}

export function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    "OData-Version": "4.0",
    ...(body === undefined ? {} : { "Content-Type": "application/json; odata.metadata=minimal" }),
    ...headers,
  });
  res.end(text);
}

/** Keeps only the listed columns (and @odata annotations) of a row. */
export function select<T extends Record<string, unknown>>(
  row: T,
  columns: string | undefined,
): Record<string, unknown> {
  if (!columns) return { ...row };
  const keep = new Set(columns.split(",").map((c) => c.trim()));
  return Object.fromEntries(Object.entries(row).filter(([k]) => keep.has(k) || k.startsWith("@odata")));
}
