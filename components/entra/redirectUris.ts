import { redirectUriFindings, registeredRedirectUri, type Platform } from "../validation/uriRules";

export type { Platform } from "../validation/uriRules";

/**
 * Why a redirect URI cannot be registered on a platform (the azuread provider's and Entra's rules, with the
 * rule's source), or undefined. Checks the form that is registered (see registeredRedirectUri).
 */
export function redirectUriProblem(uri: string, platform: Platform): string | undefined {
  const findings = redirectUriFindings(registeredRedirectUri(uri, platform), platform);
  if (findings.length === 0) return undefined;
  return findings.map((f) => `${f.message} (${f.source})`).join("; ");
}

export { registeredRedirectUri };
