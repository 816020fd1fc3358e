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

/**
 * The process-wide cache. It lives on globalThis because every resource's provider is deserialized separately in
 * the provider host: module state is not shared between them, globalThis is.
 */
export function tokenCache(): TokenCache {
  return ((globalThis as Record<string, unknown>).__crmSyncTokenCache ??= { tokens: new Map(), fetches: 0 }) as TokenCache;
}

/**
 * Tokens from an @azure/identity credential for `<environmentUrl>/.default`: one credential per process, one token
 * per scope, cached until shortly before expiry, fetched once however many requests ask at the same moment.
 */
export function credentialTokenSource(environmentUrl: string, credential?: TokenCredential): TokenSource {
  const scope = `${environmentUrl}/.default`;
  return async () => {
    const cache = tokenCache();
    // A credential passed in (verify-connection's client secret) gets its own entry, never the shared one.
    const key = credential ? `${scope}#own` : scope;
    const entry = cache.tokens.get(key) ?? {};
    cache.tokens.set(key, entry);
    if (entry.token && entry.token.expiresOnTimestamp - Date.now() > REFRESH_MARGIN_MS) return entry.token.token;
    if (!entry.pending) {
      // Created on first use, inside the provider process: credentials must never be captured by closure serialization.
      const source = credential ?? (cache.credential ??= new DefaultAzureCredential());
      cache.fetches += 1;
      entry.pending = source.getToken(scope).then((token) => {
        if (!token) throw new Error(`the Azure credential returned no token for ${scope}`);
        entry.token = token;
        return token;
      }, (err: Error) => {
        throw new Error(`could not get a Dataverse token for ${scope} (az login, workload identity or AZURE_* variables): ${err.message}`);
      }).finally(() => { entry.pending = undefined; });
    }
    return (await entry.pending).token;
  };
}

/** `DATAVERSE_ACCESS_TOKEN` when set, else DefaultAzureCredential (az login, service principal env vars, workload or managed identity). */
export function defaultTokenSource(environmentUrl: string, env: Record<string, string | undefined> = process.env): TokenSource {
  const fixed = env.DATAVERSE_ACCESS_TOKEN;
  if (fixed) return async () => fixed;
  return credentialTokenSource(environmentUrl);
}
