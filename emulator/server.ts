import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { customizationOperationOf } from "./customizationLock";
import { Faults } from "./faults";
import { HttpError, readBody, send } from "./httpUtil";
import type { LoggedRequest } from "./requestLog";
import { route, type RouteContext } from "./routes";
import { seed, type EmulatorData, type SeedOptions } from "./seed";

export const API_PREFIX = "/api/data/v9.2";

export interface EmulatorOptions extends SeedOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Bearer token of the deploying admin; default a random one. */
  token?: string;
  /** Largest page the emulator returns, whatever the client prefers. Default 5000. */
  pageSize?: number;
}

export interface Emulator {
  /** Environment root, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The admin (deployer) bearer token. */
  token: string;
  data: EmulatorData;
  faults: Faults;
  log: LoggedRequest[];
  /** Most requests ever in flight at once. */
  maxInFlight(): number;
  /** A bearer token that authenticates as the application with this client id (for WhoAmI checks). */
  tokenForApplication(applicationId: string): string;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a Dataverse Web API emulator on loopback. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const data = seed(options);
  const faults = new Faults();
  const log: LoggedRequest[] = [];
  const token = options.token ?? `emulator-${randomUUID()}`;
  const appTokens = new Map<string, string>();
  let inFlight = 0;
  let maxInFlight = 0;
  let url = "";

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const full = new URL(req.url ?? "/", "http://emulator");
    const path = decodeURIComponent(
      full.pathname.startsWith(API_PREFIX) ? full.pathname.slice(API_PREFIX.length) : full.pathname,
    );
    const method = req.method ?? "GET";
    const entry: LoggedRequest = {
      method,
      path,
      query: decodeURIComponent(full.search.slice(1)),
      status: 0,
      headers: {
        prefer: req.headers.prefer as string | undefined,
        mergeLabels: req.headers["mscrm.mergelabels"] as string | undefined,
        ifMatch: req.headers["if-match"] as string | undefined,
      },
      startedAt,
      endedAt: startedAt,
    };
    log.push(entry);
    let finished = false;
    const finish = (status: number) => {
      if (finished) return;
      finished = true;
      entry.status = status;
      entry.endedAt = performance.now();
      inFlight -= 1;
    };
    // A caller that gave up (timeout) no longer has the request in flight.
    res.on("close", () => finish(entry.status));
    let leave: (() => void) | undefined;
    let release: (() => void) | undefined;
    try {
      const bodyText = await readBody(req);
      if (bodyText && /json/.test(String(req.headers["content-type"] ?? ""))) entry.body = JSON.parse(bodyText);
      const operation = customizationOperationOf(method, path, bodyText, faults.lock);
      leave = operation ? faults.lock.arrive() : undefined;
      if (faults.latencyMs) await sleep(faults.wallMs(faults.latencyMs));
      const fault = faults.take(method, path, bodyText);
      if (fault?.kind === "drop") {
        finish(0);
        req.socket.destroy();
        return;
      }
      if (fault?.kind === "delay") await sleep(fault.ms);
      if (fault?.kind === "respond") {
        finish(fault.status);
        send(res, fault.status, fault.body);
        return;
      }
      if (fault?.kind === "status") {
        const headers: Record<string, string> =
          fault.retryAfterSeconds !== undefined ? { "Retry-After": String(fault.retryAfterSeconds) } : {};
        throw new HttpError(fault.status, fault.code ?? "", fault.message ?? `injected ${fault.status}`, headers);
      }
      const auth = req.headers.authorization ?? "";
      const bearer = auth.startsWith("Bearer ") ? auth.slice(7) : "";
      const callerApp = [...appTokens].find(([, t]) => t === bearer)?.[0];
      if (bearer !== token && !callerApp)
        throw new HttpError(401, "", "Bearer token missing or not valid for this environment.");
      if (!full.pathname.startsWith(API_PREFIX)) throw new HttpError(404, "", `No route ${full.pathname}`);
      const ctx: RouteContext = {
        data,
        faults,
        method,
        path,
        query: full.searchParams,
        body: bodyText,
        headers: req.headers,
        apiRoot: `${url}${API_PREFIX}`,
        callerApp,
        pageSize: options.pageSize ?? 5000,
        logPart: (part) => log.push(part),
      };
      // A $batch takes the lock part by part (batch.ts); a single customization request for its whole work.
      if (operation && path !== "/$batch") release = faults.lock.take(operation);
      const result = await route(ctx);
      const work = (result.waitMs ?? 0) + faults.operationCostMs * (result.operations ?? 1);
      // The work goes on when the caller gave up waiting: a timed-out write may still succeed.
      if (work) await sleep(faults.wallMs(work));
      result.apply?.();
      release?.();
      if (fault?.kind === "succeedSilently") return; // the socket stays open until the caller gives up
      finish(result.status);
      if (result.raw !== undefined) {
        res.writeHead(result.status, { "OData-Version": "4.0", ...result.headers });
        res.end(result.raw);
      } else {
        send(res, result.status, result.body, result.headers);
      }
    } catch (err) {
      const e =
        err instanceof HttpError
          ? err
          : new HttpError(500, "0x80040216", `An unexpected error occurred. (${(err as Error).message})`);
      finish(e.status);
      if (!res.headersSent && !res.destroyed)
        send(res, e.status, { error: { code: e.code, message: e.message } }, e.headers);
    } finally {
      release?.();
      leave?.();
    }
  }

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    token,
    data,
    faults,
    log,
    maxInFlight: () => maxInFlight,
    tokenForApplication(applicationId) {
      const t = `app-${randomUUID()}`;
      appTokens.set(applicationId.toLowerCase(), t);
      return t;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
