import { customizationOperationOf } from "./customizationLock";
import { HttpError } from "./httpUtil";
import type { LoggedRequest } from "./requestLog";
import type { RouteContext, RouteResult } from "./routes";

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  412: "Precondition Failed",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

interface Part {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
}

function parseParts(contentType: string, text: string): Part[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary)
    throw new HttpError(400, "0x80040216", "A $batch request needs Content-Type multipart/mixed with a boundary.");
  return text
    .split(`--${boundary}`)
    .slice(1)
    .filter((p) => !p.startsWith("--"))
    .map((part) => {
      if (/Content-Type: multipart\/mixed/i.test(part.split(/\r?\n\r?\n/)[0]))
        throw new HttpError(400, "0x80040216", "This emulator does not support change sets.");
      const http = /^(GET|PUT|PATCH|POST|DELETE) (\S+) HTTP\/1\.1\r?\n([\s\S]*)$/m.exec(part);
      if (!http) throw new HttpError(400, "0x80040216", "A $batch part has no request line.");
      const [head, ...rest] = http[3].split(/\r?\n\r?\n/);
      const headers = Object.fromEntries(
        head
          .split(/\r?\n/)
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
      );
      return { method: http[1], url: new URL(http[2]), headers, body: rest.join("\n\n").trim() };
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs one part: a metadata write takes the environment's customization lock for its work (or is refused with the
 * lock's answer, as that part's status) and takes effect when its work ends.
 */
async function runPart(
  ctx: RouteContext,
  part: RouteContext,
  route: (c: RouteContext) => RouteResult | Promise<RouteResult>,
  clock: { due: number },
): Promise<RouteResult> {
  const operation = customizationOperationOf(part.method, part.path, "", ctx.faults.lock);
  const release = operation ? ctx.faults.lock.take(operation) : undefined;
  try {
    const result = await route(part);
    const work = (result.waitMs ?? 0) + ctx.faults.operationCostMs;
    // Parts end on a schedule from the batch's start, so timer lateness does not add up over hundreds of parts.
    clock.due = Math.max(clock.due, performance.now()) + ctx.faults.wallMs(work);
    if (work) await sleep(clock.due - performance.now());
    result.apply?.();
    return result;
  } finally {
    release?.();
  }
}

/**
 * Runs each part of a $batch through the same routes, one after the other ("Dataverse performs these operations
 * sequentially in the order you specify": https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api),
 * each with its own server work, and answers multipart/mixed.
 */
export async function handleBatch(
  ctx: RouteContext,
  route: (c: RouteContext) => RouteResult | Promise<RouteResult>,
  logPart: (entry: LoggedRequest) => void,
): Promise<RouteResult> {
  const parts = parseParts(String(ctx.headers["content-type"] ?? ""), ctx.body);
  if (parts.length > 1000) throw new HttpError(400, "0x80040216", "A $batch may hold at most 1000 requests.");
  const isMetadataWrite = (p: Part) => p.method === "PUT" && /\/EntityDefinitions\(/.test(p.url.pathname);
  if (ctx.faults.metadataInBatch === "refusedWhole" && parts.some(isMetadataWrite)) {
    throw new HttpError(400, "0x80060888", "Metadata operations are not supported in a $batch request.");
  }
  const boundary = `batchresponse_${Math.random().toString(36).slice(2)}`;
  // Without `Prefer: odata.continue-on-error` the service stops at the first failed part and answers the parts run so
  // far (the last of them the failure): recorded/powerapps-docs/batch_response_400_without_continue.txt and
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api
  // (Handling errors); the Python SDK documents the same default (BatchRequest.execute, continue_on_error).
  const continueOnError = /odata\.continue-on-error/i.test(String(ctx.headers.prefer ?? ""));
  const answers: string[] = [];
  const clock = { due: performance.now() };
  for (const p of parts) {
    const path = decodeURIComponent(p.url.pathname.replace(/^\/api\/data\/v9\.2/, ""));
    const started = performance.now();
    let result: RouteResult;
    const fault = ctx.faults.take(p.method, path);
    try {
      if (fault?.kind === "status")
        throw new HttpError(fault.status, fault.code ?? "", fault.message ?? `injected ${fault.status}`);
      if (ctx.faults.metadataInBatch === "refusedPerPart" && isMetadataWrite(p))
        throw new HttpError(400, "0x80060888", "Metadata operations are not supported in a $batch request.");
      result = await runPart(
        ctx,
        {
          ...ctx,
          method: p.method,
          path,
          query: p.url.searchParams,
          body: p.body,
          headers: { ...ctx.headers, ...p.headers },
        },
        route,
        clock,
      );
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, "0x80040216", (err as Error).message);
      result = { status: e.status, body: { error: { code: e.code, message: e.message } } };
    }
    logPart({
      method: p.method,
      path,
      query: decodeURIComponent(p.url.search.slice(1)),
      status: result.status,
      headers: {
        prefer: p.headers.prefer,
        mergeLabels: p.headers["mscrm.mergelabels"],
        ifMatch: p.headers["if-match"],
      },
      body: p.body ? JSON.parse(p.body) : undefined,
      batched: true,
      startedAt: started,
      endedAt: performance.now(),
    });
    answers.push(
      [
        `--${boundary}`,
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        "",
        `HTTP/1.1 ${result.status} ${STATUS_TEXT[result.status] ?? ""}`,
        "Content-Type: application/json; odata.metadata=minimal",
        "OData-Version: 4.0",
        "",
        result.body === undefined ? "" : JSON.stringify(result.body),
      ].join("\r\n"),
    );
    if (result.status >= 400 && !continueOnError) break;
  }
  // Each part was charged its own work above; the batch adds none.
  return {
    status: 200,
    operations: 0,
    raw: `${answers.join("\r\n")}\r\n--${boundary}--\r\n`,
    headers: { "Content-Type": `multipart/mixed; boundary=${boundary}` },
  };
}
