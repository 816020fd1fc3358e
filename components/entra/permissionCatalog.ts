/**
 * Well-known resource APIs and the permissions our integrations ask for, keyed by name.
 * Ids come from Microsoft's generated permission table
 * (Microsoft Graph permissions reference: https://learn.microsoft.com/en-us/graph/permissions-reference).
 * At deploy time every id is checked against the tenant's own service principal of the resource.
 */

/** Application permissions are app roles (consent = app role assignment); delegated ones are OAuth2 scopes. */
export type PermissionKind = "application" | "delegated";

export interface ResourceApi {
  /** Name used in stack config, e.g. `Microsoft Graph`. */
  name: string;
  /** Other names accepted in stack config. */
  aliases: string[];
  /** Application (client) id of Microsoft's first-party app that exposes the API. */
  appId: string;
  /** Short slug used in resource names. */
  slug: string;
  application: Record<string, string>;
  delegated: Record<string, string>;
}

export const MICROSOFT_GRAPH: ResourceApi = {
  name: "Microsoft Graph",
  aliases: ["Graph", "MS Graph"],
  appId: "00000003-0000-0000-c000-000000000000",
  slug: "graph",
  application: {
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
    "Calendars.ReadWrite": "ef54d2bf-783f-4e0f-bca1-3210c0444d99",
    "Contacts.ReadWrite": "6918b873-d17a-4dc1-b314-35f528134491",
    "Tasks.ReadWrite.All": "44e666d1-d276-445b-a5fc-8815eeb81d55",
  },
  delegated: {
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
    offline_access: "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
    openid: "37f7f235-527c-4136-accd-4a02d197296e",
    profile: "14dad69e-099b-42c9-810b-d002981feec1",
    email: "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
    "User.Read.All": "a154be20-db9c-4678-8ab7-66f6cc099a59",
    "Calendars.ReadWrite": "1ec239c2-d7c9-4623-a91a-a9775856bb36",
    "Contacts.ReadWrite": "d56682ec-c09e-4743-aaf4-1a3aac4caa21",
    "Tasks.ReadWrite": "2219042f-cab5-40cc-b0d2-16b1540b4c5f",
  },
};

export const DYNAMICS_CRM: ResourceApi = {
  name: "Dynamics CRM",
  aliases: ["Dataverse", "Common Data Service", "Dynamics 365"],
  appId: "00000007-0000-0000-c000-000000000000",
  slug: "dynamics",
  application: {},
  delegated: {
    user_impersonation: "78ce3f0f-a1ce-49c2-8cde-64b5c0896db4",
  },
};

export const RESOURCE_APIS: readonly ResourceApi[] = [MICROSOFT_GRAPH, DYNAMICS_CRM];
