import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { readBody } from "../httpUtil";
import { errorBody, GraphError } from "./errors";
import { graphRoute, type GraphContext } from "./routes";
import { addUser } from "./seed";
import { createGraphData, type GraphData, type GraphSeedOptions } from "./store";

export const GRAPH_PREFIX = "/v1.0";

export interface GraphLoggedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  body?: unknown;
}

/** POSTs that only read (https://learn.microsoft.com/graph/api/directoryobject-checkmemberobjects and getMemberObjects). */
const READ_ACTIONS = /\/(checkMemberObjects|getMemberObjects|checkMemberGroups|getMemberGroups)$/;
export const isGraphWrite = (r: GraphLoggedRequest) => r.method !== "GET" && !READ_ACTIONS.test(r.path);

export interface GraphEmulatorOptions extends GraphSeedOptions {
  port?: number;
  /** Largest page of a collection (Graph pages most directory collections at 100 by default; UNCONFIRMED per collection). */
  pageSize?: number;
  /** Directory roles of the signed-in deployer (default: Global Administrator). */
  deployerRoles?: string[];
}

export interface GraphEmulator {
  /** Graph root without the version, e.g. http://127.0.0.1:41234 ; requests go to <url>/v1.0/... */
  url: string;
  /** Bearer token of the signed-in deployer (a user). */
  token: string;
  deployerId: string;
  data: GraphData;
  log: GraphLoggedRequest[];
  writes(): GraphLoggedRequest[];
  /** An app-only bearer token for the given service principal object id. */
  tokenForServicePrincipal(servicePrincipalId: string): string;
  close(): Promise<void>;
}

/** Starts a Microsoft Graph v1.0 emulator on loopback holding one tenant's directory in memory. */
export async function startGraphEmulator(options: GraphEmulatorOptions = {}): Promise<GraphEmulator> {
  const data = createGraphData(options);
  const deployerId = addUser(data, "deployer@contoso.example", options.deployerRoles ?? ["Global Administrator"]);
  const token = `graph-${randomUUID()}`;
  const callers = new Map<string, GraphContext["caller"]>([[token, { kind: "user", id: deployerId }]]);
  const log: GraphLoggedRequest[] = [];
  let url = "";

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const full = new URL(req.url ?? "/", url);
    const method = req.method ?? "GET";
    const path = decodeURIComponent(
      full.pathname.startsWith(GRAPH_PREFIX) ? full.pathname.slice(GRAPH_PREFIX.length) : full.pathname,
    );
    const entry: GraphLoggedRequest = { method, path, query: decodeURIComponent(full.search.slice(1)), status: 0 };
    log.push(entry);
    const respond = (status: number, body?: unknown) => {
      entry.status = status;
      res.writeHead(
        status,
        body === undefined
          ? {}
          : {
              "Content-Type":
                "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
            },
      );
      res.end(body === undefined ? "" : JSON.stringify(body));
    };
    try {
      const text = await readBody(req);
      let body: Record<string, unknown> = {};
      if (text) {
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          throw new GraphError(
            400,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
          );
        }
        entry.body = body;
      }
      // 401 without a valid bearer token: code InvalidAuthenticationToken (https://learn.microsoft.com/graph/errors
      // lists 401; the code and "Access token is empty." are what Graph SDK issues quote; UNCONFIRMED in a Microsoft page).
      const auth = req.headers.authorization ?? "";
      const caller = auth.startsWith("Bearer ") ? callers.get(auth.slice(7)) : undefined;
      if (!caller)
        throw new GraphError(
          401,
          "InvalidAuthenticationToken",
          auth ? "Access token validation failure. Invalid audience." : "Access token is empty.",
        );
      if (!full.pathname.startsWith(GRAPH_PREFIX + "/"))
        throw new GraphError(400, "BadRequest", `Invalid version: ${full.pathname.split("/")[1] ?? ""}`);
      const result = graphRoute({
        data,
        method,
        path,
        query: full.searchParams,
        body,
        caller,
        root: `${url}${GRAPH_PREFIX}`,
        selfUrl: full.toString(),
        pageSize: options.pageSize ?? 100,
      });
      respond(result.status, result.body);
    } catch (err) {
      const e = err instanceof GraphError ? err : new GraphError(500, "InternalServerError", (err as Error).message);
      respond(e.status, errorBody(e, req.headers["client-request-id"] as string | undefined));
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
    deployerId,
    data,
    log,
    writes: () => log.filter(isGraphWrite),
    tokenForServicePrincipal(servicePrincipalId) {
      const t = `graph-app-${randomUUID()}`;
      callers.set(t, { kind: "servicePrincipal", id: servicePrincipalId });
      return t;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
