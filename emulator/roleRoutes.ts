import { randomUUID } from "node:crypto";
import { HttpError, parseJson, select } from "./httpUtil";
import type { EmulatorData, PrivilegeRow } from "./seed";
import type { RouteContext, RouteResult } from "./routes";
import { NEW_ROLE_DEFAULTS, SHAREPOINT_DEFAULTS } from "./privilegeSeed";

/**
 * Dataverse copies a root role into every child business unit (own roleid, same name, _parentrootroleid_value =
 * the root role). Copies may lag "up to a few minutes" (UNCONFIRMED): with faults.roleCopyLagReads = n the copies
 * appear only after n reads of the roles collection.
 */
function copyIntoChildUnits(
  ctx: RouteContext,
  role: { roleid: string; name: string; _businessunitid_value: string },
): void {
  const copies = ctx.data.businessUnits
    .filter((b) => b._parentbusinessunitid_value !== null)
    .map((b) => ({
      roleid: randomUUID(),
      name: role.name,
      _businessunitid_value: b.businessunitid,
      _roletemplateid_value: null,
      _parentrootroleid_value: role.roleid,
    }));
  ctx.data.pendingRoleCopies.push({ readsLeft: ctx.faults.roleCopyLagReads, copies });
  releaseRoleCopies(ctx.data, false);
}

/** Called on every read of the roles collection: copies whose lag is over appear. */
export function releaseRoleCopies(data: EmulatorData, isRead = true): void {
  for (const pending of [...data.pendingRoleCopies]) {
    if (isRead) pending.readsLeft -= 1;
    if (pending.readsLeft <= 0) {
      data.roles.push(...pending.copies);
      data.pendingRoleCopies.splice(data.pendingRoleCopies.indexOf(pending), 1);
    }
  }
}

const GUID = "([0-9a-fA-F-]{36})";
const DEPTHS = ["Basic", "Local", "Deep", "Global"] as const;
type Depth = (typeof DEPTHS)[number];
const CAN: Record<Depth, keyof PrivilegeRow> = {
  Basic: "canbebasic",
  Local: "canbelocal",
  Deep: "canbedeep",
  Global: "canbeglobal",
};

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
    throw new HttpError(
      400,
      "0x8004F507",
      `Roles can be created and changed only in the root business unit; ${businessUnitId} is not the root business unit.`,
    );
  }
}

function createRole(ctx: RouteContext): RouteResult {
  const body = parseJson(ctx.body);
  const bu = /^\/businessunits\(([0-9a-fA-F-]{36})\)$/
    .exec(String(body["businessunitid@odata.bind"] ?? ""))?.[1]
    ?.toLowerCase();
  if (!bu || !ctx.data.businessUnits.some((b) => b.businessunitid === bu))
    throw new HttpError(404, "0x80040217", `businessunit With Id = ${bu ?? "(none)"} Does Not Exist`);
  if (typeof body.name !== "string" || !body.name.trim())
    throw new HttpError(400, "0x80040203", "A role needs a name.");
  requireRootUnit(ctx, bu);
  if (ctx.faults.refuseDuplicateRoleName) {
    const same = ctx.data.roles.find(
      (r) => r._businessunitid_value === bu && r.name.toLowerCase() === String(body.name).toLowerCase(),
    );
    // RoleAlreadyExists (learn.microsoft.com .../reference/web-service-error-codes); whether POST roles raises it, and its status, is UNCONFIRMED.
    if (same)
      throw new HttpError(
        400,
        "0x80041403",
        `A role with the specified name '${body.name}' already exists on business unit ${bu}. Role id: ${same.roleid}`,
      );
  }
  const id = randomUUID();
  const role = {
    roleid: id,
    name: body.name,
    _businessunitid_value: bu,
    _roletemplateid_value: null,
    _parentrootroleid_value: id,
  };
  ctx.data.roles.push(role);
  // A new role is not empty: it holds the nine recorded defaults (depth UNCONFIRMED; Global here).
  ctx.data.rolePrivileges.set(role.roleid, new Map(NEW_ROLE_DEFAULTS.map((d) => [d.privilegeid, "Global" as Depth])));
  copyIntoChildUnits(ctx, role);
  if (/return=representation/.test(String(ctx.headers.prefer ?? "")))
    return {
      status: 201,
      body: select(role as unknown as Record<string, unknown>, ctx.query.get("$select") ?? undefined),
    };
  return { status: 204, headers: { "OData-EntityId": `${ctx.apiRoot}/roles(${role.roleid})` } };
}

