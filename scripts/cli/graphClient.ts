import axios, { type AxiosInstance } from "axios";
import { DefaultAzureCredential } from "@azure/identity";

export const GRAPH_ROOT = "https://graph.microsoft.com";
const GRAPH_SCOPE = `${GRAPH_ROOT}/.default`;

/** A Graph answer that was not 2xx: status, Graph's error code and message; never the request (it holds the token). */
export class GraphReadError extends Error {
  constructor(
    readonly status: number | undefined,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Microsoft Graph v1.0 for the commands (adopt, preflight, remove-vendor-secret): one client, which signs in as
 * `pulumi up` would. Readers make GETs and read-only actions (checkMemberObjects); only `graphWriter` writes.
 */
export interface GraphReader {
  get<T>(path: string): Promise<T>;
  /** Every row of a collection, following @odata.nextLink (https://learn.microsoft.com/graph/paging). */
  getAll<T>(path: string): Promise<T[]>;
  /** POST of an action that only reads, such as checkMemberObjects. */
  readAction<T>(path: string, body: unknown): Promise<T>;
  /** The bearer token, to read its claims (tenant, roles); never printed. */
  token(): Promise<string>;
}

/**
 * Signs in as `pulumi up`'s azuread provider would be asked to: GRAPH_ACCESS_TOKEN when set, else DefaultAzureCredential
 * for https://graph.microsoft.com/.default (az login, AZURE_* variables, workload or managed identity).
 */
export function defaultGraphToken(env: Record<string, string | undefined> = process.env): () => Promise<string> {
  if (env.GRAPH_ACCESS_TOKEN) {
    const fixed = env.GRAPH_ACCESS_TOKEN;
    return async () => fixed;
  }
  let pending: Promise<string> | undefined;
  return () =>
    (pending ??= new DefaultAzureCredential().getToken(GRAPH_SCOPE).then(
      (t) => {
        if (!t) throw new Error(`the Azure credential returned no token for ${GRAPH_SCOPE}`);
        return t.token;
      },
      (err: Error) => {
        pending = undefined;
        throw new Error(
          `could not get a Microsoft Graph token for ${GRAPH_SCOPE} (az login, workload identity or AZURE_* variables): ${err.message}`,
        );
      },
    ));
}

export function graphReader(root: string, token: () => Promise<string>, timeoutMs = 30_000): GraphReader {
  return graphSession(root, token, timeoutMs).reader;
}

/** The one Graph write this package makes outside `pulumi up`: removing a password credential the user asked to remove. */
export interface GraphWriter extends GraphReader {
  post(path: string, body: unknown): Promise<void>;
}

export function graphWriter(root: string, token: () => Promise<string>, timeoutMs = 30_000): GraphWriter {
  const { reader, send } = graphSession(root, token, timeoutMs);
  return {
    ...reader,
    async post(path, body) {
      await send("POST", path, body);
    },
  };
}

function graphSession(root: string, token: () => Promise<string>, timeoutMs: number) {
  const base = `${root.replace(/\/$/, "")}/v1.0`;
  const http: AxiosInstance = axios.create({
    baseURL: base,
    timeout: timeoutMs,
    validateStatus: () => true,
    maxRedirects: 0,
    proxy: false,
  });
  async function send<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const bearer = await token();
    let res;
    try {
      res = await http.request({
        method,
        url: path,
        data: body === undefined ? undefined : JSON.stringify(body),
        headers: {
          Accept: "application/json",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          Authorization: `Bearer ${bearer}`,
        },
      });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new GraphReadError(
        undefined,
        e.code ?? "",
        `Graph ${method} ${path.split("?")[0]}: ${e.message ?? "request failed"}`,
      );
    }
    if (res.status >= 400) {
      const error = (res.data as { error?: { code?: string; message?: string } })?.error;
      throw new GraphReadError(
        res.status,
        error?.code ?? "",
        `Graph ${method} ${path.split("?")[0]} answered ${res.status} ${error?.code ?? ""}: ${error?.message ?? "no message"}`.replace(
          / {2,}/g,
          " ",
        ),
      );
    }
    return res.data as T;
  }
  const reader: GraphReader = {
    get: (path) => send("GET", path),
    async getAll<T>(path: string) {
      const rows: T[] = [];
      for (let next: string | undefined = path, pages = 0; next && pages < 100; pages++) {
        const page: { value: T[]; "@odata.nextLink"?: string } = await send("GET", next);
        rows.push(...page.value);
        const link = page["@odata.nextLink"];
        // The token goes only to the Graph root it was asked for.
        if (link && !link.startsWith(`${base}/`))
          throw new GraphReadError(undefined, "", `Graph paging link points outside ${base}; refusing to follow it`);
        next = link?.slice(base.length);
      }
      return rows;
    },
    readAction: (path, body) => send("POST", path, body),
    token,
  };
  return { reader, send };
}

/** The claims of a JWT access token, or undefined when the token is not one (never verified: only read). */
export function tokenClaims(token: string): Record<string, unknown> | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
    return claims && typeof claims === "object" ? claims : undefined;
  } catch {
    return undefined;
  }
}
