/**
 * First-party resource service principals every tenant holds, with the permissions this package grants.
 *
 * appIds: Microsoft Graph 00000003-0000-0000-c000-000000000000 and Dynamics CRM / Dataverse
 * 00000007-0000-0000-c000-000000000000 ("Commonly used Microsoft first-party services", MicrosoftDocs/power-platform
 * power-platform/admin/apps-to-allow.md, https://learn.microsoft.com/power-platform/admin/apps-to-allow). In some
 * tenants the Dataverse principal is named "Common Data Service" (MicrosoftDocs/powerapps-docs issue #3101).
 * Permission ids and values: Microsoft's generated table
 * https://learn.microsoft.com/graph/permissions-reference (source: microsoftgraph/microsoft-graph-docs-contrib
 * concepts/includes/permissions-ids.md). Shapes of appRole and permissionScope:
 * https://learn.microsoft.com/graph/api/resources/approle and https://learn.microsoft.com/graph/api/resources/permissionscope
 */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
export const DYNAMICS_CRM_APP_ID = "00000007-0000-0000-c000-000000000000";

export interface AppRole {
  id: string;
  value: string;
  displayName: string;
  description: string;
  allowedMemberTypes: string[];
  isEnabled: boolean;
  origin: string;
}
export interface PermissionScope {
  id: string;
  value: string;
  type: "User" | "Admin";
  isEnabled: boolean;
  adminConsentDisplayName: string;
  adminConsentDescription: string;
  userConsentDisplayName: string | null;
  userConsentDescription: string | null;
}

const role = (id: string, value: string): AppRole => ({
  id,
  value,
  displayName: value,
  description: value,
  allowedMemberTypes: ["Application"],
  isEnabled: true,
  origin: "Application",
});
const scope = (id: string, value: string, type: "User" | "Admin" = "User"): PermissionScope => ({
  id,
  value,
  type,
  isEnabled: true,
  adminConsentDisplayName: value,
  adminConsentDescription: value,
  userConsentDisplayName: type === "User" ? value : null,
  userConsentDescription: type === "User" ? value : null,
});

/** Graph application permissions (app roles) by the ids of the generated permissions table. */
export const GRAPH_APP_ROLES: AppRole[] = [
  role("df021288-bdef-4463-88db-98f22de89214", "User.Read.All"),
  role("ef54d2bf-783f-4e0f-bca1-3210c0444d99", "Calendars.ReadWrite"),
  role("6918b873-d17a-4dc1-b314-35f528134491", "Contacts.ReadWrite"),
  role("44e666d1-d276-445b-a5fc-8815eeb81d55", "Tasks.ReadWrite.All"),
  role("1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "Application.ReadWrite.All"),
  role("9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", "Application.Read.All"),
  role("06b708a9-e830-4db3-a914-8e69da51d44f", "AppRoleAssignment.ReadWrite.All"),
  role("8e8e4742-1d95-4f68-9d56-6ee75648c72a", "DelegatedPermissionGrant.ReadWrite.All"),
  role("19dbc75e-c2e2-444c-a770-ec69d8559fc7", "Directory.ReadWrite.All"),
];

/** Graph delegated permissions (oauth2PermissionScopes), same table. */
export const GRAPH_SCOPES: PermissionScope[] = [
  scope("e1fe6dd8-ba31-4d61-89e7-88639da4683d", "User.Read"),
  scope("7427e0e9-2fba-42fe-b0c0-848c9e6a8182", "offline_access"),
  scope("37f7f235-527c-4136-accd-4a02d197296e", "openid"),
  scope("14dad69e-099b-42c9-810b-d002981feec1", "profile"),
  scope("64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", "email"),
  scope("a154be20-db9c-4678-8ab7-66f6cc099a59", "User.Read.All"),
  scope("1ec239c2-d7c9-4623-a91a-a9775856bb36", "Calendars.ReadWrite"),
  scope("d56682ec-c09e-4743-aaf4-1a3aac4caa21", "Contacts.ReadWrite"),
  scope("2219042f-cab5-40cc-b0d2-16b1540b4c5f", "Tasks.ReadWrite"),
];

/**
 * Dynamics CRM's delegated user_impersonation scope. UNCONFIRMED: the id 78ce3f0f-... appears in many public
 * az CLI / Terraform samples but in no Microsoft page found; clients should resolve it by value from this service
 * principal (as the emulator lets them), never hard-code it. Dynamics CRM publishes no app roles in those samples
 * (UNCONFIRMED: empty here).
 */
export const DYNAMICS_SCOPES: PermissionScope[] = [scope("78ce3f0f-a1ce-49c2-8cde-64b5c0896db4", "user_impersonation")];

/** Built-in directory role templates (https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference). */
export const DIRECTORY_ROLE_TEMPLATES: Record<string, string> = {
  "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
  "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
  "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
  "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
};
