import { distance } from "fastest-levenshtein";
import type { RoleRow } from "./applicationUserApi";
import {
  environmentUrlProblem,
  isGuid,
  normalizeEnvironmentUrl,
  UNKNOWN_DURING_PREVIEW,
  type CheckFailure,
} from "./inputs";

/** Inputs of an ApplicationUser after check. */
export interface ApplicationUserInputs {
  environmentUrl: string;
  applicationId: string;
  businessUnitId?: string;
  securityRoles: string[];
  /** Take over a live application user of the app that this stack did not create (never deleted by this stack). */
  adoptExistingUser?: boolean;
}

/** What the resource records after create, update or read. */
export interface ApplicationUserState extends ApplicationUserInputs {
  systemUserId: string;
  /** The business unit the user is in now. */
  businessUnitId: string;
  /** The environment's root business unit, the default when no businessUnitId is given. */
  rootBusinessUnitId: string;
  /** Role ids this resource manages, one per security role reference, in the same order. */
  roleIds: string[];
  /** Every role the user has now, managed here or not. */
  assignedRoleIds: string[];
  isDisabled: boolean;
  /** True when the user existed before and was adopted rather than created: then it is never deleted by this stack. */
  adopted: boolean;
}

export interface PropertyDiff {
  kind: "add" | "delete" | "update" | "update-replace";
  inputDiff: boolean;
}

export interface ApplicationUserDiff {
  changes: boolean;
  replaces: string[];
  detailedDiff: Record<string, PropertyDiff>;
}

/** Validates and normalizes inputs; every failure names its property. */
export function checkApplicationUser(news: Record<string, unknown>): {
  inputs: ApplicationUserInputs;
  failures: CheckFailure[];
} {
  const failures: CheckFailure[] = [];
  const urlProblem = environmentUrlProblem(news.environmentUrl);
  if (urlProblem) failures.push({ property: "environmentUrl", reason: urlProblem });
  // A new app's client id is not known during preview; the engine's placeholder passes as is.
  if (news.applicationId !== UNKNOWN_DURING_PREVIEW && !isGuid(news.applicationId)) {
    failures.push({ property: "applicationId", reason: "must be the app's Application (client) id, a GUID" });
  }
  if (news.businessUnitId !== undefined && news.businessUnitId !== null && !isGuid(news.businessUnitId)) {
    failures.push({
      property: "businessUnitId",
      reason: "must be a business unit id (GUID); omit it for the root business unit",
    });
  }
  // A list computed from a resource not created yet (a generated role's id) is unknown as a whole during preview.
  const rolesUnknown = news.securityRoles === UNKNOWN_DURING_PREVIEW;
  const roles = news.securityRoles ?? [];
  const roleList: string[] = [];
  if (rolesUnknown) {
    // Checked again with the real list before create or update.
  } else if (!Array.isArray(roles)) {
    failures.push({ property: "securityRoles", reason: "must be a list of role names or role template ids" });
  } else {
    const seen = new Set<string>();
    roles.forEach((role, i) => {
      if (typeof role !== "string" || role.trim() === "") {
        failures.push({ property: `securityRoles[${i}]`, reason: "must be a non-empty role name or role template id" });
      } else if (seen.has(role.trim().toLowerCase())) {
        failures.push({ property: `securityRoles[${i}]`, reason: `duplicate role "${role}"` });
      } else {
        seen.add(role.trim().toLowerCase());
        roleList.push(isGuid(role.trim()) ? role.trim().toLowerCase() : role.trim());
      }
    });
  }
  const inputs: ApplicationUserInputs = {
    environmentUrl: urlProblem ? String(news.environmentUrl) : normalizeEnvironmentUrl(String(news.environmentUrl)),
    applicationId: String(news.applicationId).toLowerCase(),
    securityRoles: rolesUnknown ? (UNKNOWN_DURING_PREVIEW as unknown as string[]) : roleList,
  };
  if (isGuid(news.businessUnitId)) inputs.businessUnitId = news.businessUnitId.toLowerCase();
  if (news.adoptExistingUser !== undefined && typeof news.adoptExistingUser !== "boolean")
    failures.push({ property: "adoptExistingUser", reason: "must be true or false" });
  if (news.adoptExistingUser === true) inputs.adoptExistingUser = true;
  return { inputs, failures };
}

