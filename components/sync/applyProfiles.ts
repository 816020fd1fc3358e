import { PROFILES } from "./profiles";
import type { ProfileDefaults, ProfileView } from "./profile";
import { mergeProfileDefaults, type ProfileOrigins } from "./profileMerge";

export interface PathIssue {
  path: (string | number)[];
  message: string;
}

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => !!v && typeof v === "object" && !Array.isArray(v);

/**
 * An adopted integration (`existing:`) keeps the roles and tracked tables it has: the page's generated role and tables
 * apply only when the stack declares them (npm run adopt lists where the setup differs from the page).
 */
function adoptedDefaults(integration: Raw, defaults: ProfileDefaults): ProfileDefaults {
  if (integration.existing === undefined || !defaults.dataverse) return defaults;
  const { access: _access, changeTracking: _tables, ...kept } = defaults.dataverse;
  return { ...defaults, dataverse: kept };
}

/**
 * Validates each integration's `vendor` block against its profile and merges the profile's defaults
 * into the raw config, before the schema runs (lists add up: see mergeProfileDefaults); `origins[i]` tells which
 * entries came from the profile. Unknown profiles are left to the schema to report.
 */
export function applyProfiles(raw: Raw): {
  config: Raw;
  settings: unknown[];
  origins: ProfileOrigins[];
  issues: PathIssue[];
} {
  const issues: PathIssue[] = [];
  const settings: unknown[] = [];
  const origins: ProfileOrigins[] = [];
  if (!Array.isArray(raw.integrations)) return { config: raw, settings, origins, issues };
  const integrations = raw.integrations.map((integration: unknown, i: number) => {
    if (!isObject(integration)) return integration;
    const profile = PROFILES[String(integration.profile)];
    if (!profile) return integration;
    const parsed = profile.settings.safeParse(integration.vendor ?? {});
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const keys = issue.code === "unrecognized_keys" ? issue.keys : [undefined];
        for (const key of keys) {
          const path = [
            "integrations",
            i,
            "vendor",
            ...issue.path.map((p) => (typeof p === "number" ? p : String(p))),
            ...(key ? [key] : []),
          ];
          issues.push({ path, message: key ? `not a setting of the ${profile.key} profile` : issue.message });
        }
      }
      return integration;
    }
    settings[i] = parsed.data;
    const { merged, origins: fromProfile } = mergeProfileDefaults(
      integration,
      adoptedDefaults(integration, profile.defaults(parsed.data)),
    );
    origins[i] = fromProfile;
    return merged;
  });
  return { config: { ...raw, integrations }, settings, origins, issues };
}

/** Checks a profile makes of the merged, validated integrations (e.g. a role the vendor's page requires). */
export function profileProblems(integrations: (ProfileView & { profile: string; vendor?: unknown })[]): PathIssue[] {
  return integrations.flatMap((integration, i) => {
    const profile = PROFILES[integration.profile];
    return (profile.problems?.(integration, integration.vendor ?? {}) ?? []).map((p) => ({
      path: ["integrations", i, ...p.path],
      message: p.message,
    }));
  });
}
