// Over 300 lines: the systemuser routes and the row helpers they share; roles, privileges and table metadata have
// their own route files.
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { Faults } from "./faults";
import { HttpError, parseJson, select } from "./httpUtil";
import { matches, parseFilter } from "./odataFilter";
import type { EmulatorData, User } from "./seed";
import { handleBatch } from "./batch";
import { releaseRoleCopies, routeRoles } from "./roleRoutes";
import { routePrivileges } from "./privilegeRoutes";
import { routeMetadata } from "./metadataRoutes";
import type { LoggedRequest } from "./requestLog";

export interface RouteContext {
  data: EmulatorData;
  faults: Faults;
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  headers: IncomingHttpHeaders;
  apiRoot: string;
  /** Client id of the application the bearer token stands for; undefined for the admin. */
  callerApp?: string;
  /** Records the parts of a $batch in the request log. */
  logPart?: (entry: LoggedRequest) => void;
  pageSize: number;
}

export interface RouteResult {
  status: number;
  /** Simulated ms the server works before it answers (a publish, a metadata write); scaled by faults.timeScale. */
  waitMs?: number;
  /** The request's effect, applied when its server work ends (a metadata write that is still running reads as not done). */
  apply?: () => void;
  body?: unknown;
  /** A body sent as is (multipart), instead of `body` as JSON. */
  raw?: string;
  /** Operations the answer did (a $batch: its parts run), for the per-operation server cost; 1 when omitted. */
  operations?: number;
  headers?: Record<string, string>;
}

const GUID = "([0-9a-fA-F-]{36})";
const DUPLICATE = "0x80040237";

/** A systemuser row in the shape of the recorded ones (recorded/tf-power-platform/systemusers_*.json). */
function userRow(ctx: RouteContext, u: User): Record<string, unknown> {
  return {
    "@odata.etag": `W/"${u.versionnumber}"`,
    systemuserid: u.systemuserid,
    applicationid: u.applicationid,
    isdisabled: u.isdisabled,
    accessmode: u.accessmode,
    deletedstate: u.deletedstate,
    azurestate: 0,
    _businessunitid_value: u._businessunitid_value,
    fullname: u.fullname,
    azureactivedirectoryobjectid: null,
    versionnumber: u.versionnumber,
    organizationid: ctx.data.organizationId,
  };
}

const touch = (ctx: RouteContext, u: User) => {
  u.versionnumber = ctx.data.nextVersion++;
};

/** Applies $filter, $select, $expand and paging (Prefer odata.maxpagesize, $skiptoken) to a collection. */
function collection(
  ctx: RouteContext,
  rows: Record<string, unknown>[],
  expand?: (row: Record<string, unknown>) => Record<string, unknown>,
): RouteResult {
  const filter = ctx.query.get("$filter");
  let result = filter ? rows.filter((r) => matches(parseFilter(filter), r)) : rows;
  const preferred = /odata\.maxpagesize=(\d+)/.exec(String(ctx.headers.prefer ?? ""))?.[1];
  const size = Math.min(ctx.pageSize, preferred ? Number(preferred) : 5000);
  const skip = Number(ctx.query.get("$skiptoken") ?? 0);
  const page = result.slice(skip, skip + size);
  result = page.map((r) =>
    expand
      ? { ...select(r, ctx.query.get("$select") ?? undefined), ...expand(r) }
      : select(r, ctx.query.get("$select") ?? undefined),
  );
  const body: Record<string, unknown> = {
    "@odata.context": `${ctx.apiRoot}/$metadata#${ctx.path.slice(1)}`,
    value: result,
  };
  if (skip + size < (filter ? rows.filter((r) => matches(parseFilter(filter), r)).length : rows.length)) {
    const next = new URLSearchParams(ctx.query);
    next.set("$skiptoken", String(skip + size));
    body["@odata.nextLink"] = `${ctx.apiRoot}${ctx.path}?${next.toString().replace(/\+/g, "%20")}`;
  }
  return { status: 200, body, headers: preferred ? { "Preference-Applied": `odata.maxpagesize=${size}` } : {} };
}

