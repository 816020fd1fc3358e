import { randomUUID } from "node:crypto";
import {
  DIRECTORY_ROLE_TEMPLATES,
  DYNAMICS_CRM_APP_ID,
  DYNAMICS_SCOPES,
  GRAPH_APP_ROLES,
  GRAPH_SCOPES,
  MICROSOFT_GRAPH_APP_ID,
  type AppRole,
  type PermissionScope,
} from "./wellKnown";

/**
 * The directory the Graph emulator holds. Property names and shapes follow Microsoft Graph v1.0's resource pages
 * (each type cites its page); values the service generates (ids, timestamps) are generated here.
 */

/** https://learn.microsoft.com/graph/api/resources/passwordcredential : secretText only ever in the addPassword answer. */
export interface PasswordCredential {
  customKeyIdentifier: null;
  displayName: string | null;
  endDateTime: string;
  hint: string;
  keyId: string;
  secretText: null;
  startDateTime: string;
}
/** https://learn.microsoft.com/graph/api/resources/requiredresourceaccess and resourceaccess */
export interface RequiredResourceAccess {
  resourceAppId: string;
  resourceAccess: { id: string; type: "Role" | "Scope" }[];
}
/** https://learn.microsoft.com/graph/api/resources/application (web, spa, publicClient: webapplication, spaapplication, publicclientapplication) */
export interface Application {
  id: string;
  appId: string;
  displayName: string;
  createdDateTime: string;
  deletedDateTime: null;
  signInAudience: string;
  identifierUris: string[];
  tags: string[];
  notes: string | null;
  requiredResourceAccess: RequiredResourceAccess[];
  passwordCredentials: PasswordCredential[];
  keyCredentials: unknown[];
  web: {
    redirectUris: string[];
    homePageUrl: string | null;
    logoutUrl: string | null;
    implicitGrantSettings: { enableAccessTokenIssuance: boolean; enableIdTokenIssuance: boolean };
  };
  spa: { redirectUris: string[] };
  publicClient: { redirectUris: string[] };
}
/** https://learn.microsoft.com/graph/api/resources/serviceprincipal */
export interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  appDisplayName: string;
  appOwnerOrganizationId: string;
  createdDateTime: string;
  deletedDateTime: null;
  accountEnabled: boolean;
  appRoleAssignmentRequired: boolean;
  servicePrincipalType: string;
  servicePrincipalNames: string[];
  tags: string[];
  appRoles: AppRole[];
  oauth2PermissionScopes: PermissionScope[];
  passwordCredentials: PasswordCredential[];
  keyCredentials: unknown[];
}
/** https://learn.microsoft.com/graph/api/resources/approleassignment */
export interface AppRoleAssignment {
  id: string;
  deletedDateTime: null;
  appRoleId: string;
  createdDateTime: string;
  principalDisplayName: string;
  principalId: string;
  principalType: "ServicePrincipal" | "User" | "Group";
  resourceDisplayName: string;
  resourceId: string;
}
/** https://learn.microsoft.com/graph/api/resources/oauth2permissiongrant (scope: space-separated claim values) */
export interface OAuth2PermissionGrant {
  id: string;
  clientId: string;
  consentType: "AllPrincipals" | "Principal";
  principalId: string | null;
  resourceId: string;
  scope: string;
}
/** https://learn.microsoft.com/graph/api/resources/passwordcredentialconfiguration */
export interface CredentialRestriction {
  restrictionType: string;
  state?: "enabled" | "disabled";
  maxLifetime: string | null;
  restrictForAppsCreatedAfterDateTime: string | null;
}
export interface Restrictions {
  passwordCredentials: CredentialRestriction[];
  keyCredentials: CredentialRestriction[];
}
/** https://learn.microsoft.com/graph/api/resources/tenantappmanagementpolicy */
export interface TenantAppManagementPolicy {
  id: string;
  displayName: string;
  description: string;
  isEnabled: boolean;
  applicationRestrictions: Restrictions;
  servicePrincipalRestrictions: Restrictions;
}
/** https://learn.microsoft.com/graph/api/resources/appmanagementpolicy ; appliesTo is a navigation, kept apart. */
export interface AppManagementPolicy {
  id: string;
  displayName: string;
  description: string;
  isEnabled: boolean;
  restrictions: Restrictions;
  appliesTo: Set<string>;
}
/** https://learn.microsoft.com/graph/api/resources/directoryrole */
export interface DirectoryRole {
  id: string;
  deletedDateTime: null;
  description: string;
  displayName: string;
  roleTemplateId: string;
  members: Set<string>;
}
/** https://learn.microsoft.com/graph/api/resources/user (the properties returned by default that the emulator needs) */
export interface User {
  id: string;
  displayName: string;
  userPrincipalName: string;
}

