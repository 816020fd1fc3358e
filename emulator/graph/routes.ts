// Over 300 lines: the application and service-principal routes share their row helpers; directory and policy routes
// have their own files.
import { randomBytes, randomUUID } from "node:crypto";
import { badRequest, GraphError, notFound } from "./errors";
import { checkPasswordAllowed } from "./passwordPolicy";
import { matches, page, parseFilter, selectColumns } from "./query";
import { newApplication, newServicePrincipal, type Application, type GraphData, type ServicePrincipal } from "./store";
import { directoryRoutes } from "./directoryRoutes";

export interface GraphContext {
  data: GraphData;
  method: string;
  /** Path below /v1.0, e.g. "/applications/<id>/addPassword". */
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown>;
  /** Object id of the caller (a user, or a service principal for app-only tokens). */
  caller: { kind: "user" | "servicePrincipal"; id: string };
  /** https://host:port/v1.0 */
  root: string;
  /** The request URL, for @odata.nextLink. */
  selfUrl: string;
  pageSize: number;
}
export interface GraphResult {
  status: number;
  body?: unknown;
}

type Row = Record<string, unknown>;

/** A collection answer: @odata.context, value, @odata.nextLink (https://learn.microsoft.com/graph/paging). */
export function collection(ctx: GraphContext, context: string, rows: Row[], filterable: string[]): GraphResult {
  const clauses = parseFilter(ctx.query.get("$filter"), filterable);
  const selected = rows.filter((r) => matches(r, clauses)).map((r) => selectColumns(r, ctx.query.get("$select")));
  const p = page(selected, ctx.query, ctx.pageSize, ctx.selfUrl);
  return {
    status: 200,
    body: {
      "@odata.context": `${ctx.root}/$metadata#${context}`,
      value: p.value,
      ...(p.nextLink ? { "@odata.nextLink": p.nextLink } : {}),
    },
  };
}

export function entity(ctx: GraphContext, context: string, row: object): GraphResult {
  return {
    status: 200,
    body: {
      "@odata.context": `${ctx.root}/$metadata#${context}/$entity`,
      ...selectColumns(row as Row, ctx.query.get("$select")),
    },
  };
}

/** Addresses by object id or by alternate key: applications(appId='...') / servicePrincipals(appId='...'). */
function find<T extends { id: string; appId: string }>(rows: T[], key: string): T {
  const alt = /^\(appId='([^']+)'\)$/.exec(key);
  const hit = alt
    ? rows.find((r) => r.appId.toLowerCase() === alt[1].toLowerCase())
    : rows.find((r) => r.id === key.replace(/^\//, ""));
  if (!hit) throw notFound(alt ? alt[1] : key.replace(/^\//, ""));
  return hit;
}

const str = (body: Row, field: string): string => {
  const v = body[field];
  if (typeof v !== "string" || !v) throw badRequest(`Property '${field}' is required and must be a non-empty string.`);
  return v;
};

// Fields a PATCH of an application may set here; passwordCredentials may not be set by POST or PATCH
// ("Using POST or PATCH to set the passwordCredential property is not supported",
// https://learn.microsoft.com/graph/api/resources/passwordcredential).
const APP_PATCHABLE = [
  "displayName",
  "requiredResourceAccess",
  "web",
  "spa",
  "publicClient",
  "signInAudience",
  "tags",
  "notes",
  "identifierUris",
];

/** https://learn.microsoft.com/graph/api/resources/application (create, get, list, update, delete, addPassword, removePassword) */
function applicationRoutes(ctx: GraphContext, rest: string): GraphResult | undefined {
  const { data, method, body } = ctx;
  if (rest === "" && method === "GET")
    return collection(ctx, "applications", data.applications as unknown as Row[], ["appId", "id", "displayName"]);
  if (rest === "" && method === "POST") {
    if ("passwordCredentials" in body)
      throw badRequest("Property 'passwordCredentials' cannot be set on create here; use addPassword.");
    const app = newApplication(str(body, "displayName"));
    for (const k of APP_PATCHABLE) if (k in body) Object.assign(app, { [k]: body[k] });
    data.applications.push(app);
    return { status: 201, body: { "@odata.context": `${ctx.root}/$metadata#applications/$entity`, ...app } };
  }
  const m = /^(\/[^/()]+|\([^)]*\))(\/.*)?$/.exec(rest);
  if (!m) return undefined;
  const app = find(data.applications, m[1]);
  const action = m[2] ?? "";
  if (action === "" && method === "GET") return entity(ctx, "applications", app);
  if (action === "" && method === "PATCH") {
    for (const k of Object.keys(body))
      if (!APP_PATCHABLE.includes(k)) throw badRequest(`Property '${k}' cannot be updated here.`);
    Object.assign(app, body);
    return { status: 204 };
  }
  if (action === "" && method === "DELETE") {
    data.applications.splice(data.applications.indexOf(app), 1);
    return { status: 204 };
  }
  if (action === "/addPassword" && method === "POST") return addPassword(ctx, app);
  if (action === "/removePassword" && method === "POST") {
    const keyId = str(body, "keyId");
    const i = app.passwordCredentials.findIndex((p) => p.keyId === keyId);
    if (i < 0) throw notFound(keyId);
    app.passwordCredentials.splice(i, 1);
    return { status: 204 };
  }
  if (action === "/appManagementPolicies" && method === "GET") {
    const rows = data.appPolicies.filter((p) => p.appliesTo.has(app.id)).map(({ appliesTo: _a, ...p }) => p);
    return collection(ctx, "policies/appManagementPolicies", rows as Row[], ["id"]);
  }
  return undefined;
}

/**
 * https://learn.microsoft.com/graph/api/application-addpassword : 200 with the new passwordCredential, secretText
 * only here; endDateTime defaults to "startDateTime + 2 years", startDateTime to now.
 */
function addPassword(ctx: GraphContext, app: Application): GraphResult {
  const cred = (ctx.body.passwordCredential ?? {}) as Row;
  const start = typeof cred.startDateTime === "string" ? new Date(cred.startDateTime) : new Date();
  const end =
    typeof cred.endDateTime === "string"
      ? new Date(cred.endDateTime)
      : new Date(new Date(start).setUTCFullYear(start.getUTCFullYear() + 2));
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()))
    throw badRequest("startDateTime and endDateTime must be ISO 8601 timestamps.");
  checkPasswordAllowed(ctx.data, app, start, end);
  const secretText = randomBytes(30).toString("base64url").slice(0, 40);
  const stored = {
    customKeyIdentifier: null,
    displayName: typeof cred.displayName === "string" ? cred.displayName : null,
    endDateTime: end.toISOString(),
    hint: secretText.slice(0, 3),
    keyId: randomUUID(),
    secretText: null,
    startDateTime: start.toISOString(),
  };
  app.passwordCredentials.push(stored);
  return {
    status: 200,
    body: { "@odata.context": `${ctx.root}/$metadata#microsoft.graph.passwordCredential`, ...stored, secretText },
  };
}

