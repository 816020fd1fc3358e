import type { ResolvedPrivilege } from "../../components/dataverse/privilegeResolution";
import { DEPTH_RANK as RANK, type PrivilegeDepth } from "../../components/dataverse/depths";
import type { EnvironmentNeeds } from "./needs";

/** A privilege the deploying identity must hold for `pulumi up` to get through. */
export interface DeployerRequirement {
  name: string;
  /** Where the work happens: one business unit (undefined = the root), or organization-wide. */
  scope: { businessUnitId?: string } | "organization";
  /** For privileges handed out in a generated role: at least this depth (Dataverse refuses to grant more than the granter has). */
  atLeast?: PrivilegeDepth;
  reasons: string[];
  /** The fact behind it is not settled by any source (shown, so the reader can weigh a failure). */
  unconfirmed?: boolean;
}

/**
 * Sources: creating an application user needs prvCreateUser (a 403 naming it is reported, REFERENCE 1.4);
 * assigning roles needs prvAssignRole ("the caller must have the prvAssignRole privilege",
 * https://learn.microsoft.com/previous-versions/ms914517(v=msdn.10)); Dataverse prevents elevation of role
 * privileges, so every privilege a generated role grants must be held at that depth
 * (https://learn.microsoft.com/power-platform/admin/prevent-elevation-security-role-privilege); the customization
 * privileges of the metadata PUT and PublishXml come from the legacy message-privilege pages (UpdateEntity, PublishXml:
 * https://learn.microsoft.com/previous-versions/dynamicscrm-2016/developers-guide/gg334695(v=crm.8) , gg328397(v=crm.8))
 * and are UNCONFIRMED for today's service.
 */
export function deployerRequirements(
  env: EnvironmentNeeds,
  resolvedRoles: Map<string, ResolvedPrivilege[]> = new Map(),
): DeployerRequirement[] {
  const out = new Map<string, DeployerRequirement>();
  const need = (
    name: string,
    scope: DeployerRequirement["scope"],
    reason: string,
    extra: Partial<DeployerRequirement> = {},
  ) => {
    const key = `${name.toLowerCase()}#${scope === "organization" ? "org" : (scope.businessUnitId ?? "root")}`;
    const known = out.get(key);
    if (!known) {
      out.set(key, { name, scope, reasons: [reason], ...extra });
      return;
    }
    if (!known.reasons.includes(reason)) known.reasons.push(reason);
    if (extra.atLeast && (!known.atLeast || RANK[extra.atLeast] > RANK[known.atLeast])) known.atLeast = extra.atLeast;
  };
  for (const i of env.integrations) {
    const unit = { businessUnitId: i.businessUnitId };
    if (i.applicationUser) {
      for (const p of ["prvReadUser", "prvCreateUser", "prvWriteUser"])
        need(p, unit, `create or adopt the application user of ${i.name}`);
      need("prvReadBusinessUnit", unit, `find the business unit of ${i.name}'s application user`);
      need("prvReadRole", unit, `resolve ${i.name}'s roles`);
      need("prvAssignRole", unit, `assign ${i.name}'s roles`);
    }
    if (i.generatedRole) {
      for (const p of ["prvCreateRole", "prvReadRole", "prvWriteRole"])
        need(p, {}, `create and set the generated role "${i.generatedRole.name}"`);
      // What the role hands out, once resolved in this environment (a role that does not resolve fails on its own line).
      for (const p of resolvedRoles.get(i.name) ?? []) {
        need(p.name, "organization", `granted by "${i.generatedRole.name}" (${p.grants})`, { atLeast: p.depth });
      }
    }
    if (i.changeTracking.length) {
      for (const p of ["prvReadEntity", "prvWriteEntity"])
        need(p, "organization", `turn on change tracking (${i.changeTracking.join(", ")})`, { unconfirmed: true });
      for (const p of [
        "prvReadCustomization",
        "prvReadQuery",
        "prvReadSavedQueryVisualizations",
        "prvReadSystemForm",
      ]) {
        need(p, "organization", "publish the changed tables (PublishXml)", { unconfirmed: true });
      }
    }
  }
  return [...out.values()];
}

export interface BusinessUnitRow {
  businessunitid: string;
  name?: string;
  _parentbusinessunitid_value: string | null;
}

/** Whether a privilege held at `depth` by a user of `ownUnit` reaches rows in `target` (security concepts: access levels). */
export function reaches(depth: PrivilegeDepth, ownUnit: string, target: string, units: BusinessUnitRow[]): boolean {
  if (depth === "Global") return true;
  if (depth === "Basic") return false; // the user's own rows only; users and roles are owned by business units
  if (target.toLowerCase() === ownUnit.toLowerCase()) return true;
  if (depth === "Local") return false;
  const parent = new Map(
    units.map((u) => [u.businessunitid.toLowerCase(), u._parentbusinessunitid_value?.toLowerCase() ?? null]),
  );
  for (
    let at = parent.get(target.toLowerCase()) ?? null, hops = 0;
    at && hops < 100;
    at = parent.get(at) ?? null, hops++
  ) {
    if (at === ownUnit.toLowerCase()) return true;
  }
  return false;
}

export interface RequirementVerdict {
  requirement: DeployerRequirement;
  held?: PrivilegeDepth;
  ok: boolean;
  /** What depth would do, in the reader's words. */
  wanted: string;
}

const WORDS: Record<PrivilegeDepth, string> = {
  Global: "organization (Global)",
  Deep: "parent: child business units (Deep)",
  Local: "business unit (Local)",
  Basic: "user (Basic)",
};

/** Checks each requirement against what the deployer holds (privilege name, lowercased -> widest depth). */
export function judgeRequirements(
  requirements: DeployerRequirement[],
  held: Map<string, PrivilegeDepth>,
  ownUnit: string,
  root: string,
  units: BusinessUnitRow[],
): RequirementVerdict[] {
  return requirements.map((requirement) => {
    const depth = held.get(requirement.name.toLowerCase());
    if (requirement.atLeast) {
      return {
        requirement,
        held: depth,
        ok: !!depth && RANK[depth] >= RANK[requirement.atLeast],
        wanted: `at least ${WORDS[requirement.atLeast]}`,
      };
    }
    if (requirement.scope === "organization")
      return { requirement, held: depth, ok: depth === "Global", wanted: WORDS.Global };
    const target = requirement.scope.businessUnitId ?? root;
    const unit = units.find((u) => u.businessunitid.toLowerCase() === target.toLowerCase());
    const label = `${unit?.name ? `"${unit.name}" ` : ""}(${target === root ? "the root business unit" : target})`;
    return {
      requirement,
      held: depth,
      ok: !!depth && reaches(depth, ownUnit, target, units),
      wanted: `at a depth reaching business unit ${label}`,
    };
  });
}

export const depthWords = (d: PrivilegeDepth) => WORDS[d];
