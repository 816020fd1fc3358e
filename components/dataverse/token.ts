import { DefaultAzureCredential, type AccessToken, type TokenCredential } from "@azure/identity";

/** Returns a bearer token for the Dataverse environment. */
export type TokenSource = () => Promise<string>;

const REFRESH_MARGIN_MS = 2 * 60_000;

/** Tokens from an @azure/identity credential for `<environmentUrl>/.default`, cached until shortly before expiry. */
export function credentialTokenSource(environmentUrl: string, credential?: TokenCredential): TokenSource {
  let cached: AccessToken | null = null;
  return async () => {
    if (cached && cached.expiresOnTimestamp - Date.now() > REFRESH_MARGIN_MS) return cached.token;
    // Created on first use, inside the provider process: credentials must never be captured by closure serialization.
    credential ??= new DefaultAzureCredential();
    const scope = `${environmentUrl}/.default`;
    try {
      cached = await credential.getToken(scope);
    } catch (err) {
      throw new Error(`could not get a Dataverse token for ${scope} (az login, workload identity or AZURE_* variables): ${(err as Error).message}`);
    }
    if (!cached) throw new Error(`the Azure credential returned no token for ${scope}`);
    return cached.token;
  };
}

/** `DATAVERSE_ACCESS_TOKEN` when set, else DefaultAzureCredential (az login, service principal env vars, workload or managed identity). */
export function defaultTokenSource(environmentUrl: string, env: Record<string, string | undefined> = process.env): TokenSource {
  const fixed = env.DATAVERSE_ACCESS_TOKEN;
  if (fixed) return async () => fixed;
  return credentialTokenSource(environmentUrl);
}
