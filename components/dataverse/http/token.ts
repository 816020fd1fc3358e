import { DefaultAzureCredential, type AccessToken, type TokenCredential } from "@azure/identity";

/** Returns a bearer token for the Dataverse environment. */
export type TokenSource = () => Promise<string>;

const REFRESH_MARGIN_MS = 2 * 60_000;

interface TokenCache {
  /** One DefaultAzureCredential per provider process (each one spawns `az` and the like on its own). */
  credential?: TokenCredential;
  /** Per scope: the token, or the fetch under way (single flight: concurrent callers share one request). */
  tokens: Map<string, { token?: AccessToken; pending?: Promise<AccessToken> }>;
  /** Token fetches made, for tests and the bench. */
  fetches: number;
}

const cache: TokenCache = { tokens: new Map(), fetches: 0 };

/** The process-wide cache, shared by every provider of the host (they all load this module from the package). */
export function tokenCache(): TokenCache {
  return cache;
}

/**
 * Tokens from an @azure/identity credential for `<environmentUrl>/.default`: one credential per process, one token
 * per scope, cached until shortly before expiry, fetched once however many requests ask at the same moment.
 */
export function credentialTokenSource(
  environmentUrl: string,
  credential?: TokenCredential,
  log: (line: string) => void = () => undefined,
): TokenSource {
  const scope = `${environmentUrl}/.default`;
  return cachedTokenSource(
    credential ? `${scope}#own` : scope,
    () => {
      // Created on first use, inside the provider process: credentials must never be captured by closure serialization.
      const cache = tokenCache();
      const source = credential ?? (cache.credential ??= new DefaultAzureCredential());
      return source.getToken(scope).then(
        (token) => {
          if (!token) throw new Error(`the Azure credential returned no token for ${scope}`);
          return token;
        },
        (err: Error) => {
          throw new Error(
            `could not get a Dataverse token for ${scope} (az login, workload identity or AZURE_* variables): ${err.message}`,
          );
        },
      );
    },
    log,
  );
}

/** A token kept per key in the process-wide cache until shortly before it expires; one fetch at a time per key. */
function cachedTokenSource(key: string, fetch: () => Promise<AccessToken>, log: (line: string) => void): TokenSource {
  return async () => {
    const cache = tokenCache();
    const entry = cache.tokens.get(key) ?? {};
    cache.tokens.set(key, entry);
    if (entry.token && entry.token.expiresOnTimestamp - Date.now() > REFRESH_MARGIN_MS) return entry.token.token;
    if (!entry.pending) {
      cache.fetches += 1;
      log(`token for ${key}: fetching (${cache.fetches} in this process)`);
      entry.pending = fetch()
        .then((token) => {
          entry.token = token;
          return token;
        })
        .finally(() => {
          entry.pending = undefined;
        });
    }
    return (await entry.pending).token;
  };
}

/** The `exp` of a JWT, in ms; undefined when the text is not a JWT with one. */
function jwtExpiry(token: string): number | undefined {
  try {
    const exp = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** How long a token file (or a named pipe) may take to deliver its token before the provider gives up. */
export const TOKEN_FILE_DEADLINE_MS = 10_000;
const MAX_TOKEN_BYTES = 64 * 1024;

/** A named pipe's content, read without blocking: a pipe nobody writes to fails at the deadline instead of hanging. */
async function readPipe(file: string, deadlineMs: number): Promise<string> {
  const fs = await import("node:fs");
  const net = await import("node:net");
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  return new Promise((resolve, reject) => {
    const socket = new net.Socket({ fd, readable: true, writable: false });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `DATAVERSE_TOKEN_FILE ${file} is a named pipe and nothing was written to it within ${Math.round(deadlineMs / 1000)} s`,
        ),
      );
    }, deadlineMs);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(`DATAVERSE_TOKEN_FILE ${file} cannot be read (${err.code ?? "error"})`));
    });
    socket.on("end", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
  });
}

/** The text of DATAVERSE_TOKEN_FILE: a regular file or a named pipe, read within `deadlineMs`; anything else refused. */
export async function readTokenFile(file: string, deadlineMs = TOKEN_FILE_DEADLINE_MS): Promise<string> {
  const { promises: fsp } = await import("node:fs");
  const stat = await fsp.stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`DATAVERSE_TOKEN_FILE ${file} cannot be read (${err.code ?? "error"})`);
  });
  if (stat.isDirectory())
    throw new Error(`DATAVERSE_TOKEN_FILE ${file} is a folder: point it at the file that holds the token`);
  if (stat.isFIFO()) return readPipe(file, deadlineMs);
  if (!stat.isFile()) throw new Error(`DATAVERSE_TOKEN_FILE ${file} is not a regular file or named pipe`);
  if (stat.size > MAX_TOKEN_BYTES)
    throw new Error(`DATAVERSE_TOKEN_FILE ${file} is ${stat.size} bytes: a token file holds one token`);
  return fsp.readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new Error(`DATAVERSE_TOKEN_FILE ${file} cannot be read (${err.code ?? "error"})`);
  });
}

/**
 * The token in a token file's text, refused by name when it is empty, has several lines or characters a bearer
 * token cannot have, or has expired (its JWT `exp`). The token itself is never part of a message.
 */
export function tokenFromFileText(file: string, text: string, now = Date.now()): AccessToken {
  const token = text.trim();
  if (!token) throw new Error(`DATAVERSE_TOKEN_FILE ${file} is empty: write the access token into it`);
  const lines = token.split(/\r?\n/).length;
  if (lines > 1)
    throw new Error(`DATAVERSE_TOKEN_FILE ${file} has ${lines} lines: it must hold exactly one token on one line`);
  if (!/^[\x21-\x7e]+$/.test(token))
    throw new Error(
      `DATAVERSE_TOKEN_FILE ${file} holds characters a bearer token cannot have (spaces or control characters)`,
    );
  const exp = jwtExpiry(token);
  if (exp !== undefined && exp <= now)
    throw new Error(
      `DATAVERSE_TOKEN_FILE ${file} holds a token that expired at ${new Date(exp).toISOString()} (its exp): write a fresh token`,
    );
  return { token, expiresOnTimestamp: exp ?? now + REFRESH_MARGIN_MS + 5 * 60_000 };
}

/**
 * A token another step of the pipeline wrote to a file (DATAVERSE_TOKEN_FILE), read again shortly before it
 * expires (its JWT `exp`, or after 5 minutes when it has none). Cached and shared like credential tokens.
 */
export function fileTokenSource(
  environmentUrl: string,
  file: string,
  log: (line: string) => void = () => undefined,
  deadlineMs = TOKEN_FILE_DEADLINE_MS,
): TokenSource {
  return cachedTokenSource(
    `${environmentUrl}/.default#file`,
    async () => tokenFromFileText(file, await readTokenFile(file, deadlineMs)),
    log,
  );
}

/**
 * `DATAVERSE_ACCESS_TOKEN` when set, else a token file (`DATAVERSE_TOKEN_FILE`), else DefaultAzureCredential
 * (az login, service principal env vars, workload or managed identity).
 */
export function defaultTokenSource(
  environmentUrl: string,
  env: Record<string, string | undefined> = process.env,
  log?: (line: string) => void,
): TokenSource {
  const fixed = env.DATAVERSE_ACCESS_TOKEN;
  if (fixed) return async () => fixed;
  if (env.DATAVERSE_TOKEN_FILE) return fileTokenSource(environmentUrl, env.DATAVERSE_TOKEN_FILE, log);
  return credentialTokenSource(environmentUrl, undefined, log);
}
