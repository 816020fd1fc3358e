import { randomUUID } from "node:crypto";
import { HttpError, parseJson, select } from "./httpUtil";
import type { EmulatorData, PrivilegeRow } from "./seed";
import type { RouteContext, RouteResult } from "./routes";

const GUID = "([0-9a-fA-F-]{36})";
const DEPTHS = ["Basic", "Local", "Deep", "Global"] as const;
type Depth = (typeof DEPTHS)[number];
const CAN: Record<Depth, keyof PrivilegeRow> = { Basic: "canbebasic", Local: "canbelocal", Deep: "canbedeep", Global: "canbeglobal" };

const root = (data: EmulatorData) => data.businessUnits[0].businessunitid;

function findRole(ctx: RouteContext, id: string) {
  const role = ctx.data.roles.find((r) => r.roleid === id.toLowerCase());
  if (!role) throw new HttpError(404, "0x80040217", `role With Id = ${id} Does Not Exist`);
  return role;
}

/**
 * Custom roles live in the root business unit: Dataverse copies them to child units, and only roles of the root
 * unit can be edited (FH-Inway/d365bap.tools New-PpacSecurityRole: "Only roles in the root business unit can be
 * modified"). The wording of the refusal is UNCONFIRMED.
 */
function requireRootUnit(ctx: RouteContext, businessUnitId: string): void {
  if (businessUnitId !== root(ctx.data)) {
    throw new HttpError(400, "0x8004F507", `Roles can be created and changed only in the root business unit; ${businessUnitId} is not the root business unit.`);
  }
}

function createRole(ctx: RouteContext): RouteResult {
  const body = parseJson(ctx.body);
  const bu = /^\/businessunits\(([0-9a-fA-F-]{36})\)$/.exec(String(body["businessunitid@odata.bind"] ?? ""))?.[1]?.toLowerCase();
  if (!bu || !ctx.data.businessUnits.some((b) => b.businessunitid === bu)) throw new HttpError(404, "0x80040217", `businessunit With Id = ${bu ?? "(none)"} Does Not Exist`);
  if (typeof body.name !== "string" || !body.name.trim()) throw new HttpError(400, "0x80040203", "A role needs a name.");
  requireRootUnit(ctx, bu);
  const role = { roleid: randomUUID(), name: body.name, _businessunitid_value: bu, _roletemplateid_value: null };
  ctx.data.roles.push(role);
  ctx.data.rolePrivileges.set(role.roleid, new Map());
  if (/return=representation/.test(String(ctx.headers.prefer ?? ""))) return { status: 201, body: select(role as unknown as Record<string, unknown>, ctx.query.get("$select") ?? undefined) };
  return { status: 204, headers: { "OData-EntityId": `${ctx.apiRoot}/roles(${role.roleid})` } };
}

/** ReplacePrivilegesRole sets the whole set; AddPrivilegesRole adds or widens. Unknown privileges and depths a privilege does not support are refused. */
function setPrivileges(ctx: RouteContext, roleId: string, replace: boolean): RouteResult {
  const role = findRole(ctx, roleId);
  requireRootUnit(ctx, role._businessunitid_value);
  const list = parseJson(ctx.body).Privileges;
  if (!Array.isArray(list)) throw new HttpError(400, "0x80040203", "Privileges is required.");
  const next = replace ? new Map<string, Depth>() : new Map(ctx.data.rolePrivileges.get(role.roleid) ?? []);
  for (const p of list as { PrivilegeId?: string; Depth?: string }[]) {
    const privilege = ctx.data.privileges.find((x) => x.privilegeid === String(p.PrivilegeId).toLowerCase());
    if (!privilege) throw new HttpError(404, "0x80040217", `privilege With Id = ${p.PrivilegeId} Does Not Exist`);
    if (!DEPTHS.includes(p.Depth as Depth)) throw new HttpError(400, "0x80040203", `Depth ${p.Depth} is not a PrivilegeDepth.`);
    if (!privilege[CAN[p.Depth as Depth]]) throw new HttpError(400, "0x80040203", `Privilege ${privilege.name} cannot be granted at depth ${p.Depth}.`);
    next.set(privilege.privilegeid, p.Depth as Depth);
  }
  ctx.data.rolePrivileges.set(role.roleid, next);
  return { status: 204 };
}

