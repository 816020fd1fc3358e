/**
 * Redirect-URI rules exactly as the real services apply them, and the one normalization we make.
 *
 * Provider rule: hashicorp/terraform-provider-azuread v3.8.0 (the upstream of @pulumi/azuread 6.9.1)
 *   internal/helpers/tf/validation/uri.go:39-107, IsRedirectUriFunc(urnAllowed, allowAllSchemes), run at preview.
 * Entra rule: MicrosoftDocs/entra-docs docs/identity-platform/reply-url.md (redirect URI restrictions).
 */

export type Platform = "web" | "publicClient" | "spa";

export interface RuleFinding {
  rule: string;
  message: string;
  source: string;
}

const PROVIDER_SOURCE =
  "hashicorp/terraform-provider-azuread@38d1993a1ea6 (v3.8.0) internal/helpers/tf/validation/uri.go:39-107";
const ENTRA_SOURCE = "MicrosoftDocs/entra-docs docs/identity-platform/reply-url.md";

/** Entra: at most 256 characters per redirect URI (reply-url.md "Maximum URI length"); the provider checks the same. */
export const MAX_REDIRECT_URI_LENGTH = 256;
/** Entra: at most 256 redirect URIs per app for work or school accounts (reply-url.md "Maximum number of redirect URIs"). */
export const MAX_REDIRECT_URIS_PER_APP = 256;
/** reply-url.md: "Redirect URIs do not support special characters - ! $ ' ( ) , ;". */
const UNSUPPORTED_CHARACTERS = ["!", "$", "'", "(", ")", ",", ";"];
/** The provider's scheme list when not all schemes are allowed (web, SPA): uri.go IsRedirectUriFunc. */
const PROVIDER_SCHEMES = ["http", "https", "ms-appx-web", "brk-multihub"];

interface UriParts {
  scheme: string;
  /** undefined when the URI has no `//authority`. */
  authority?: string;
  host?: string;
  port?: string;
  path: string;
  query?: string;
  fragment?: string;
}

/**
 * Splits a URI the way RFC 3986 appendix B does, which is what Go's url.Parse sees for these inputs:
 * in particular `https://contoso.com` has an empty path (WHATWG's URL would report "/").
 */
export function splitUri(uri: string): UriParts | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(uri);
  if (!m) return undefined;
  const authority = m[2];
  let host: string | undefined;
  let port: string | undefined;
  if (authority !== undefined) {
    const hostPort = authority.slice(authority.lastIndexOf("@") + 1);
    const hp = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostPort)!;
    host = hp[1];
    port = hp[2];
  }
  return { scheme: m[1].toLowerCase(), authority, host, port, path: m[3], query: m[4], fragment: m[5] };
}

const isLoopbackRedirectHost = (host: string | undefined) =>
  host !== undefined && ["localhost", "127.0.0.1"].includes(host.toLowerCase());

/** The azuread provider's own check (IsRedirectUriFunc), as `pulumi preview` runs it. */
export function providerRedirectUriFindings(uri: string, platform: Platform): RuleFinding[] {
  const urnAllowed = platform !== "spa";
  const allowAllSchemes = platform === "publicClient";
  const finding = (message: string): RuleFinding[] => [{ rule: "redirectUri", message, source: PROVIDER_SOURCE }];
  if (uri === "") return finding("URI must not be empty");
  if (urnAllowed) {
    const parts = uri.split(":");
    if (parts.length >= 3 && parts[0] === "urn") return [];
  }
  const u = splitUri(uri);
  // Go's url.Parse reads a string without a scheme as a bare path: no host.
  if (!u) return finding("URI has no host: write an absolute URL such as https://vendor.example.com/callback");
  // Go's url.Parse refuses control characters and a non-numeric port.
  // eslint-disable-next-line no-control-regex -- control characters are what this rule refuses
  if (/[\x00-\x1f\x7f]/.test(uri) || (u.port !== undefined && !/^\d*$/.test(u.port)))
    return finding("URI is in an invalid format");
  if (!u.host) return finding("URI has no host");
  if (!allowAllSchemes) {
    if (u.path === "") return finding("URI must have a trailing slash when there is no path segment");
    if (!PROVIDER_SCHEMES.includes(u.scheme))
      return finding(`unexpected URI scheme, expected one of: ${PROVIDER_SCHEMES.join(", ")}`);
  }
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return finding(`URI must be ${MAX_REDIRECT_URI_LENGTH} characters or less`);
  return [];
}

