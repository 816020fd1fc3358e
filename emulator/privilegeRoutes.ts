import { randomUUID } from "node:crypto";
import recordedPrivileges from "./recorded/privileges/crm-sdk-docs_privileges_by_table.json";
import { HttpError } from "./httpUtil";
import type { EmulatorData, PrivilegeRow } from "./seed";
import type { RouteContext, RouteResult } from "./routes";

/**
 * The effective-privilege functions bound to systemuser, in their documented shapes
 * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/retrieveuserprivilegebyprivilegename ,
 * .../retrieveusersetofprivilegesbynames , .../retrieveuserprivileges): each answers
 * `{ RolePrivileges: [{ Depth, PrivilegeId, BusinessUnitId, PrivilegeName, RecordFilterId, RecordFilterUniqueName }] }`
 * (RolePrivilege: .../webapi/reference/roleprivilege). What a user holds is the union of its roles' privileges, the
 * widest depth winning. Teams are not modelled. UNCONFIRMED: whether the service answers one entry per role that grants
 * a privilege or one per privilege (here: one per privilege), and what it answers for a name that does not exist
 * (here: nothing, as for a privilege not held); clients take the widest entry and treat absence as "not held".
 *
 * Also the solution history (msdyn_solutionhistories, https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/msdyn_solutionhistory),
 * where running solution operations show (REFERENCE: KB 4343228 / dyn365-ce-vsts-tasks #226); read-only here.
 */

type Depth = "Basic" | "Local" | "Deep" | "Global";
const RANK: Record<Depth, number> = { Basic: 0, Local: 1, Deep: 2, Global: 3 };
const GUID = "([0-9a-fA-F-]{36})";

interface RecordedPrivilege {
  name: string;
  privilegeId: string;
  depthMarks?: number;
}

/**
 * Privileges a deployer needs that are not about the emulated tables: the security-role, user and business-unit
 * privileges with the ids of Microsoft's legacy SDK pages (recorded/privileges/crm-sdk-docs_privileges_by_table.json;
 * role and user rows are business-owned: Local, Deep or Global), and the customization privileges, whose ids no
 * recorded source gives (generated here).
 */
function systemPrivilegeRows(): PrivilegeRow[] {
  const tables = (recordedPrivileges as unknown as { tables: Record<string, { privileges?: RecordedPrivilege[] }> })
    .tables;
  const businessOwned = (p: RecordedPrivilege): PrivilegeRow => ({
    privilegeid: p.privilegeId,
    name: p.name,
    canbebasic: false,
    canbelocal: true,
    canbedeep: true,
    canbeglobal: true,
  });
  const recorded = ["role", "systemuser", "businessunit"].flatMap((t) =>
    (tables[t].privileges ?? []).map(businessOwned),
  );
  // Organization-wide privileges (customization) exist at Global only ("Organization-owned tables: access levels can only
  // be Global or None", https://learn.microsoft.com/power-apps/developer/data-platform/security-concepts).
  const global = (name: string): PrivilegeRow => ({
    privilegeid: randomUUID(),
    name,
    canbebasic: false,
    canbelocal: false,
    canbedeep: false,
    canbeglobal: true,
  });
  const customization = [
    "prvReadEntity",
    "prvWriteEntity",
    "prvReadCustomization",
    "prvReadQuery",
    "prvReadSavedQueryVisualizations",
    "prvReadSystemForm",
  ].map(global);
  return [...recorded, ...customization];
}

const widest = (p: PrivilegeRow): Depth | undefined =>
  (["Global", "Deep", "Local", "Basic"] as const).find((d) => p[`canbe${d.toLowerCase()}` as keyof PrivilegeRow]);

/**
 * Seeds what the deploying admin holds: the System Administrator role of every business unit gets every privilege of
 * the environment at its widest depth (the recorded System Administrator dumps hold every table privilege at Global:
 * recorded/privileges/xrmmockup_systemadministrator_canbe_flags.json, SystemAdministratorDepth). Missing system rows are added.
 */
export function seedAdministratorPrivileges(data: EmulatorData): void {
  const known = new Set(data.privileges.map((p) => p.name.toLowerCase()));
  for (const row of systemPrivilegeRows()) if (!known.has(row.name.toLowerCase())) data.privileges.push(row);
  for (const role of data.roles.filter((r) => r._roletemplateid_value === "627090ff-40a3-4053-8790-584edc5be201")) {
    data.rolePrivileges.set(
      role.roleid,
      new Map(
        data.privileges.flatMap((p) => {
          const depth = widest(p);
          return depth ? [[p.privilegeid, depth] as const] : [];
        }),
      ),
    );
  }
}

/** Takes a privilege away from every role (the sandbox's --sandbox-deny): the deployer no longer holds it. */
export function revokeEverywhere(data: EmulatorData, privilegeName: string): boolean {
  const row = data.privileges.find((p) => p.name.toLowerCase() === privilegeName.toLowerCase());
  if (!row) return false;
  for (const held of data.rolePrivileges.values()) held.delete(row.privilegeid);
  return true;
}

