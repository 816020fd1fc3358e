import { randomBytes, randomUUID } from "node:crypto";
import {
  directoryRole,
  newApplication,
  newServicePrincipal,
  principalByAppId,
  type Application,
  type AppManagementPolicy,
  type CredentialRestriction,
  type GraphData,
  type RequiredResourceAccess,
  type ServicePrincipal,
} from "./store";

/**
 * Seeding API: lays down what an administrator made by hand in the portal (app registration, its service principal,
 * a secret, admin consent), without going through HTTP, so a test or a sandbox starts from a brownfield tenant.
 */

export interface HandMadePassword {
  displayName?: string;
  startDateTime: string;
  endDateTime: string;
  keyId?: string;
  hint?: string;
}
export interface HandMadeApp {
  displayName: string;
  appId?: string;
  createdDateTime?: string;
  /** Application permissions by resource appId and app-role value, e.g. { "00000003-...": ["User.Read.All"] }. */
  applicationPermissions?: Record<string, string[]>;
  /** Delegated permissions by resource appId and scope value. */
  delegatedPermissions?: Record<string, string[]>;
  /** Grant admin consent for what is declared (the portal's "Grant admin consent" button). Default true. */
  consented?: boolean;
  passwords?: HandMadePassword[];
  web?: string[];
  spa?: string[];
  publicClient?: string[];
}
export interface SeededApp {
  application: Application;
  servicePrincipal: ServicePrincipal;
}

function resolvePermissions(data: GraphData, app: HandMadeApp): RequiredResourceAccess[] {
  const resources = new Set([
    ...Object.keys(app.applicationPermissions ?? {}),
    ...Object.keys(app.delegatedPermissions ?? {}),
  ]);
  return [...resources].map((resourceAppId) => {
    const sp = principalByAppId(data, resourceAppId);
    if (!sp) throw new Error(`no service principal for resource app ${resourceAppId}`);
    const roles = (app.applicationPermissions?.[resourceAppId] ?? []).map((value) => {
      const r = sp.appRoles.find((x) => x.value === value);
      if (!r) throw new Error(`${sp.displayName} has no app role "${value}"`);
      return { id: r.id, type: "Role" as const };
    });
    const scopes = (app.delegatedPermissions?.[resourceAppId] ?? []).map((value) => {
      const s = sp.oauth2PermissionScopes.find((x) => x.value === value);
      if (!s) throw new Error(`${sp.displayName} has no delegated scope "${value}"`);
      return { id: s.id, type: "Scope" as const };
    });
    return { resourceAppId, resourceAccess: [...roles, ...scopes] };
  });
}

/** An app registration with its service principal, declared permissions, consent, redirect URIs and secrets. */
export function seedApplication(data: GraphData, spec: HandMadeApp): SeededApp {
  const application = newApplication(spec.displayName, {
    ...(spec.appId ? { appId: spec.appId } : {}),
    ...(spec.createdDateTime ? { createdDateTime: spec.createdDateTime } : {}),
    requiredResourceAccess: resolvePermissions(data, spec),
  });
  application.web.redirectUris = [...(spec.web ?? [])];
  application.spa.redirectUris = [...(spec.spa ?? [])];
  application.publicClient.redirectUris = [...(spec.publicClient ?? [])];
  for (const p of spec.passwords ?? []) {
    application.passwordCredentials.push({
      customKeyIdentifier: null,
      displayName: p.displayName ?? null,
      startDateTime: p.startDateTime,
      endDateTime: p.endDateTime,
      keyId: p.keyId ?? randomUUID(),
      hint: p.hint ?? "Xy1",
      secretText: null,
    });
  }
  data.applications.push(application);
  const servicePrincipal = newServicePrincipal(data, application);
  data.servicePrincipals.push(servicePrincipal);
  if (spec.consented ?? true) {
    for (const [resourceAppId, values] of Object.entries(spec.applicationPermissions ?? {}))
      grantAppRoles(data, servicePrincipal, resourceAppId, values);
    for (const [resourceAppId, values] of Object.entries(spec.delegatedPermissions ?? {}))
      grantDelegated(data, servicePrincipal, resourceAppId, values);
  }
  return { application, servicePrincipal };
}

/** Admin consent for application permissions: one appRoleAssignment per role on the resource principal. */
export function grantAppRoles(
  data: GraphData,
  client: ServicePrincipal,
  resourceAppId: string,
  values: string[],
): void {
  const resource = principalByAppId(data, resourceAppId)!;
  for (const value of values) {
    const role = resource.appRoles.find((r) => r.value === value);
    if (!role) throw new Error(`${resource.displayName} has no app role "${value}"`);
    data.appRoleAssignments.push({
      // Assignment ids are 43-character base64url strings, e.g. "41W1zT6z1U-kJxf62svfp1HFE8pMZhxDun-ThPczmJE"
      // (https://learn.microsoft.com/graph/api/serviceprincipal-list-approleassignedto example response).
      id: randomBytes(32).toString("base64url"),
      deletedDateTime: null,
      appRoleId: role.id,
      createdDateTime: new Date().toISOString(),
      principalDisplayName: client.displayName,
      principalId: client.id,
      principalType: "ServicePrincipal",
      resourceDisplayName: resource.displayName,
      resourceId: resource.id,
    });
  }
}

/** Admin consent for delegated permissions: one AllPrincipals grant per resource, scope space-separated. */
export function grantDelegated(
  data: GraphData,
  client: ServicePrincipal,
  resourceAppId: string,
  values: string[],
): void {
  const resource = principalByAppId(data, resourceAppId)!;
  data.grants.push({
    id: randomUUID().replace(/-/g, ""),
    clientId: client.id,
    consentType: "AllPrincipals",
    principalId: null,
    resourceId: resource.id,
    scope: values.join(" "),
  });
}

/** Turns on the tenant default policy with a password lifetime cap (ISO 8601 duration, e.g. "P180D"). */
export function capPasswordLifetime(
  data: GraphData,
  maxLifetime: string,
  restrictForAppsCreatedAfterDateTime = "2015-01-01T00:00:00Z",
): void {
  data.defaultPolicy.isEnabled = true;
  const restriction: CredentialRestriction = {
    restrictionType: "passwordLifetime",
    state: "enabled",
    maxLifetime,
    restrictForAppsCreatedAfterDateTime,
  };
  const list = data.defaultPolicy.applicationRestrictions.passwordCredentials.filter(
    (r) => r.restrictionType !== "passwordLifetime",
  );
  data.defaultPolicy.applicationRestrictions.passwordCredentials = [...list, restriction];
}

/** A custom appManagementPolicy assigned to the given applications (object ids). */
export function addAppPolicy(
  data: GraphData,
  restrictions: CredentialRestriction[],
  appliesTo: string[],
  displayName = "Custom app management policy",
): AppManagementPolicy {
  const policy: AppManagementPolicy = {
    id: randomUUID(),
    displayName,
    description: displayName,
    isEnabled: true,
    restrictions: { passwordCredentials: restrictions, keyCredentials: [] },
    appliesTo: new Set(appliesTo),
  };
  data.appPolicies.push(policy);
  return policy;
}

/** A user (the deployer, say) and the directory roles it holds. */
export function addUser(data: GraphData, userPrincipalName: string, roles: string[] = []): string {
  const id = randomUUID();
  data.users.push({ id, displayName: userPrincipalName.split("@")[0], userPrincipalName });
  for (const name of roles) directoryRole(data, name).members.add(id);
  return id;
}