export interface GraphData {
  tenantId: string;
  applications: Application[];
  servicePrincipals: ServicePrincipal[];
  appRoleAssignments: AppRoleAssignment[];
  grants: OAuth2PermissionGrant[];
  defaultPolicy: TenantAppManagementPolicy;
  appPolicies: AppManagementPolicy[];
  directoryRoles: DirectoryRole[];
  users: User[];
}

const now = () => new Date().toISOString();
const emptyRestrictions = (): Restrictions => ({ passwordCredentials: [], keyCredentials: [] });

function resourcePrincipal(
  appId: string,
  name: string,
  appRoles: AppRole[],
  scopes: PermissionScope[],
): ServicePrincipal {
  return {
    id: randomUUID(),
    appId,
    displayName: name,
    appDisplayName: name,
    // First-party apps are owned by Microsoft's own tenant (f8cdef31-a31e-4b4a-93e4-5f571e91255a); UNCONFIRMED for these two.
    appOwnerOrganizationId: "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
    createdDateTime: now(),
    deletedDateTime: null,
    accountEnabled: true,
    appRoleAssignmentRequired: false,
    servicePrincipalType: "Application",
    servicePrincipalNames: [appId],
    tags: [],
    appRoles: structuredClone(appRoles),
    oauth2PermissionScopes: structuredClone(scopes),
    passwordCredentials: [],
    keyCredentials: [],
  };
}

export interface GraphSeedOptions {
  tenantId?: string;
  dynamicsDisplayName?: string;
}

/** A fresh tenant: the two first-party resource principals, the default policy (disabled, as documented), no apps. */
export function createGraphData(options: GraphSeedOptions = {}): GraphData {
  const tenantId = options.tenantId ?? randomUUID();
  return {
    tenantId,
    applications: [],
    servicePrincipals: [
      resourcePrincipal(MICROSOFT_GRAPH_APP_ID, "Microsoft Graph", GRAPH_APP_ROLES, GRAPH_SCOPES),
      resourcePrincipal(DYNAMICS_CRM_APP_ID, options.dynamicsDisplayName ?? "Dynamics CRM", [], DYNAMICS_SCOPES),
    ],
    appRoleAssignments: [],
    grants: [],
    // https://learn.microsoft.com/graph/api/tenantappmanagementpolicy-get (example response: id all zeros, isEnabled false)
    defaultPolicy: {
      id: "00000000-0000-0000-0000-000000000000",
      displayName: "Default app management tenant policy",
      description:
        "Default tenant policy that enforces app management restrictions on applications and service principals. To apply policy to targeted resources, create a new policy under appManagementPolicies collection.",
      isEnabled: false,
      applicationRestrictions: emptyRestrictions(),
      servicePrincipalRestrictions: emptyRestrictions(),
    },
    appPolicies: [],
    directoryRoles: [],
    users: [],
  };
}

export function newApplication(displayName: string, fields: Partial<Application> = {}): Application {
  return {
    id: randomUUID(),
    appId: randomUUID(),
    displayName,
    createdDateTime: now(),
    deletedDateTime: null,
    signInAudience: "AzureADMyOrg",
    identifierUris: [],
    tags: [],
    notes: null,
    requiredResourceAccess: [],
    passwordCredentials: [],
    keyCredentials: [],
    web: {
      redirectUris: [],
      homePageUrl: null,
      logoutUrl: null,
      implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false },
    },
    spa: { redirectUris: [] },
    publicClient: { redirectUris: [] },
    ...fields,
  };
}

export function newServicePrincipal(data: GraphData, app: Application): ServicePrincipal {
  return {
    id: randomUUID(),
    appId: app.appId,
    displayName: app.displayName,
    appDisplayName: app.displayName,
    appOwnerOrganizationId: data.tenantId,
    createdDateTime: now(),
    deletedDateTime: null,
    accountEnabled: true,
    appRoleAssignmentRequired: false,
    servicePrincipalType: "Application",
    servicePrincipalNames: [app.appId],
    tags: [],
    appRoles: [],
    oauth2PermissionScopes: [],
    passwordCredentials: [],
    keyCredentials: [],
  };
}

export const principalByAppId = (data: GraphData, appId: string) =>
  data.servicePrincipals.find((s) => s.appId.toLowerCase() === appId.toLowerCase());

/** Activates a directory role from its template (as the first assignment does) and returns it. */
export function directoryRole(data: GraphData, name: keyof typeof DIRECTORY_ROLE_TEMPLATES | string): DirectoryRole {
  const templateId = DIRECTORY_ROLE_TEMPLATES[name];
  if (!templateId)
    throw new Error(`unknown directory role "${name}"; known: ${Object.keys(DIRECTORY_ROLE_TEMPLATES).join(", ")}`);
  let role = data.directoryRoles.find((r) => r.roleTemplateId === templateId);
  if (!role) {
    role = {
      id: randomUUID(),
      deletedDateTime: null,
      description: name,
      displayName: name,
      roleTemplateId: templateId,
      members: new Set(),
    };
    data.directoryRoles.push(role);
  }
  return role;
}
