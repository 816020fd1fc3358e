import { MICROSOFT_GRAPH, RESOURCE_APIS } from "../../components/entra/permissionCatalog";
import type { EntraObservation, ResourcePrincipal } from "./entraProbe";
import type { PreflightNeeds } from "./needs";
import { judgePassword } from "./passwordLifetime";
import { fail, ok, unknown, warn, type CheckResult } from "./types";

const AREA = "entra";

/** What the plan asks of the deployer in the tenant. */
function capabilities(needs: PreflightNeeds) {
  const consenting = needs.entra.filter((i) => i.grantAdminConsent);
  const appRoles = consenting.flatMap((i) => i.permissions.filter((p) => p.kind === "application"));
  return {
    graphAppRoles: appRoles.some((p) => p.api.appId === MICROSOFT_GRAPH.appId),
    otherAppRoles: appRoles.some((p) => p.api.appId !== MICROSOFT_GRAPH.appId),
    delegated: consenting.some((i) => i.permissions.some((p) => p.kind === "delegated")),
  };
}

/**
 * Rights per capability. Service principal (application permissions): Application.ReadWrite.All creates apps and
 * secrets; app role assignments need AppRoleAssignment.ReadWrite.All plus a read of the resource principal, or
 * Directory.ReadWrite.All; delegated grants DelegatedPermissionGrant.ReadWrite.All or Directory.ReadWrite.All
 * (https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto , .../oauth2permissiongrant-post;
 * azuread's app_role_assignment docs). A person: Application or Cloud Application Administrator create apps and
 * consent anything except Microsoft Graph app roles, which need Privileged Role Administrator (or Global Administrator)
 * (https://learn.microsoft.com/entra/identity/enterprise-apps/grant-admin-consent).
 */
