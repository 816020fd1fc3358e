import type { ProfileDefaults } from "./profile";

/** Lists a profile fills that a user's list adds to, unless named in `replaceProfileDefaults`. */
export const MERGED_FIELDS = [
  "permissions",
  "redirectUris.web",
  "redirectUris.publicClient",
  "redirectUris.spa",
  "dataverse.securityRoles",
  "dataverse.access",
  "dataverse.changeTracking",
] as const;
export type MergedField = (typeof MERGED_FIELDS)[number];

/**
 * Where each entry of a merged list came from, by field (`permissions`, `dataverse.access.account`, ...): the
 * profile's entries, the user's own, and whether the user's list replaced the profile's. Only fields with entries.
 */
export type ProfileOrigins = Record<string, { fromProfile: string[]; fromUser: string[]; replaced?: true }>;

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => !!v && typeof v === "object" && !Array.isArray(v);
const key = (entry: unknown) => String(entry).trim().toLowerCase();

/**
 * The user's entries first (so errors keep pointing at the user's own indices), then the profile's entries the user
 * did not list. A user value that is not a list is left for the schema to report.
 */
function mergeList(
  user: unknown,
  profile: string[] | undefined,
  replace: boolean,
  field: string,
  origins: ProfileOrigins,
): unknown {
  if (!profile?.length && user === undefined) return undefined;
  if (user !== undefined && !Array.isArray(user)) return user;
  const mine = (user as unknown[] | undefined) ?? [];
  const taken = replace && user !== undefined ? [] : (profile ?? []);
  const seen = new Set(mine.map(key));
  const added = taken.filter((entry) => !seen.has(key(entry)));
  const record = {
    fromProfile: taken.map(String),
    fromUser: mine.filter((e) => !taken.some((t) => key(t) === key(e))).map(String),
  };
  if (record.fromProfile.length || record.fromUser.length || (replace && profile?.length)) {
    origins[field] = replace && user !== undefined && profile?.length ? { ...record, replaced: true } : record;
  }
  return [...mine, ...added];
}

type Access = Record<string, { operations: string[]; depth: string }>;

/** Tables and operations add up; for a table both declare, the user's depth wins. */
function mergeAccess(user: unknown, profile: Access | undefined, replace: boolean, origins: ProfileOrigins): unknown {
  if (user !== undefined && !isObject(user)) return user;
  if (!profile || (replace && user !== undefined)) {
    if (user !== undefined) {
      for (const [table, access] of Object.entries(user)) {
        const ops = isObject(access) && Array.isArray(access.operations) ? access.operations.map(String) : [];
        origins[`dataverse.access.${table}`] = {
          fromProfile: [],
          fromUser: ops,
          ...(profile && replace ? { replaced: true as const } : {}),
        };
      }
    }
    return user;
  }
  const merged: Raw = {};
  for (const table of new Set([...Object.keys(user ?? {}), ...Object.keys(profile)])) {
    const mine = (user as Raw | undefined)?.[table];
    const theirs = profile[table];
    if (!theirs) {
      merged[table] = mine;
      const ops = isObject(mine) && Array.isArray(mine.operations) ? mine.operations.map(String) : [];
      origins[`dataverse.access.${table}`] = { fromProfile: [], fromUser: ops };
    } else if (mine === undefined) {
      merged[table] = theirs;
      origins[`dataverse.access.${table}`] = { fromProfile: [...theirs.operations], fromUser: [] };
    } else if (!isObject(mine)) {
      merged[table] = mine;
    } else {
      const fieldOrigins: ProfileOrigins = {};
      const operations = mergeList(mine.operations, theirs.operations, false, "ops", fieldOrigins);
      merged[table] = { depth: theirs.depth, ...mine, operations };
      origins[`dataverse.access.${table}`] = fieldOrigins.ops ?? { fromProfile: [], fromUser: [] };
    }
  }
  return merged;
}

/**
 * Fills what the user left out from the profile's defaults. Scalars the user set win; the lists in MERGED_FIELDS
 * add up (the user's replace the profile's only when named in `replaceProfileDefaults`), so one extra permission or
 * table never drops what the vendor's setup page needs. Returns the merged integration and where entries came from.
 */
export function mergeProfileDefaults(
  integration: Raw,
  defaults: ProfileDefaults,
): { merged: Raw; origins: ProfileOrigins } {
  const replaceList = Array.isArray(integration.replaceProfileDefaults)
    ? integration.replaceProfileDefaults.map(String)
    : [];
  const replace = (field: MergedField) => replaceList.includes(field);
  const origins: ProfileOrigins = {};
  const merged: Raw = { ...integration };
  for (const scalar of ["displayName", "signInAudience", "grantAdminConsent"] as const) {
    if (merged[scalar] === undefined && defaults[scalar] !== undefined) merged[scalar] = defaults[scalar];
  }
  const permissions = mergeList(
    integration.permissions,
    defaults.permissions,
    replace("permissions"),
    "permissions",
    origins,
  );
  if (permissions !== undefined) merged.permissions = permissions;

  const userUris = integration.redirectUris;
  if (defaults.redirectUris && (userUris === undefined || isObject(userUris))) {
    const uris: Raw = { ...(userUris ?? {}) };
    for (const platform of ["web", "publicClient", "spa"] as const) {
      const field = `redirectUris.${platform}` as const;
      const list = mergeList(uris[platform], defaults.redirectUris[platform], replace(field), field, origins);
      if (list !== undefined) uris[platform] = list;
    }
    merged.redirectUris = uris;
  } else if (isObject(userUris)) {
    for (const platform of ["web", "publicClient", "spa"] as const)
      mergeList(userUris[platform], undefined, false, `redirectUris.${platform}`, origins);
  }
  if (defaults.secret) merged.secret = { ...defaults.secret, ...(isObject(merged.secret) ? merged.secret : {}) };

  const userDv = integration.dataverse;
  if (isObject(userDv) || (userDv === undefined && defaults.dataverse)) {
    const dv: Raw = {
      ...(defaults.dataverse?.applicationUser !== undefined
        ? { applicationUser: defaults.dataverse.applicationUser }
        : {}),
      ...(userDv ?? {}),
    };
    const roles = mergeList(
      userDv?.securityRoles,
      defaults.dataverse?.securityRoles,
      replace("dataverse.securityRoles"),
      "dataverse.securityRoles",
      origins,
    );
    if (roles !== undefined) dv.securityRoles = roles;
    const tables = mergeList(
      userDv?.changeTracking,
      defaults.dataverse?.changeTracking,
      replace("dataverse.changeTracking"),
      "dataverse.changeTracking",
      origins,
    );
    if (tables !== undefined) dv.changeTracking = tables;
    const access = mergeAccess(userDv?.access, defaults.dataverse?.access, replace("dataverse.access"), origins);
    if (access !== undefined) dv.access = access;
    merged.dataverse = dv;
  }
  return { merged, origins };
}
