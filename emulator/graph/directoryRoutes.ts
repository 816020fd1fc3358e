import { badRequest, GraphError, notFound } from "./errors";
import { collection, entity, type GraphContext, type GraphResult } from "./routes";

type Row = Record<string, unknown>;

/**
 * The tenant's authorization policy, shaped as https://learn.microsoft.com/graph/api/authorizationpolicy-get 's v1.0
 * example (a single object with id "authorizationPolicy"; microsoft-graph-docs-contrib
 * api-reference/v1.0/api/authorizationpolicy-get.md); values are that example's.
 */
const AUTHORIZATION_POLICY = {
  id: "authorizationPolicy",
  displayName: "Authorization Policy",
  description: "Used to manage authorization related settings across the company.",
  allowInvitesFrom: "everyone",
  allowedToSignUpEmailBasedSubscriptions: true,
  allowedToUseSSPR: true,
  allowEmailVerifiedUsersToJoinOrganization: true,
  allowUserConsentForRiskyApps: false,
  blockMsolPowerShell: null,
  defaultUserRolePermissions: {
    allowedToCreateApps: true,
    allowedToCreateSecurityGroups: true,
    allowedToReadOtherUsers: true,
    permissionGrantPoliciesAssigned: ["just-user-read"],
  },
};

/** Roles (and, by template id, role templates) the object belongs to (https://learn.microsoft.com/graph/api/directoryobject-checkmemberobjects). */
function checkMemberObjects(ctx: GraphContext, objectId: string): GraphResult {
  const ids = ctx.body.ids;
  if (!Array.isArray(ids) || ids.some((x) => typeof x !== "string"))
    throw badRequest("Property 'ids' must be a collection of strings.");
  // "You can specify up to 20 objects." (same page); the error wording for 21+ is UNCONFIRMED.
  if (ids.length > 20) throw badRequest("At most 20 ids may be checked in one call.");
  const held = ctx.data.directoryRoles.filter((r) => r.members.has(objectId));
  const value = (ids as string[]).filter((id) => held.some((r) => r.id === id || r.roleTemplateId === id));
  return { status: 200, body: { "@odata.context": `${ctx.root}/$metadata#Collection(Edm.String)`, value } };
}

function memberOf(ctx: GraphContext, objectId: string): GraphResult {
  const rows = ctx.data.directoryRoles
    .filter((r) => r.members.has(objectId))
    .map(({ members: _m, ...r }) => ({ "@odata.type": "#microsoft.graph.directoryRole", ...r }));
  return collection(ctx, "directoryObjects", rows as Row[], ["id"]);
}

function requireObject(ctx: GraphContext, id: string): void {
  const known = ctx.data.users.some((u) => u.id === id) || ctx.data.servicePrincipals.some((s) => s.id === id);
  if (!known) throw notFound(id);
}

/** Policies, directory roles, the signed-in user and membership checks. */
export function directoryRoutes(ctx: GraphContext): GraphResult | undefined {
  const { data, method, path } = ctx;
  if (method === "GET" && path === "/policies/defaultAppManagementPolicy")
    return entity(ctx, "policies/defaultAppManagementPolicy", data.defaultPolicy);
  // The signed-in tenant (https://learn.microsoft.com/graph/api/organization-list: a collection of one organization whose
  // id is the tenant id); added for preflight's tenant check.
  if (method === "GET" && path === "/organization")
    return collection(ctx, "organization", [{ id: data.tenantId, displayName: "Contoso" }], ["id"]);
  if (method === "GET" && path === "/policies/authorizationPolicy")
    return entity(ctx, "policies/authorizationPolicy", AUTHORIZATION_POLICY);
  // https://learn.microsoft.com/graph/api/appmanagementpolicy-list and -get; appliesTo via .../appliesTo
  const policy = /^\/policies\/appManagementPolicies(?:\/([^/]+)(\/appliesTo)?)?$/.exec(path);
  if (method === "GET" && policy) {
    const strip = ({ appliesTo: _a, ...p }: (typeof data.appPolicies)[number]) => p;
    if (!policy[1])
      return collection(ctx, "policies/appManagementPolicies", data.appPolicies.map(strip) as Row[], [
        "id",
        "displayName",
        "isEnabled",
      ]);
    const p = data.appPolicies.find((x) => x.id === policy[1]);
    if (!p) throw notFound(policy[1]);
    if (!policy[2]) return entity(ctx, "policies/appManagementPolicies", strip(p));
    const rows = data.applications
      .filter((a) => p.appliesTo.has(a.id))
      .map((a) => ({ "@odata.type": "#microsoft.graph.application", ...a }));
    return collection(ctx, "directoryObjects", rows as unknown as Row[], ["id"]);
  }
  // https://learn.microsoft.com/graph/api/directoryrole-list (activated roles only)
  if (method === "GET" && path === "/directoryRoles") {
    return collection(ctx, "directoryRoles", data.directoryRoles.map(({ members: _m, ...r }) => r) as Row[], [
      "roleTemplateId",
      "displayName",
      "id",
    ]);
  }
  const roleMembers = /^\/directoryRoles\/([^/]+)\/members$/.exec(path);
  if (method === "GET" && roleMembers) {
    const role = data.directoryRoles.find(
      (r) => r.id === roleMembers[1] || `roleTemplateId=${r.roleTemplateId}` === roleMembers[1],
    );
    if (!role) throw notFound(roleMembers[1]);
    const users = data.users
      .filter((u) => role.members.has(u.id))
      .map((u) => ({ "@odata.type": "#microsoft.graph.user", ...u }));
    return collection(ctx, "directoryObjects", users as Row[], ["id"]);
  }
  const meOrObject =
    /^\/(me|users\/[^/]+|servicePrincipals\/[^/]+|directoryObjects\/[^/]+)(\/memberOf|\/checkMemberObjects)?$/.exec(
      path,
    );
  if (meOrObject) {
    if (meOrObject[1] === "me" && ctx.caller.kind !== "user") {
      // An app-only token has no signed-in user (UNCONFIRMED wording).
      throw new GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.");
    }
    const id = meOrObject[1] === "me" ? ctx.caller.id : meOrObject[1].split("/")[1];
    requireObject(ctx, id);
    if (!meOrObject[2] && method === "GET") {
      const user = data.users.find((u) => u.id === id);
      if (!user) throw notFound(id);
      return entity(ctx, "users", user);
    }
    if (meOrObject[2] === "/memberOf" && method === "GET") return memberOf(ctx, id);
    if (meOrObject[2] === "/checkMemberObjects" && method === "POST") return checkMemberObjects(ctx, id);
  }
  return undefined;
}