function deployerChecks(needs: PreflightNeeds, obs: EntraObservation): CheckResult[] {
  const check = "deployer rights";
  const want = capabilities(needs);
  const d = obs.deployer;
  if (d.kind === "unknown")
    return [
      unknown(
        AREA,
        check,
        `who is deploying could not be read: ${d.error}`,
        "preflight needs User.Read (a person) or a token with its roles claim (a service principal)",
      ),
    ];
  const problems: string[] = [];
  if (d.kind === "user") {
    const has = (...roles: string[]) => roles.some((r) => d.directoryRoles.includes(r));
    const appAdmin = has("Global Administrator", "Application Administrator", "Cloud Application Administrator");
    if (!appAdmin && d.allowedToCreateApps !== true)
      problems.push(
        "create app registrations and client secrets: needs Application Administrator or Cloud Application Administrator (users may not create apps in this tenant)",
      );
    if (want.graphAppRoles && !has("Global Administrator", "Privileged Role Administrator"))
      problems.push(
        "grant Microsoft Graph application permissions (admin consent): needs Privileged Role Administrator or Global Administrator",
      );
    if (
      (want.otherAppRoles || want.delegated) &&
      !has(
        "Global Administrator",
        "Privileged Role Administrator",
        "Application Administrator",
        "Cloud Application Administrator",
      )
    ) {
      problems.push(
        "grant admin consent: needs Cloud Application Administrator, Application Administrator or Privileged Role Administrator",
      );
    }
    const roles = d.directoryRoles.length ? d.directoryRoles.join(", ") : "no directory role";
    if (problems.length === 0)
      return [ok(AREA, check, `a person with ${roles}: may create the apps, secrets and consent this stack plans`)];
    return problems.map((p) =>
      fail(
        AREA,
        check,
        `the signed-in person (${roles}) cannot ${p}`,
        "have an admin assign the role (Entra admin center > Roles and administrators), deploy as an identity that holds it, or set grantAdminConsent: false and have an admin consent",
      ),
    );
  }
  const graphSp = obs.resources.get(MICROSOFT_GRAPH.appId);
  const fromAssignments =
    d.permissions && graphSp && typeof graphSp === "object"
      ? d.permissions
          .filter((p) => p.startsWith(`${graphSp.id}:`))
          .map((p) => graphSp.appRoles.find((r) => r.id === p.split(":")[1])?.value)
          .filter((v): v is string => !!v)
      : undefined;
  const held = new Set(fromAssignments ?? d.tokenRoles);
  const has = (...perms: string[]) => perms.some((p) => held.has(p));
  if (!has("Application.ReadWrite.All", "Directory.ReadWrite.All"))
    problems.push("create app registrations and client secrets: needs Application.ReadWrite.All");
  if (
    (want.graphAppRoles || want.otherAppRoles) &&
    !(
      has("Directory.ReadWrite.All", "Application.ReadWrite.All") ||
      (has("AppRoleAssignment.ReadWrite.All") && has("Application.Read.All", "Directory.Read.All"))
    )
  ) {
    problems.push(
      "grant application permissions (app role assignments): needs AppRoleAssignment.ReadWrite.All and Application.Read.All",
    );
  } else if (
    (want.graphAppRoles || want.otherAppRoles) &&
    !has("AppRoleAssignment.ReadWrite.All", "Directory.ReadWrite.All")
  ) {
    problems.push("grant application permissions (app role assignments): needs AppRoleAssignment.ReadWrite.All");
  }
  if (want.delegated && !has("DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"))
    problems.push(
      "grant delegated permissions tenant-wide: needs DelegatedPermissionGrant.ReadWrite.All (azuread documents Directory.ReadWrite.All)",
    );
  const source = fromAssignments
    ? "its app role assignments"
    : `its token's roles claim (assignments not readable: ${d.assignmentsError ?? "unknown"})`;
  const out = problems.map((p) =>
    fail(
      AREA,
      check,
      `the deploying service principal ${d.appId} cannot ${p} (read from ${source})`,
      "grant the Microsoft Graph application permission to the deploying app and admin-consent it, then sign in again (tokens carry the roles of their sign-in)",
    ),
  );
  if (fromAssignments && d.tokenRoles.length && fromAssignments.some((p) => !d.tokenRoles.includes(p))) {
    out.push(
      warn(
        AREA,
        check,
        "the token's roles claim lacks permissions its app role assignments hold (granted after sign-in)",
        "sign in again before `pulumi up`, or it runs with the older permissions",
      ),
    );
  }
  if (problems.length === 0)
    out.unshift(ok(AREA, check, `service principal ${d.appId} holds ${[...held].sort().join(", ")} (from ${source})`));
  return out;
}

function resourceChecks(needs: PreflightNeeds, obs: EntraObservation): CheckResult[] {
  return RESOURCE_APIS.map((api) => {
    const check = `${api.name} service principal`;
    const used = needs.entra.flatMap((i) => i.permissions.filter((p) => p.api.appId === api.appId));
    const sp = obs.resources.get(api.appId);
    if (typeof sp === "string")
      return unknown(AREA, check, `could not be read: ${sp}`, "preflight needs Application.Read.All");
    if (!sp) {
      if (used.length === 0)
        return warn(
          AREA,
          check,
          `${api.appId} is not in the tenant (this stack asks for none of its permissions)`,
          `az ad sp create --id ${api.appId}`,
        );
      return fail(
        AREA,
        check,
        `${api.appId} is not in the tenant: the lookup of its permissions fails before consent`,
        `create it: az ad sp create --id ${api.appId} (or New-MgServicePrincipal -AppId ${api.appId})`,
      );
    }
    const wrong = used.flatMap((p) => {
      const published = (
        p.kind === "application" ? (sp as ResourcePrincipal).appRoles : (sp as ResourcePrincipal).oauth2PermissionScopes
      )?.find((x) => x.value === p.value);
      if (!published) return [`${p.value} (${p.kind}) is not published`];
      return published.id.toLowerCase() === p.id
        ? []
        : [`${p.value} (${p.kind}) has id ${published.id}, the catalog says ${p.id}`];
    });
    if (wrong.length)
      return fail(
        AREA,
        check,
        `"${sp.displayName}": ${wrong.join("; ")}`,
        "fix components/entra/permissionCatalog.ts, or remove the permission",
      );
    return ok(
      AREA,
      check,
      `"${sp.displayName}" exists${used.length ? ` and publishes the ${used.length} permission(s) this stack asks for` : ""}`,
    );
  });
}

