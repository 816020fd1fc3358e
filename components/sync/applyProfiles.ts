import { PROFILES } from "./profiles";
import type { ProfileDefaults, ProfileView } from "./profile";

export interface PathIssue {
  path: (string | number)[];
  message: string;
}

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => !!v && typeof v === "object" && !Array.isArray(v);

/** Fills what the user left out from the profile's defaults; whatever the user set wins. */
export function mergeDefaults(integration: Raw, defaults: ProfileDefaults): Raw {
  const merged: Raw = { ...integration };
  for (const key of ["displayName", "signInAudience", "permissions", "grantAdminConsent"] as const) {
    if (merged[key] === undefined && defaults[key] !== undefined) merged[key] = defaults[key];
  }
  if (defaults.redirectUris) {
    const uris = isObject(merged.redirectUris) ? { ...merged.redirectUris } : {};
    for (const [platform, list] of Object.entries(defaults.redirectUris)) if (uris[platform] === undefined) uris[platform] = list;
    merged.redirectUris = uris;
  }
  if (defaults.secret) {
    merged.secret = { ...defaults.secret, ...(isObject(merged.secret) ? merged.secret : {}) };
  }
  if (defaults.dataverse) {
    // An adopted integration keeps the roles and tracked tables it has: the page's generated role and tables apply
    // only when the stack declares them (npm run adopt lists where the setup differs from the page).
    const { access: _access, changeTracking: _tables, ...kept } = defaults.dataverse;
    const profiled = integration.existing !== undefined ? kept : defaults.dataverse;
    merged.dataverse = { ...profiled, ...(isObject(merged.dataverse) ? merged.dataverse : {}) };
  }
  return merged;
}

/**
 * Validates each integration's `vendor` block against its profile and merges the profile's defaults
 * into the raw config, before the schema runs. Unknown profiles are left to the schema to report.
 */
export function applyProfiles(raw: Raw): { config: Raw; settings: unknown[]; issues: PathIssue[] } {
  const issues: PathIssue[] = [];
  const settings: unknown[] = [];
  if (!Array.isArray(raw.integrations)) return { config: raw, settings, issues };
  const integrations = raw.integrations.map((integration: unknown, i: number) => {
    if (!isObject(integration)) return integration;
    const profile = PROFILES[String(integration.profile)];
    if (!profile) return integration;
    const parsed = profile.settings.safeParse(integration.vendor ?? {});
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const keys = issue.code === "unrecognized_keys" ? issue.keys : [undefined];
        for (const key of keys) {
          const path = ["integrations", i, "vendor", ...issue.path.map((p) => (typeof p === "number" ? p : String(p))), ...(key ? [key] : [])];
          issues.push({ path, message: key ? `not a setting of the ${profile.key} profile` : issue.message });
        }
      }
      return integration;
    }
    settings[i] = parsed.data;
    return mergeDefaults(integration, profile.defaults(parsed.data));
  });
  return { config: { ...raw, integrations }, settings, issues };
}

/** Checks a profile makes of the merged, validated integrations (e.g. a role the vendor's page requires). */
export function profileProblems(integrations: (ProfileView & { profile: string; vendor?: unknown })[]): PathIssue[] {
  return integrations.flatMap((integration, i) => {
    const profile = PROFILES[integration.profile];
    return (profile.problems?.(integration, integration.vendor ?? {}) ?? []).map((p) => ({ path: ["integrations", i, ...p.path], message: p.message }));
  });
}