/** What Entra (Microsoft Graph) accepts and matches, per reply-url.md, plus RFC 6749's ban on fragments. */
export function entraRedirectUriFindings(uri: string, platform: Platform): RuleFinding[] {
  const out: RuleFinding[] = [];
  const add = (message: string, source = ENTRA_SOURCE) => out.push({ rule: "entraRedirectUri", message, source });
  if (uri.length > MAX_REDIRECT_URI_LENGTH)
    add(`must be at most ${MAX_REDIRECT_URI_LENGTH} characters (Entra's limit)`);
  const bad = UNSUPPORTED_CHARACTERS.filter((c) => uri.includes(c));
  if (bad.length)
    add(`contains ${bad.map((c) => `"${c}"`).join(", ")}: Entra does not support ! $ ' ( ) , ; in redirect URIs`);
  if (/\s/.test(uri))
    add("contains white space: not a valid URI (RFC 3986)", "RFC 3986 section 2 (no white space in URIs)");
  if (uri.includes("*"))
    add(
      "contains a wildcard: Entra accepts none through the app registration API, and the docs advise against them",
      `${ENTRA_SOURCE} (Restrictions on wildcards)`,
    );
  const u = splitUri(uri);
  if (!u) {
    add("is not an absolute URI with a scheme");
    return out;
  }
  if (u.fragment !== undefined)
    add(
      "must not contain a #fragment",
      "RFC 6749 section 3.1.2 (the redirection endpoint URI MUST NOT include a fragment)",
    );
  if (u.host?.startsWith("[")) {
    if (u.host === "[::1]")
      add(
        "uses the IPv6 loopback [::1], which Entra does not support: use http://127.0.0.1 or http://localhost",
        `${ENTRA_SOURCE} (Localhost exceptions)`,
      );
  }
  const customSchemeAllowed = platform === "publicClient" && u.scheme !== "http" && u.scheme !== "https";
  if (u.scheme === "http" && !isLoopbackRedirectHost(u.host)) {
    add("must use https:// (http:// only for localhost or 127.0.0.1)", `${ENTRA_SOURCE} (Supported schemes)`);
  } else if (u.scheme !== "https" && u.scheme !== "http" && !customSchemeAllowed) {
    add(
      `must use https:// (the ${platform} platform takes no "${u.scheme}:" scheme)`,
      `${ENTRA_SOURCE} (Supported schemes)`,
    );
  }
  return out;
}

/** Every finding for one redirect URI of a platform: provider first, then Entra. */
export function redirectUriFindings(uri: string, platform: Platform): RuleFinding[] {
  return [...providerRedirectUriFindings(uri, platform), ...entraRedirectUriFindings(uri, platform)];
}

/**
 * The form in which a web or SPA redirect URI is registered: a URI without a path gets the trailing slash the
 * provider requires (uri.go:95-97). Entra treats both as one address: "Redirect URIs not configured with a path
 * segment are returned with a trailing slash" (reply-url.md), so `http://localhost:33333` is answered at
 * `http://localhost:33333/`. Vendor outputs use this same registered form, so what the vendor sends as
 * redirect_uri is byte for byte what is registered. Public-client URIs are left as written (the provider
 * imposes no slash there).
 */
export function registeredRedirectUri(uri: string, platform: Platform): string {
  if (platform === "publicClient") return uri;
  const u = splitUri(uri);
  if (!u || u.authority === undefined || u.path !== "") return uri;
  const end = uri.indexOf(":") + "://".length + u.authority.length;
  return `${uri.slice(0, end)}/${uri.slice(end)}`;
}

/**
 * App-wide Entra rules over all platforms: the total count, and loopback URIs that differ only by port
 * (reply-url.md: the port of a localhost URI is ignored when matching; "Do not register multiple redirect URIs
 * where only the port differs").
 */
export function appRedirectUriFindings(byPlatform: Partial<Record<Platform, string[]>>): RuleFinding[] {
  const all = Object.values(byPlatform).flatMap((l) => l ?? []);
  const out: RuleFinding[] = [];
  if (all.length > MAX_REDIRECT_URIS_PER_APP) {
    out.push({
      rule: "entraRedirectUri",
      message: `${all.length} redirect URIs: Entra allows at most ${MAX_REDIRECT_URIS_PER_APP} per app`,
      source: `${ENTRA_SOURCE} (Maximum number of redirect URIs)`,
    });
  }
  const seen = new Map<string, string>();
  for (const uri of all) {
    const u = splitUri(uri);
    if (!u || !isLoopbackRedirectHost(u.host)) continue;
    const key = `${u.scheme}://${u.host!.toLowerCase()}${u.path || "/"}${u.query !== undefined ? `?${u.query}` : ""}`;
    const other = seen.get(key);
    if (other !== undefined && other !== uri) {
      out.push({
        rule: "entraRedirectUri",
        message: `${uri} and ${other} differ only by port: Entra ignores the port of loopback URIs when matching, so one of them is picked arbitrarily`,
        source: `${ENTRA_SOURCE} (Localhost exceptions)`,
      });
    } else seen.set(key, uri);
  }
  return out;
}
