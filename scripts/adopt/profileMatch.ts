import { PROFILES } from "../../components/sync/profiles";
import type { ProfileDefaults } from "../../components/sync/profile";
import { registeredRedirectUri } from "../../components/entra/redirectUris";
import type { Observed } from "./observed";

/** What a vendor's page leaves behind, in the stack's terms, for comparison with what was found. */
export interface Expectation {
  profile: string;
  /** The profile's `vendor:` settings inferred from what was found (e.g. Bright Pattern's host from its reply URL). */
  vendor: Record<string, unknown>;
  defaults: ProfileDefaults;
  permissions: string[];
  redirectUris: { web: string[]; publicClient: string[]; spa: string[] };
  applicationUser: boolean;
  changeTracking: string[];
}

export interface ProfileMatch {
  best: Expectation;
  /** Points of disagreement with the best profile (0: the setup is exactly what the page leaves). */
  mismatches: number;
  /** Other profiles that fit as well: the user picks with --profile. */
  alsoMatching: string[];
}

const BRIGHT_PATTERN_REPLY = /^https:\/\/([^/]+)\/admin\/msdynamicscallback\.html$/i;
/** Display-name hints from each page's suggested app name (Daktela "Integrace Daktela", Syncari "Syncari Integration", ...). */
const NAME_HINTS: Record<string, RegExp> = {
  daktela: /daktela/i,
  "bright-pattern": /bright\s*pattern/i,
  syncari: /syncari/i,
  cdata: /cdata|gathr/i,
  raynet: /raynet/i,
};

/** The vendor settings a profile would need to leave exactly this setup, or undefined when it cannot. */
function inferSettings(profile: string, o: Observed): Record<string, unknown> | undefined {
  if (profile === "bright-pattern") {
    const host = o.redirectUris.web.map((u) => BRIGHT_PATTERN_REPLY.exec(u)?.[1]).find(Boolean);
    return host ? { tenant: host } : undefined;
  }
  if (profile === "syncari") return o.redirectUris.web[0] ? { oauthRedirectUrl: o.redirectUris.web[0] } : {};
  if (profile === "cdata") {
    const delegated = o.permissions.includes("Dynamics CRM: user_impersonation (delegated)");
    if (!delegated) return { authScheme: "AzureServicePrincipal" };
    const callback = o.redirectUris.web[0] ?? o.redirectUris.publicClient[0];
    return {
      authScheme: "AzureAD",
      ...(callback && callback !== registeredRedirectUri("http://localhost:33333", "web")
        ? { callbackUrl: callback }
        : {}),
    };
  }
  return {};
}

export function expectationOf(profile: string, vendor: Record<string, unknown>): Expectation | undefined {
  const p = PROFILES[profile];
  const parsed = p?.settings.safeParse(vendor);
  if (!p || !parsed?.success) return undefined;
  const defaults = p.defaults(parsed.data);
  const uris = (platform: "web" | "spa" | "publicClient") =>
    (defaults.redirectUris?.[platform] ?? []).map((u) => registeredRedirectUri(u, platform));
  return {
    profile,
    vendor,
    defaults,
    permissions: defaults.permissions ?? [],
    redirectUris: { web: uris("web"), publicClient: uris("publicClient"), spa: uris("spa") },
    applicationUser: defaults.dataverse?.applicationUser ?? false,
    changeTracking: defaults.dataverse?.changeTracking ?? [],
  };
}

const symmetricDifference = (a: string[], b: string[]) => {
  const la = a.map((x) => x.toLowerCase()),
    lb = b.map((x) => x.toLowerCase());
  return la.filter((x) => !lb.includes(x)).length + lb.filter((x) => !la.includes(x)).length;
};

export function mismatchCount(e: Expectation, o: Observed): number {
  return (
    symmetricDifference(e.permissions, o.permissions) +
    o.unknownPermissions.length +
    symmetricDifference(e.redirectUris.web, o.redirectUris.web) +
    symmetricDifference(e.redirectUris.publicClient, o.redirectUris.publicClient) +
    symmetricDifference(e.redirectUris.spa, o.redirectUris.spa) +
    (e.applicationUser !== o.applicationUser ? 2 : 0) +
    e.changeTracking.filter((t) => !o.trackedTables.includes(t)).length
  );
}

/**
 * The vendor profile whose page best explains the setup; `custom` when none comes within `tolerance` points.
 * A display name naming the vendor settles a tie (Daktela and CData's service-principal scheme leave the same
 * objects). `forced` picks the profile outright.
 */
export function matchProfile(o: Observed, forced?: string, tolerance = 2): ProfileMatch {
  if (forced) {
    const e = expectationOf(forced, inferSettings(forced, o) ?? {});
    if (!e)
      throw new Error(
        `--profile ${forced}: the setup found cannot be expressed with that profile's settings (known profiles: ${Object.keys(PROFILES).join(", ")})`,
      );
    return { best: e, mismatches: mismatchCount(e, o), alsoMatching: [] };
  }
  const scored = Object.keys(PROFILES)
    .filter((k) => k !== "custom")
    .flatMap((key) => {
      const vendor = inferSettings(key, o);
      const e = vendor && expectationOf(key, vendor);
      if (!e) return [];
      const score = mismatchCount(e, o);
      return [{ e, score, hinted: NAME_HINTS[key]?.test(o.displayName) ?? false }];
    })
    .sort((a, b) => a.score - b.score || Number(b.hinted) - Number(a.hinted));
  const top = scored[0];
  if (!top || top.score > tolerance) {
    return { best: expectationOf("custom", {})!, mismatches: 0, alsoMatching: [] };
  }
  const ties = scored
    .filter((s) => s !== top && s.score === top.score && s.hinted === top.hinted)
    .map((s) => s.e.profile);
  return { best: top.e, mismatches: top.score, alsoMatching: ties };
}