function rolePrivilegesOf(ctx: RouteContext, roleId: string): RouteResult {
  const role = findRole(ctx, roleId);
  const held = [...(ctx.data.rolePrivileges.get(role.roleid) ?? [])].map(([id, depth]) => {
    const p = ctx.data.privileges.find((x) => x.privilegeid === id)!;
    return { Depth: depth, PrivilegeId: id, BusinessUnitId: role._businessunitid_value, PrivilegeName: p.name, RecordFilterId: null, RecordFilterUniqueName: null };
  });
  return { status: 200, body: { "@odata.context": `${ctx.apiRoot}/$metadata#Microsoft.Dynamics.CRM.RetrieveRolePrivilegesRoleResponse`, RolePrivileges: held } };
}

/** The security-role part of the Web API: privileges, roles, their privilege sets and holders. Undefined when not a role route. */
export function routeRoles(ctx: RouteContext): RouteResult | undefined {
  const { method, path } = ctx;
  let m: RegExpExecArray | null;
  if (method === "POST" && path === "/roles") return createRole(ctx);
  if ((m = new RegExp(`^/roles\\(${GUID}\\)/Microsoft\\.Dynamics\\.CRM\\.(Replace|Add)PrivilegesRole$`).exec(path)) && method === "POST") {
    return setPrivileges(ctx, m[1], m[2] === "Replace");
  }
  if ((m = new RegExp(`^/RetrieveRolePrivilegesRole\\(RoleId=${GUID}\\)$`).exec(path)) && method === "GET") return rolePrivilegesOf(ctx, m[1]);
  if ((m = new RegExp(`^/roles\\(${GUID}\\)/systemuserroles_association$`).exec(path)) && method === "GET") {
    const role = findRole(ctx, m[1]);
    const holders = [...ctx.data.users.values()].filter((u) => u.roles.has(role.roleid)).map((u) => ({ systemuserid: u.systemuserid }));
    return { status: 200, body: { "@odata.context": `${ctx.apiRoot}/$metadata#systemusers`, value: holders } };
  }
  if ((m = new RegExp(`^/roles\\(${GUID}\\)$`).exec(path))) {
    if (method === "PATCH" && !ctx.data.roles.some((r) => r.roleid === m![1].toLowerCase()) && ctx.headers["if-match"] === "*") {
      throw new HttpError(404, "0x80040217", `role With Id = ${m[1]} Does Not Exist`);
    }
    const role = findRole(ctx, m[1]);
    if (method === "GET") return { status: 200, body: { "@odata.context": `${ctx.apiRoot}/$metadata#roles/$entity`, "@odata.etag": `W/"${ctx.data.nextVersion}"`, ...select(role as unknown as Record<string, unknown>, ctx.query.get("$select") ?? undefined) } };
    if (method === "PATCH") {
      requireRootUnit(ctx, role._businessunitid_value);
      const name = parseJson(ctx.body).name;
      if (typeof name === "string" && name.trim()) role.name = name;
      return { status: 204 };
    }
    if (method === "DELETE") {
      // UNCONFIRMED: whether Dataverse deletes a role that users still hold; the emulator refuses, so callers unassign first.
      if ([...ctx.data.users.values()].some((u) => u.roles.has(role.roleid))) throw new HttpError(400, "0x80040203", "The role is assigned to users; remove it from them first.");
      ctx.data.roles.splice(ctx.data.roles.indexOf(role), 1);
      ctx.data.rolePrivileges.delete(role.roleid);
      return { status: 204 };
    }
  }
  return undefined;
}
