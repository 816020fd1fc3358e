import axios from "axios";
import { DefaultAzureCredential } from "@azure/identity";

/** Graph root a real run reads; GRAPH_URL points the same code at the local Graph emulator. */
export const GRAPH_ROOT = "https://graph.microsoft.com";
export const GRAPH_SCOPE = `${GRAPH_ROOT}/.default`;

/** Read-only Microsoft Graph v1.0 access: GETs only, following @odata.nextLink (https://learn.microsoft.com/graph/paging). */
export interface GraphReader {
  get<T>(path: string): Promise<T>;
  getAll<T>(path: string): Promise<T[]>;
}

export class GraphReadError extends Error {
  constructor(
    readonly status: number | undefined,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** GRAPH_ACCESS_TOKEN when set, else DefaultAzureCredential for https://graph.microsoft.com/.default (one fetch per run). */
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
  const base = `${root.replace(/\/$/, "")}/v1.0`;
  const http = axios.create({
    baseURL: base,
    timeout: timeoutMs,
    validateStatus: () => true,
    maxRedirects: 0,
    proxy: false,
  });
  async function get<T>(path: string): Promise<T> {
    const bearer = await token();
    let res;
    try {
      res = await http.get(path, { headers: { Accept: "application/json", Authorization: `Bearer ${bearer}` } });
    } catch (err) {
      throw new GraphReadError(
        undefined,
        (err as { code?: string }).code ?? "",
        `Graph GET ${path.split("?")[0]}: ${(err as Error).message}`,
      );
    }
    if (res.status >= 400) {
      const error = (res.data as { error?: { code?: string; message?: string } })?.error;
      throw new GraphReadError(
        res.status,
        error?.code ?? "",
        `Graph GET ${path.split("?")[0]} answered ${res.status} ${error?.code ?? ""}: ${error?.message ?? "no message"}`.replace(
          / {2,}/g,
          " ",
        ),
      );
    }
    return res.data as T;
  }
  return {
    get,
    async getAll<T>(path: string) {
      const rows: T[] = [];
      for (let next: string | undefined = path, pages = 0; next; pages++) {
        if (pages >= 1000)
          throw new GraphReadError(
            undefined,
            "",
            `Graph GET ${path.split("?")[0]}: more than 1000 pages; refusing to read on`,
          );
        const page: { value: T[]; "@odata.nextLink"?: string } = await get(next);
        rows.push(...page.value);
        const link = page["@odata.nextLink"];
        // The token goes only to the Graph root it was asked for.
        if (link && !link.startsWith(`${base}/`))
          throw new GraphReadError(undefined, "", `Graph paging link points outside ${base}; refusing to follow it`);
        next = link?.slice(base.length);
      }
      return rows;
    },
  };
}

/** The one Graph write this package makes outside `pulumi up`: removing a password credential the user asked to remove. */
export interface GraphWriter extends GraphReader {
  post(path: string, body: unknown): Promise<number>;
}

export function graphWriter(root: string, token: () => Promise<string>, timeoutMs = 30_000): GraphWriter {
  const reader = graphReader(root, token, timeoutMs);
  const http = axios.create({
    baseURL: `${root.replace(/\/$/, "")}/v1.0`,
    timeout: timeoutMs,
    validateStatus: () => true,
    maxRedirects: 0,
    proxy: false,
  });
  return {
    ...reader,
    async post(path, body) {
      const res = await http.post(path, JSON.stringify(body), {
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${await token()}` },
      });
      if (res.status >= 400) {
        const error = (res.data as { error?: { code?: string; message?: string } })?.error;
        throw new GraphReadError(
          res.status,
          error?.code ?? "",
          `Graph POST ${path} answered ${res.status} ${error?.code ?? ""}: ${error?.message ?? "no message"}`.replace(
            / {2,}/g,
            " ",
          ),
        );
      }
      return res.status;
    },
  };
}