/** ReplacePrivilegesRole sets the whole set; AddPrivilegesRole adds or widens. Unknown privileges and depths a privilege does not support are refused. */
function setPrivileges(ctx: RouteContext, roleId: string, replace: boolean): RouteResult {
  const role = findRole(ctx, roleId);
  requireRootUnit(ctx, role._businessunitid_value);
  const list = parseJson(ctx.body).Privileges;
  if (!Array.isArray(list)) throw new HttpError(400, "0x80040203", "Privileges is required.");
  const before = ctx.data.rolePrivileges.get(role.roleid) ?? new Map<string, Depth>();
  const next = replace ? new Map<string, Depth>() : new Map(before);
  // Two third-party reports: the SharePoint privileges stay where server-based SharePoint is on (UNCONFIRMED; a switch).
  if (replace && ctx.faults.keepSharePointPrivileges)
    for (const d of SHAREPOINT_DEFAULTS)
      if (before.has(d.privilegeid)) next.set(d.privilegeid, before.get(d.privilegeid)!);
  for (const p of list as { PrivilegeId?: string; Depth?: string }[]) {
    const privilege = ctx.data.privileges.find((x) => x.privilegeid === String(p.PrivilegeId).toLowerCase());
    if (!privilege) throw new HttpError(404, "0x80040217", `privilege With Id = ${p.PrivilegeId} Does Not Exist`);
    if (!DEPTHS.includes(p.Depth as Depth))
      throw new HttpError(400, "0x80040203", `Depth ${p.Depth} is not a PrivilegeDepth.`);
    if (!privilege[CAN[p.Depth as Depth]])
      throw new HttpError(400, "0x80040203", `Privilege ${privilege.name} cannot be granted at depth ${p.Depth}.`);
    next.set(privilege.privilegeid, p.Depth as Depth);
  }
  ctx.data.rolePrivileges.set(role.roleid, next);
  return { status: 204 };
}

function rolePrivilegesOf(ctx: RouteContext, roleId: string): RouteResult {
  const role = findRole(ctx, roleId);
  // A child unit's copy holds what its root role holds.
  const held = [
    ...(ctx.data.rolePrivileges.get(role._parentrootroleid_value) ?? ctx.data.rolePrivileges.get(role.roleid) ?? []),
  ].map(([id, depth]) => {
    const p = ctx.data.privileges.find((x) => x.privilegeid === id)!;
    return {
      Depth: depth,
      PrivilegeId: id,
      BusinessUnitId: role._businessunitid_value,
      PrivilegeName: p.name,
      RecordFilterId: null,
      RecordFilterUniqueName: null,
    };
  });
  return {
    status: 200,
    body: {
      "@odata.context": `${ctx.apiRoot}/$metadata#Microsoft.Dynamics.CRM.RetrieveRolePrivilegesRoleResponse`,
      RolePrivileges: held,
    },
  };
}

/** The security-role part of the Web API: privileges, roles, their privilege sets and holders. Undefined when not a role route. */
export function routeRoles(ctx: RouteContext): RouteResult | undefined {
  const { method, path } = ctx;
  let m: RegExpExecArray | null;
  if (method === "POST" && path === "/roles") return createRole(ctx);
  if (
    (m = new RegExp(`^/roles\\(${GUID}\\)/Microsoft\\.Dynamics\\.CRM\\.(Replace|Add)PrivilegesRole$`).exec(path)) &&
    method === "POST"
  ) {
    return setPrivileges(ctx, m[1], m[2] === "Replace");
  }
  if ((m = new RegExp(`^/RetrieveRolePrivilegesRole\\(RoleId=${GUID}\\)$`).exec(path)) && method === "GET")
    return rolePrivilegesOf(ctx, m[1]);
  if ((m = new RegExp(`^/roles\\(${GUID}\\)/systemuserroles_association$`).exec(path)) && method === "GET") {
    const role = findRole(ctx, m[1]);
    const holders = [...ctx.data.users.values()]
      .filter((u) => u.roles.has(role.roleid))
      .map((u) => ({ systemuserid: u.systemuserid }));
    return { status: 200, body: { "@odata.context": `${ctx.apiRoot}/$metadata#systemusers`, value: holders } };
  }
  if ((m = new RegExp(`^/roles\\(${GUID}\\)$`).exec(path))) {
    if (
      method === "PATCH" &&
      !ctx.data.roles.some((r) => r.roleid === m![1].toLowerCase()) &&
      ctx.headers["if-match"] === "*"
    ) {
      throw new HttpError(404, "0x80040217", `role With Id = ${m[1]} Does Not Exist`);
    }
    const role = findRole(ctx, m[1]);
    if (method === "GET")
      return {
        status: 200,
        body: {
          "@odata.context": `${ctx.apiRoot}/$metadata#roles/$entity`,
          "@odata.etag": `W/"${ctx.data.nextVersion}"`,
          ...select(role as unknown as Record<string, unknown>, ctx.query.get("$select") ?? undefined),
        },
      };
    if (method === "PATCH") {
      requireRootUnit(ctx, role._businessunitid_value);
      const name = parseJson(ctx.body).name;
      if (typeof name === "string" && name.trim()) role.name = name;
      return { status: 204 };
    }
    if (method === "DELETE") {
      // UNCONFIRMED: whether Dataverse deletes a role that users still hold; the emulator refuses, so callers unassign first.
      if ([...ctx.data.users.values()].some((u) => u.roles.has(role.roleid)))
        throw new HttpError(400, "0x80040203", "The role is assigned to users; remove it from them first.");
      const copies = ctx.data.roles.filter(
        (r) => r._parentrootroleid_value === role.roleid && r.roleid !== role.roleid,
      );
      if ([...ctx.data.users.values()].some((u) => copies.some((c) => u.roles.has(c.roleid))))
        throw new HttpError(400, "0x80040203", "A copy of the role is assigned to users; remove it from them first.");
      ctx.data.roles = ctx.data.roles.filter((r) => r !== role && !copies.includes(r));
      ctx.data.rolePrivileges.delete(role.roleid);
      return { status: 204 };
    }
  }
  return undefined;
}