function expandRoles(ctx: RouteContext): ((row: Record<string, unknown>) => Record<string, unknown>) | undefined {
  const expand = ctx.query.get("$expand");
  if (!expand) return undefined;
  const m = /^systemuserroles_association(?:\(\$select=([^)]*)\))?$/.exec(expand);
  if (!m)
    throw new HttpError(
      400,
      "0x80060888",
      `Could not find a property named '${expand}' on type 'Microsoft.Dynamics.CRM.systemuser'.`,
    );
  return (row) => {
    const user = ctx.data.users.get(String(row.systemuserid))!;
    const roles = ctx.data.roles.filter((r) => user.roles.has(r.roleid)).map((r) => select(roleRow(r), m[1]));
    return { systemuserroles_association: roles };
  };
}

/** A role row with the annotations and columns the recorded roles collection has. */
function roleRow(r: { roleid: string }): Record<string, unknown> {
  return { "@odata.etag": `W/"${parseInt(r.roleid.slice(0, 6), 16)}"`, ismanaged: true, ...r };
}

function findUser(ctx: RouteContext, id: string): User {
  const user = ctx.data.users.get(id.toLowerCase());
  if (!user) throw new HttpError(404, "0x80040217", `systemuser With Id = ${id} Does Not Exist`);
  return user;
}

/** A bind to a business unit that does not exist answers as Dataverse does for a missing record (ObjectDoesNotExist). */
function businessUnitFromBind(ctx: RouteContext, bind: unknown): string {
  const id = /^\/businessunits\(([0-9a-fA-F-]{36})\)$/.exec(String(bind))?.[1]?.toLowerCase();
  if (!id)
    throw new HttpError(400, "0x80060888", `The value '${String(bind)}' is not a valid reference to a businessunit.`);
  if (!ctx.data.businessUnits.some((b) => b.businessunitid === id)) {
    throw new HttpError(404, "0x80040217", `businessunit With Id = ${id} Does Not Exist`);
  }
  return id;
}

function createUser(ctx: RouteContext): RouteResult {
  const body = parseJson(ctx.body);
  const applicationId = String(body.applicationid ?? "").toLowerCase();
  if (!/^[0-9a-f-]{36}$/.test(applicationId))
    throw new HttpError(400, "0x80040203", "applicationid is required for an application user.");
  if (!body["businessunitid@odata.bind"]) {
    throw new HttpError(
      400,
      "0x80040216",
      "Expecting business column to be set for Creating business owned entities, business column is null",
    );
  }
  const bu = businessUnitFromBind(ctx, body["businessunitid@odata.bind"]);
  // The exact answer while a new service principal has not replicated is UNCONFIRMED (no public source states it).
  if (!ctx.faults.isReplicated(applicationId)) {
    throw new HttpError(400, "0x80040216", `The application with id ${applicationId} was not found in the directory.`);
  }
  // A row for the app, live or soft-deleted, blocks a new one: Microsoft's provider meets a soft-deleted leftover as
  // 412 "A record with matching key values already exists." and purges it (microsoft/terraform-provider-power-platform, internal/services/application).
  if ([...ctx.data.users.values()].some((u) => u.applicationid === applicationId)) {
    throw new HttpError(412, DUPLICATE, "A record with matching key values already exists.");
  }
  const user: User = {
    systemuserid: randomUUID(),
    applicationid: applicationId,
    isdisabled: body.isdisabled === true,
    accessmode: Number(body.accessmode ?? 4),
    _businessunitid_value: bu,
    fullname: `# app ${applicationId.slice(0, 8)}`,
    roles: new Set(),
    deletedstate: 0,
    versionnumber: ctx.data.nextVersion++,
  };
  ctx.data.users.set(user.systemuserid, user);
  const entityId = `${ctx.apiRoot}/systemusers(${user.systemuserid})`;
  if (/return=representation/.test(String(ctx.headers.prefer ?? ""))) {
    return { status: 201, body: select(userRow(ctx, user), ctx.query.get("$select") ?? undefined) };
  }
  return { status: 204, headers: { "OData-EntityId": entityId } };
}

