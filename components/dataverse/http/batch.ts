import { DataverseError } from "./errors";

/** One operation inside a Web API `$batch` request. */
export interface BatchOperation {
  method: "GET" | "PUT" | "PATCH" | "POST" | "DELETE";
  /** Path below the Web API root, e.g. `/EntityDefinitions(LogicalName='account')`. */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface BatchPartResponse {
  status: number;
  body: unknown;
}

const CRLF = "\r\n";

/** The multipart/mixed body of a `$batch` request (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api); no change set: parts succeed or fail alone. */
export function buildBatchBody(boundary: string, apiRoot: string, operations: BatchOperation[]): string {
  const parts = operations.map((op) => {
    const headers = {
      Accept: "application/json",
      ...(op.body === undefined ? {} : { "Content-Type": "application/json" }),
      ...op.headers,
    };
    return [
      `--${boundary}`,
      "Content-Type: application/http",
      "Content-Transfer-Encoding: binary",
      "",
      `${op.method} ${apiRoot}${op.path} HTTP/1.1`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      "",
      op.body === undefined ? "" : JSON.stringify(op.body),
    ].join(CRLF);
  });
  return `${parts.join(CRLF)}${CRLF}--${boundary}--${CRLF}`;
}

/** Splits a multipart `$batch` response into per-operation statuses and JSON bodies, in order. */
export function parseBatchResponse(contentType: string, text: string): BatchPartResponse[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) throw new Error(`$batch answer is not multipart (${contentType || "no content type"})`);
  return text
    .split(`--${boundary}`)
    .slice(1)
    .filter((part) => !part.startsWith("--"))
    .map((part) => {
      const http = /HTTP\/1\.1 (\d{3})[^\r\n]*\r?\n([\s\S]*)$/.exec(part);
      if (!http) throw new Error("$batch answer has a part without an HTTP status line");
      const [, status, rest] = http;
      const bodyStart = rest.search(/\r?\n\r?\n/);
      const raw = bodyStart < 0 ? "" : rest.slice(bodyStart).trim();
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        /* keep text */
      }
      return { status: Number(status), body };
    });
}

/** A failed part as the error its request alone would have raised (Dataverse's code and message, when it sent them). */
export function throwIfPartFailed(part: BatchPartResponse, method: string, path: string, what: string): void {
  if (part.status < 400) return;
  const error = (part.body as { error?: { code?: string; message?: string } } | undefined)?.error;
  throw new DataverseError(
    method,
    path,
    part.status,
    error?.code ?? "",
    error?.message ?? `could not read the ${what}`,
  );
}