/** What a user holds through its roles: privilege id -> widest depth and the business unit of the granting role. */
function effectivePrivileges(
  data: EmulatorData,
  userId: string,
): Map<string, { depth: Depth; businessUnitId: string }> {
  const user = data.users.get(userId.toLowerCase());
  if (!user || user.deletedstate !== 0)
    throw new HttpError(404, "0x80040217", `systemuser With Id = ${userId} Does Not Exist`);
  const out = new Map<string, { depth: Depth; businessUnitId: string }>();
  for (const roleId of user.roles) {
    const role = data.roles.find((r) => r.roleid === roleId);
    for (const [privilegeId, depth] of data.rolePrivileges.get(roleId) ?? []) {
      const known = out.get(privilegeId);
      if (!known || RANK[depth] > RANK[known.depth])
        out.set(privilegeId, { depth, businessUnitId: role?._businessunitid_value ?? user._businessunitid_value });
    }
  }
  return out;
}

/** A function parameter given inline (`Name='x'`) or through an alias (`Name=@p1` with `?@p1=...`). */
function parameter(ctx: RouteContext, args: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|,)${name}=('(?:[^']|'')*'|@\\w+|[^,]*)`).exec(args);
  if (!m) return undefined;
  const raw = m[1].startsWith("@") ? (ctx.query.get(m[1]) ?? undefined) : m[1];
  return raw;
}

function stringLiteral(text: string | undefined, name: string): string {
  const m = /^'((?:[^']|'')*)'$/.exec(text ?? "");
  if (!m)
    throw new HttpError(
      400,
      "0x80060888",
      `The parameter '${name}' must be a string literal such as 'prvReadAccount'.`,
    );
  return m[1].replace(/''/g, "'");
}

function stringCollection(text: string | undefined, name: string): string[] {
  try {
    const list = JSON.parse(text ?? "");
    if (Array.isArray(list) && list.every((x) => typeof x === "string")) return list;
  } catch {
    /* answered below */
  }
  throw new HttpError(
    400,
    "0x80060888",
    `The parameter '${name}' must be a collection of strings such as ["prvReadAccount"].`,
  );
}

function answer(ctx: RouteContext, fn: string, userId: string, wanted?: string[]): RouteResult {
  const held = effectivePrivileges(ctx.data, userId);
  const names = wanted && new Set(wanted.map((n) => n.toLowerCase()));
  const rows = [...held].flatMap(([privilegeId, h]) => {
    const p = ctx.data.privileges.find((x) => x.privilegeid === privilegeId);
    if (!p || (names && !names.has(p.name.toLowerCase()))) return [];
    return [
      {
        Depth: h.depth,
        PrivilegeId: p.privilegeid,
        BusinessUnitId: h.businessUnitId,
        PrivilegeName: p.name,
        RecordFilterId: null,
        RecordFilterUniqueName: null,
      },
    ];
  });
  return {
    status: 200,
    body: { "@odata.context": `${ctx.apiRoot}/$metadata#Microsoft.Dynamics.CRM.${fn}Response`, RolePrivileges: rows },
  };
}

/** The effective-privilege functions and the solution history; undefined when the request is neither. */
export function routePrivileges(ctx: RouteContext): RouteResult | undefined {
  if (ctx.method !== "GET") return undefined;
  if (ctx.path === "/msdyn_solutionhistories") return solutionHistory(ctx);
  const m = new RegExp(
    `^/systemusers\\(${GUID}\\)/Microsoft\\.Dynamics\\.CRM\\.(RetrieveUserPrivilegeByPrivilegeName|RetrieveUserSetOfPrivilegesByNames|RetrieveUserPrivileges)\\((.*)\\)$`,
  ).exec(ctx.path);
  if (!m) return undefined;
  const [, userId, fn, args] = m;
  if (fn === "RetrieveUserPrivileges") return answer(ctx, fn, userId);
  if (fn === "RetrieveUserPrivilegeByPrivilegeName")
    return answer(ctx, fn, userId, [stringLiteral(parameter(ctx, args, "PrivilegeName"), "PrivilegeName")]);
  return answer(ctx, fn, userId, stringCollection(parameter(ctx, args, "PrivilegeNames"), "PrivilegeNames"));
}

export interface SolutionOperation {
  msdyn_solutionhistoryid: string;
  msdyn_name: string;
  /** The operation, e.g. Import (its option values are UNCONFIRMED: kept as text here). */
  msdyn_operation: string;
  msdyn_starttime: string;
  /** Null while the operation runs. */
  msdyn_endtime: string | null;
}

function solutionHistory(ctx: RouteContext): RouteResult {
  const rows = (ctx.data as EmulatorData & { solutionHistory?: SolutionOperation[] }).solutionHistory ?? [];
  const filter = ctx.query.get("$filter");
  // The one query preflight sends: operations without an end time (still running).
  if (filter && filter.replace(/\s+/g, " ").trim() !== "msdyn_endtime eq null")
    throw new HttpError(
      400,
      "0x80060888",
      `The emulator answers only $filter=msdyn_endtime eq null here, got ${filter}`,
    );
  const value = rows.filter((r) => !filter || r.msdyn_endtime === null);
  return { status: 200, body: { "@odata.context": `${ctx.apiRoot}/$metadata#msdyn_solutionhistories`, value } };
}

/** Puts a running solution operation into the history (the sandbox's --sandbox-running-operation). */
export function addRunningOperation(data: EmulatorData, name: string, operation = "Import"): void {
  const d = data as EmulatorData & { solutionHistory?: SolutionOperation[] };
  (d.solutionHistory ??= []).push({
    msdyn_solutionhistoryid: randomUUID(),
    msdyn_name: name,
    msdyn_operation: operation,
    msdyn_starttime: new Date().toISOString(),
    msdyn_endtime: null,
  });
}