/** https://learn.microsoft.com/graph/api/resources/serviceprincipal, appRoleAssignedTo and appRoleAssignments */
function servicePrincipalRoutes(ctx: GraphContext, rest: string): GraphResult | undefined {
  const { data, method, body } = ctx;
  if (rest === "" && method === "GET")
    return collection(ctx, "servicePrincipals", data.servicePrincipals as unknown as Row[], [
      "appId",
      "id",
      "displayName",
      "servicePrincipalType",
    ]);
  if (rest === "" && method === "POST") {
    const appId = str(body, "appId");
    const app = data.applications.find((a) => a.appId === appId);
    if (!app) throw notFound(appId);
    // One service principal per app and tenant; a second create conflicts (UNCONFIRMED wording).
    if (data.servicePrincipals.some((s) => s.appId === appId))
      throw new GraphError(
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        "The service principal cannot be created, updated, or restored because the service principal name is already in use.",
      );
    const sp = newServicePrincipal(data, app);
    data.servicePrincipals.push(sp);
    return { status: 201, body: { "@odata.context": `${ctx.root}/$metadata#servicePrincipals/$entity`, ...sp } };
  }
  const m = /^(\/[^/()]+|\([^)]*\))(\/[^/]+)?(\/[^/]+)?$/.exec(rest);
  if (!m) return undefined;
  const sp = find(data.servicePrincipals, m[1]);
  const nav = m[2] ?? "";
  if (nav === "" && method === "GET") return entity(ctx, "servicePrincipals", sp);
  if (nav === "" && method === "DELETE") {
    data.servicePrincipals.splice(data.servicePrincipals.indexOf(sp), 1);
    return { status: 204 };
  }
  if (nav === "/checkMemberObjects" || nav === "/memberOf") return directoryRoutes(ctx);
  if (nav === "/appRoleAssignedTo") return assignedTo(ctx, sp, m[3]?.slice(1));
  if (nav === "/appRoleAssignments" && method === "GET") {
    return collection(
      ctx,
      `servicePrincipals('${sp.id}')/appRoleAssignments`,
      data.appRoleAssignments.filter((a) => a.principalId === sp.id) as unknown as Row[],
      ["resourceId", "appRoleId"],
    );
  }
  if (nav === "/oauth2PermissionGrants" && method === "GET") {
    return collection(
      ctx,
      "oauth2PermissionGrants",
      data.grants.filter((g) => g.clientId === sp.id) as unknown as Row[],
      ["resourceId", "consentType"],
    );
  }
  return undefined;
}