function passwordChecks(needs: PreflightNeeds, obs: EntraObservation, now: Date): CheckResult[] {
  const policy = obs.defaultPolicy;
  return needs.entra.map((i) => {
    const check = `client secret of ${i.name}`;
    if (typeof policy === "string")
      return unknown(
        AREA,
        check,
        `the tenant's default app management policy could not be read: ${policy}`,
        "preflight needs Policy.Read.All (GET /policies/defaultAppManagementPolicy)",
      );
    const v = judgePassword(policy, i.lifetimeMonths, now);
    if (v.kind === "allowed")
      return ok(
        AREA,
        check,
        `${i.lifetimeMonths}-month secrets are allowed${v.cap ? ` (cap ${v.cap})` : " (no password lifetime cap)"}`,
      );
    if (v.kind === "blocked") {
      return fail(
        AREA,
        check,
        `the tenant's policy ${v.policyId} blocks password credentials: the first \`pulumi up\` fails adding ${i.name}'s secret with 400 CredentialTypeNotAllowedAsPerAppPolicy`,
        "ask for an exemption (a custom appManagementPolicy for the app), or use a vendor that accepts certificates",
      );
    }
    const fits = v.longestMonths
      ? `the longest lifetime that fits is ${v.longestMonths} month(s): set secret.lifetimeMonths: ${v.longestMonths} for ${i.name}`
      : "no whole-month lifetime fits: ask for an exemption (a custom appManagementPolicy for the app)";
    return fail(
      AREA,
      check,
      `${i.name}'s secrets live ${i.lifetimeMonths} months (${v.wantedDays} days), over the tenant's cap of ${v.cap} (${v.capDays} days, policy ${v.policyId}): the first \`pulumi up\` fails adding the secret with 400 CredentialInvalidLifetimeAsPerAppPolicy`,
      fits,
    );
  });
}

function nameChecks(needs: PreflightNeeds, obs: EntraObservation): CheckResult[] {
  return needs.entra.map((i) => {
    const check = `display name of ${i.name}`;
    const same = obs.sameName.get(i.displayName);
    if (typeof same === "string" || same === undefined)
      return unknown(
        AREA,
        check,
        `apps named "${i.displayName}" could not be listed: ${same ?? "not read"}`,
        "preflight needs Application.Read.All",
      );
    if (same.length === 0) return ok(AREA, check, `no app is named "${i.displayName}" yet`);
    return warn(
      AREA,
      check,
      `${same.length} app(s) already named "${i.displayName}" (${same.map((a) => a.appId).join(", ")}): \`pulumi up\` creates another one beside it`,
      `adopt the existing app instead of creating a second, or set a distinct displayName for ${i.name}`,
    );
  });
}

/** The Entra checks, from what was read. */
export function entraChecks(needs: PreflightNeeds, obs: EntraObservation, now: Date): CheckResult[] {
  const tenant =
    "error" in obs.tenant
      ? unknown(
          AREA,
          "signed-in tenant",
          `could not be read: ${obs.tenant.error}`,
          "sign in (az login --tenant <crm-sync:tenantId>)",
        )
      : obs.tenant.id.toLowerCase() === needs.tenantId
        ? ok(AREA, "signed-in tenant", `signed in to ${needs.tenantId} (crm-sync:tenantId)`)
        : fail(
            AREA,
            "signed-in tenant",
            `signed in to ${obs.tenant.id}, but crm-sync:tenantId is ${needs.tenantId}: \`pulumi up\` stops at the tenant check`,
            `sign in to the stack's tenant: az login --tenant ${needs.tenantId} (in CI: ARM_TENANT_ID / AZURE_TENANT_ID)`,
          );
  return [
    tenant,
    ...deployerChecks(needs, obs),
    ...resourceChecks(needs, obs),
    ...passwordChecks(needs, obs, now),
    ...nameChecks(needs, obs),
  ];
}