const sameText = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Maps each role reference (name or template id) to one role of the business unit. Throws one error
 * naming every reference that matches nothing (with the closest names) or more than one role.
 */
export function resolveRoles(
  refs: string[],
  rows: RoleRow[],
  businessUnitId: string,
  allNames: string[] = [],
): string[] {
  const problems: string[] = [];
  const ids = refs.map((ref) => {
    const matches = isGuid(ref)
      ? // A root role's id also finds its copy in a child unit (same _parentrootroleid_value): a user there can only hold the copy.
        rows.filter(
          (r) =>
            sameText(r._roletemplateid_value ?? "", ref) ||
            sameText(r.roleid, ref) ||
            sameText(r._parentrootroleid_value ?? "", ref),
        )
      : rows.filter((r) => sameText(r.name, ref));
    if (matches.length === 1) return matches[0].roleid;
    if (matches.length > 1) {
      problems.push(
        `"${ref}" matches ${matches.length} roles (${matches.map((m) => m.roleid).join(", ")}); use the role template id`,
      );
    } else {
      const close = allNames
        .map((n) => ({ n, d: distance(n.toLowerCase(), ref.toLowerCase()) }))
        .sort((a, b) => a.d - b.d)
        .slice(0, 3)
        .map((x) => `"${x.n}"`);
      problems.push(
        `"${ref}" matches no role in business unit ${businessUnitId}${close.length ? `; closest: ${close.join(", ")}` : ""}`,
      );
    }
    return "";
  });
  if (problems.length) throw new Error(`security roles could not be resolved: ${problems.join("; ")}`);
  return ids;
}

/** Roles to add (desired, not assigned) and remove (managed before, no longer desired, still assigned). Others are left alone. */
export function roleChanges(
  desired: string[],
  previouslyManaged: string[],
  assigned: string[],
): { add: string[]; remove: string[] } {
  const has = (list: string[], id: string) => list.some((x) => sameText(x, id));
  return {
    add: desired.filter((id) => !has(assigned, id)),
    remove: previouslyManaged.filter((id) => !has(desired, id) && has(assigned, id)),
  };
}

/** Replace on environment or application change; in place for business unit, roles, and drift found by read. */
export function diffApplicationUser(olds: ApplicationUserState, news: ApplicationUserInputs): ApplicationUserDiff {
  const detailedDiff: Record<string, PropertyDiff> = {};
  const replaces: string[] = [];
  for (const key of ["environmentUrl", "applicationId"] as const) {
    if (!sameText(olds[key] ?? "", news[key])) {
      replaces.push(key);
      detailedDiff[key] = { kind: "update-replace", inputDiff: true };
    }
  }
  const wantedBu = news.businessUnitId ?? olds.rootBusinessUnitId;
  if (wantedBu && !sameText(wantedBu, olds.businessUnitId ?? ""))
    detailedDiff.businessUnitId = { kind: "update", inputDiff: true };

  const oldRoles = olds.securityRoles ?? [];
  const newRoles = news.securityRoles;
  if (!Array.isArray(newRoles)) {
    // Unknown during preview (see checkApplicationUser): the roles may change.
    detailedDiff.securityRoles = { kind: "update", inputDiff: true };
  } else {
    newRoles.forEach((role, i) => {
      if (!oldRoles.some((r) => sameText(r, role)))
        detailedDiff[`securityRoles[${i}]`] = { kind: "add", inputDiff: true };
    });
    oldRoles.forEach((role, i) => {
      if (newRoles.some((r) => sameText(r, role))) return;
      const key = `securityRoles[${i}]`;
      detailedDiff[key] = { kind: detailedDiff[key] ? "update" : "delete", inputDiff: true };
    });
  }
  if (!!olds.adoptExistingUser !== !!news.adoptExistingUser)
    detailedDiff.adoptExistingUser = { kind: "update", inputDiff: true };
  if (olds.isDisabled) detailedDiff.isDisabled = { kind: "update", inputDiff: false };
  // read drops managed roles the user no longer has from roleIds (each role reference resolves to one role id).
  const missing = (olds.roleIds ?? []).filter((id) => !(olds.assignedRoleIds ?? []).some((a) => sameText(a, id)));
  if (missing.length || (olds.roleIds ?? []).length < oldRoles.length)
    detailedDiff.roleIds = { kind: "update", inputDiff: false };
  return { changes: Object.keys(detailedDiff).length > 0, replaces, detailedDiff };
}