/** https://learn.microsoft.com/graph/api/serviceprincipal-list-approleassignedto and -post-approleassignedto */
function assignedTo(
  ctx: GraphContext,
  resource: ServicePrincipal,
  assignmentId: string | undefined,
): GraphResult | undefined {
  const { data, method, body } = ctx;
  if (!assignmentId && method === "GET") {
    return collection(
      ctx,
      `servicePrincipals('${resource.id}')/appRoleAssignedTo`,
      data.appRoleAssignments.filter((a) => a.resourceId === resource.id) as unknown as Row[],
      ["principalId", "appRoleId"],
    );
  }
  if (!assignmentId && method === "POST") {
    const principalId = str(body, "principalId"),
      appRoleId = str(body, "appRoleId");
    if (str(body, "resourceId") !== resource.id)
      throw badRequest("resourceId must be the service principal in the URL.");
    const principal = data.servicePrincipals.find((s) => s.id === principalId);
    if (!principal) throw notFound(principalId);
    if (!resource.appRoles.some((r) => r.id === appRoleId))
      throw badRequest(`Permission being assigned was not found on application '${resource.appId}'.`);
    const row = {
      id: randomBytes(32).toString("base64url"),
      deletedDateTime: null,
      appRoleId,
      createdDateTime: new Date().toISOString(),
      principalDisplayName: principal.displayName,
      principalId,
      principalType: "ServicePrincipal" as const,
      resourceDisplayName: resource.displayName,
      resourceId: resource.id,
    };
    data.appRoleAssignments.push(row);
    return {
      status: 201,
      body: {
        "@odata.context": `${ctx.root}/$metadata#servicePrincipals('${resource.id}')/appRoleAssignedTo/$entity`,
        ...row,
      },
    };
  }
  if (assignmentId && method === "DELETE") {
    const i = data.appRoleAssignments.findIndex((a) => a.id === assignmentId && a.resourceId === resource.id);
    if (i < 0) throw notFound(assignmentId);
    data.appRoleAssignments.splice(i, 1);
    return { status: 204 };
  }
  return undefined;
}

/** https://learn.microsoft.com/graph/api/oauth2permissiongrant-list, -post, -update, -delete */
function grantRoutes(ctx: GraphContext, rest: string): GraphResult | undefined {
  const { data, method, body } = ctx;
  if (rest === "" && method === "GET")
    return collection(ctx, "oauth2PermissionGrants", data.grants as unknown as Row[], [
      "clientId",
      "consentType",
      "resourceId",
      "principalId",
    ]);
  if (rest === "" && method === "POST") {
    const consentType = str(body, "consentType");
    if (consentType !== "AllPrincipals" && consentType !== "Principal")
      throw badRequest("consentType must be AllPrincipals or Principal.");
    const row = {
      id: randomBytes(32).toString("base64url"),
      clientId: str(body, "clientId"),
      consentType,
      resourceId: str(body, "resourceId"),
      principalId: typeof body.principalId === "string" ? body.principalId : null,
      scope: typeof body.scope === "string" ? body.scope : "",
    } as const;
    for (const id of [row.clientId, row.resourceId])
      if (!data.servicePrincipals.some((s) => s.id === id)) throw notFound(id);
    data.grants.push({ ...row });
    return { status: 201, body: { "@odata.context": `${ctx.root}/$metadata#oauth2PermissionGrants/$entity`, ...row } };
  }
  const grant = data.grants.find((g) => `/${g.id}` === rest);
  if (!grant) throw notFound(rest.slice(1));
  if (method === "GET") return entity(ctx, "oauth2PermissionGrants", grant);
  if (method === "PATCH") {
    grant.scope = str(body, "scope");
    return { status: 204 };
  }
  if (method === "DELETE") {
    data.grants.splice(data.grants.indexOf(grant), 1);
    return { status: 204 };
  }
  return undefined;
}

export function graphRoute(ctx: GraphContext): GraphResult {
  const m = /^\/(applications|servicePrincipals|oauth2PermissionGrants)(.*)$/.exec(ctx.path);
  const result = m
    ? m[1] === "applications"
      ? applicationRoutes(ctx, m[2])
      : m[1] === "servicePrincipals"
        ? servicePrincipalRoutes(ctx, m[2])
        : grantRoutes(ctx, m[2])
    : directoryRoutes(ctx);
  // Graph answers an unknown segment 400 BadRequest "Resource not found for the segment '...'" (UNCONFIRMED wording).
  if (!result)
    throw new GraphError(400, "BadRequest", `Resource not found for the segment '${ctx.path.split("/").pop()}'.`);
  return result;
}