function patchUser(ctx: RouteContext, user: User): RouteResult {
  const body = parseJson(ctx.body);
  touch(ctx, user);
  if (typeof body.isdisabled === "boolean") user.isdisabled = body.isdisabled;
  if (body["businessunitid@odata.bind"]) {
    const bu = businessUnitFromBind(ctx, body["businessunitid@odata.bind"]);
    if (bu !== user._businessunitid_value) {
      user._businessunitid_value = bu;
      user.roles.clear(); // Dataverse's default: roles do not follow a user into another business unit
    }
  }
  return { status: 204 };
}

function associateRole(ctx: RouteContext, user: User): RouteResult {
  const ref = String(parseJson(ctx.body)["@odata.id"] ?? "");
  const roleId = new RegExp(`/roles\\(${GUID}\\)$`).exec(ref)?.[1]?.toLowerCase();
  const role = ctx.data.roles.find((r) => r.roleid === roleId);
  if (!role) throw new HttpError(404, "0x80040217", `role With Id = ${roleId ?? ref} Does Not Exist`);
  if (role._businessunitid_value !== user._businessunitid_value) {
    throw new HttpError(
      400,
      "0x80060888",
      `Role ${role.roleid} is not valid for a user in business unit ${user._businessunitid_value}.`,
    );
  }
  if (user.roles.has(role.roleid)) throw new HttpError(400, DUPLICATE, "Cannot insert duplicate key.");
  user.roles.add(role.roleid);
  touch(ctx, user);
  return { status: 204 };
}

