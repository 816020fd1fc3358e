/**
 * The one vocabulary of privilege depths. The Web API's PrivilegeDepth members (Microsoft.Dynamics.CRM.PrivilegeDepth:
 * Basic, Local, Deep, Global) and the config's words for them: user = Basic, business unit = Local, parent: child
 * business units = Deep, organization = Global
 * (https://learn.microsoft.com/power-apps/developer/data-platform/security-concepts, "access levels").
 */

/** How far a privilege reaches, in the config's words, narrowest first. */
export const DEPTHS = ["user", "businessUnit", "parentChild", "organization"] as const;
export type AccessDepth = (typeof DEPTHS)[number];

/** The Web API's depth names, narrowest first. */
export const PRIVILEGE_DEPTHS = ["Basic", "Local", "Deep", "Global"] as const;
export type PrivilegeDepth = (typeof PRIVILEGE_DEPTHS)[number];

export const API_DEPTH: Record<AccessDepth, PrivilegeDepth> = {
  user: "Basic",
  businessUnit: "Local",
  parentChild: "Deep",
  organization: "Global",
};
/** The config's words for each depth (dataverse.access.<table>.depth). */
export const DEPTH_WORDS: Record<PrivilegeDepth, AccessDepth> = {
  Basic: "user",
  Local: "businessUnit",
  Deep: "parentChild",
  Global: "organization",
};
/** Narrowest 0 ... broadest 3. */
export const DEPTH_RANK: Record<PrivilegeDepth, number> = { Basic: 0, Local: 1, Deep: 2, Global: 3 };

/** Responses name the depth; numbers (Basic 0 ... Global 3, as strings or not) are normalized before any diff. */
export function normalizeDepth(depth: string | number): PrivilegeDepth {
  if (typeof depth === "number" || /^\d$/.test(depth)) return PRIVILEGE_DEPTHS[Number(depth)] ?? "Global";
  return PRIVILEGE_DEPTHS.find((n) => n.toLowerCase() === String(depth).toLowerCase()) ?? (depth as PrivilegeDepth);
}
