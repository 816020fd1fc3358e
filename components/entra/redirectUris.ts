import { isLoopbackHost } from "../loopback";

/** Entra's limit on the length of one redirect URI. */
export const MAX_REDIRECT_URI_LENGTH = 256;

/** Returns why a redirect URI is not acceptable, or undefined when it is. */
export function redirectUriProblem(uri: string): string | undefined {
  if (uri.includes("*")) return "wildcards are not allowed in redirect URIs";
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return `must be at most ${MAX_REDIRECT_URI_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "is not an absolute URL";
  }
  if (url.hash) return "must not contain a #fragment";
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return undefined;
  return "must use https:// (plain http:// is allowed only for loopback: localhost, 127.0.0.1, [::1])";
}
