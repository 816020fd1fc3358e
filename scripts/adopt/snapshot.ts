/** What `npm run adopt` read about one hand-made integration: metadata only, never a secret value. */
export interface PasswordMetadata {
  keyId: string;
  displayName: string | null;
  startDateTime: string;
  endDateTime: string;
  hint: string | null;
}

export interface EntraSnapshot {
  tenantId: string;
  application: {
    id: string;
    appId: string;
    displayName: string;
    signInAudience: string;
    createdDateTime?: string;
    requiredResourceAccess: { resourceAppId: string; resourceAccess: { id: string; type: string }[] }[];
    web: string[];
    spa: string[];
    publicClient: string[];
    passwords: PasswordMetadata[];
  };
  servicePrincipal: { id: string; appId: string; displayName: string };
  /** Admin consent for application permissions: assignment id, resource principal and app role (with its value). */
  appRoleAssignments: { id: string; resourceId: string; resourceAppId: string; appRoleId: string; value?: string }[];
  /** Delegated grants of the app's principal. */
  grants: { id: string; resourceId: string; resourceAppId: string; consentType: string; scopes: string[] }[];
}

export interface DataverseSnapshot {
  /** The environment's key in the stack file and its URL (as the stack will name it). */
  key: string;
  url: string;
  user?: {
    systemUserId: string;
    isDisabled: boolean;
    businessUnitId: string;
    businessUnitName?: string;
    isRootBusinessUnit: boolean;
    roles: { roleId: string; name: string; templateId: string | null }[];
  };
  /** Tables with change tracking on. */
  trackedTables: string[];
}

export interface AdoptionSnapshot {
  entra: EntraSnapshot;
  dataverse: DataverseSnapshot[];
}

/** The environment an integration entry adopts (an integration has one): the first with the app's user, else the first. */
export function primaryEnvironment(s: AdoptionSnapshot): DataverseSnapshot | undefined {
  return s.dataverse.find((d) => d.user) ?? s.dataverse[0];
}