function whoAmI(ctx: RouteContext): RouteResult {
  const user = ctx.callerApp
    ? [...ctx.data.users.values()].find((u) => u.applicationid === ctx.callerApp && u.deletedstate === 0)
    : ctx.data.users.get(ctx.data.adminUserId);
  if (!user)
    throw new HttpError(
      403,
      "0x80072560",
      `The user is not a member of the organization. No application user for ${ctx.callerApp}.`,
    );
  if (user.isdisabled) throw new HttpError(403, "0x8004ad43", "The user account is disabled.");
  return {
    status: 200,
    body: {
      "@odata.context": `${ctx.apiRoot}/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
      BusinessUnitId: user._businessunitid_value,
      UserId: user.systemuserid,
      OrganizationId: ctx.data.organizationId,
    },
  };
}

/** An application user may read its own record, and only with a role (a stand-in for privileges). */
function routeForApplication(ctx: RouteContext): RouteResult {
  const user = [...ctx.data.users.values()].find((u) => u.applicationid === ctx.callerApp && u.deletedstate === 0);
  const own = new RegExp(`^/systemusers\\(${GUID}\\)$`).exec(ctx.path);
  if (user && ctx.method === "GET" && own && own[1].toLowerCase() === user.systemuserid && user.roles.size > 0) {
    const row = userRow(ctx, user);
    const expand = expandRoles(ctx);
    return {
      status: 200,
      body: { ...select(row, ctx.query.get("$select") ?? undefined), ...(expand ? expand(row) : {}) },
    };
  }
  throw new HttpError(403, "0x80040220", "The user does not hold the privilege this request needs.");
}

/**
 * PATCH of a row that does not exist. With `If-Match: *` Dataverse answers 404 instead of creating it ("Prevent
 * create in upsert", learn.microsoft.com .../webapi/perform-conditional-operations-using-web-api). Without it the
 * PATCH is an upsert: Dataverse tries to create the row from the body, and a systemuser body such as
 * `{ isdisabled: true }` fails create validation. (The exact validation message is UNCONFIRMED.)
 */
function upsertMissingUser(ctx: RouteContext, id: string): RouteResult {
  if (String(ctx.headers["if-match"] ?? "") === "*")
    throw new HttpError(404, "0x80040217", `systemuser With Id = ${id} Does Not Exist`);
  const body = parseJson(ctx.body);
  if (!body.applicationid || !body["businessunitid@odata.bind"]) {
    throw new HttpError(
      400,
      "0x80040216",
      "Expecting business column to be set for Creating business owned entities, business column is null",
    );
  }
  throw new HttpError(400, "0x80040203", "Creating a systemuser through an upsert is not supported here.");
}

/**
 * A first DELETE soft-deletes (deletedstate 1, disabled, roles removed); a second one purges the row
 * (microsoft/terraform-provider-power-platform deletes application users twice; its issue #1249 shows both steps in
 * live runs).
 * Only disabled application users can be deleted (https://learn.microsoft.com/power-platform/admin/manage-application-users).
 */
function deleteUser(ctx: RouteContext, user: User): RouteResult {
  if (user.deletedstate !== 0) {
    ctx.data.users.delete(user.systemuserid);
    return { status: 204 };
  }
  if (!user.isdisabled) throw new HttpError(400, "0x80040225", "Only disabled application users can be deleted.");
  user.deletedstate = 1;
  user.roles.clear();
  touch(ctx, user);
  return { status: 204 };
}

/** Dispatches one request to the Web API subset the project uses. */
export function route(ctx: RouteContext): RouteResult | Promise<RouteResult> {
  const { method, path } = ctx;
  let m: RegExpExecArray | null;
  if (method === "GET" && path === "/WhoAmI") return whoAmI(ctx);
  if (ctx.callerApp) return routeForApplication(ctx);
  if (method === "GET" && path === "/businessunits")
    return collection(ctx, ctx.data.businessUnits as unknown as Record<string, unknown>[]);
  if (method === "GET" && path === "/roles") {
    releaseRoleCopies(ctx.data);
    return collection(ctx, ctx.data.roles.map(roleRow));
  }
  if (method === "GET" && path === "/privileges")
    return collection(ctx, ctx.data.privileges as unknown as Record<string, unknown>[]);
  const roleRoute = routeRoles(ctx);
  if (roleRoute) return roleRoute;
  const privilegeRoute = routePrivileges(ctx);
  if (privilegeRoute) return privilegeRoute;
  if (path === "/systemusers") {
    if (method === "POST") return createUser(ctx);
    if (method === "GET")
      return collection(
        ctx,
        [...ctx.data.users.values()].map((u) => userRow(ctx, u)),
        expandRoles(ctx),
      );
  }
  if ((m = new RegExp(`^/systemusers\\(${GUID}\\)$`).exec(path))) {
    if (method === "PATCH" && !ctx.data.users.has(m[1].toLowerCase())) return upsertMissingUser(ctx, m[1]);
    const user = findUser(ctx, m[1]);
    if (method === "GET") {
      const row = userRow(ctx, user);
      const expand = expandRoles(ctx);
      return {
        status: 200,
        body: { ...select(row, ctx.query.get("$select") ?? undefined), ...(expand ? expand(row) : {}) },
      };
    }
    if (method === "PATCH") return patchUser(ctx, user);
    if (method === "DELETE") return deleteUser(ctx, user);
  }
  if ((m = new RegExp(`^/systemusers\\(${GUID}\\)/systemuserroles_association/\\$ref$`).exec(path))) {
    const user = findUser(ctx, m[1]);
    if (method === "POST") return associateRole(ctx, user);
    if (method === "DELETE") {
      const roleId = new RegExp(`/roles\\(${GUID}\\)$`).exec(ctx.query.get("$id") ?? "")?.[1]?.toLowerCase();
      if (roleId) user.roles.delete(roleId);
      return { status: 204 };
    }
  }
  if (
    (m = new RegExp(`^/systemusers\\(${GUID}\\)/systemuserroles_association\\(${GUID}\\)/\\$ref$`).exec(path)) &&
    method === "DELETE"
  ) {
    findUser(ctx, m[1]).roles.delete(m[2].toLowerCase());
    return { status: 204 };
  }
  const metadataRoute = routeMetadata(ctx, collection);
  if (metadataRoute) return metadataRoute;
  if (method === "POST" && path === "/$batch") return handleBatch(ctx, route, ctx.logPart ?? (() => {}));
  throw new HttpError(404, "0x80060888", `Resource not found for the segment '${path}'.`);
}
