import type * as pulumi from "@pulumi/pulumi";
import type * as azuread from "@pulumi/azuread";
import type { AccessDepth, Operation } from "./dataverse/securityRolePlan";
import type { MergedField } from "./sync/profileMerge";

/** The vendor profiles: each fills the defaults from the vendor's setup page. */
export type ProfileKey = "daktela" | "bright-pattern" | "syncari" | "cdata" | "raynet" | "custom";

export type { MergedField } from "./sync/profileMerge";

/** What the integration does with one table. */
export interface TableAccessArgs {
  /** Operations on the table: `read`, `create`, `write`, `delete`, `append`, `appendTo`, `assign`, `share`. */
  operations: Operation[];
  /** How far it reaches: `user` (own rows), `businessUnit`, `parentChild` (the unit and its children), `organization`. */
  depth: AccessDepth;
}

/** The integration's Dataverse side. Omit it for an integration that does not touch Dataverse. */
export interface SyncIntegrationDataverseArgs {
  /**
   * Root URL of the Dataverse environment, e.g. `https://contoso.crm4.dynamics.com` (no path). Accepts an Output, e.g.
   * from a StackReference; it is validated when its value is known (the deployment fails naming this field).
   */
  environmentUrl: pulumi.Input<string>;
  /** Create (or adopt) the app's Dataverse application user. Default `true`. */
  applicationUser?: boolean;
  /** Business unit (GUID) of the application user; default the environment's root business unit. Accepts an Output. */
  businessUnitId?: pulumi.Input<string>;
  /** Security roles of the application user, each a role name (`Basic User`) or a role template id. Added to the profile's. */
  securityRoles?: string[];
  /**
   * What the integration does with which tables, by table logical name: a least-privilege security role is generated
   * with exactly those privileges and assigned. Tables and operations add to the profile's; your depth wins.
   */
  access?: Record<string, TableAccessArgs>;
  /** Tables (logical names) whose change tracking must be on. Added to the profile's. */
  changeTracking?: string[];
  /**
   * Host suffixes the environment URL may have; default `[".dynamics.com"]`. Sovereign clouds add theirs, e.g.
   * `.crm.microsoftdynamics.us` (GCC High).
   */
  hostSuffixes?: string[];
}

/** Client secret lifetime, rotation and hand-over (see the README's "Secret rotation"). */
export interface SyncIntegrationSecretArgs {
  /** Lifetime of each client secret in months (1-24); default 24 or the profile's. */
  lifetimeMonths?: number;
  /** Days after the held secret's creation when the next one is created for hand-over; default half the lifetime. */
  rotateEveryDays?: number;
  /** On-demand rotations asked for so far; raise it by one to rotate now. Default 0. */
  generation?: number;
  /** Warn when the secret the vendor holds ends within this many days. Default 30. */
  expiryWarningDays?: number;
  /** Which secret the vendor holds (the `crm-sync record-handover` command writes it in stack files). */
  handedOver?: { rotation: number; createdAt: string; generation?: number };
}

/** An existing Azure Key Vault that also receives the client secret and the settings bundle. */
export interface SyncIntegrationKeyVaultArgs {
  /** Subscription id (GUID) of the vault; an azure-native provider is bound to it and to `tenantId`. Accepts an Output. */
  subscriptionId: pulumi.Input<string>;
  /** Resource group of the vault. Accepts an Output. */
  resourceGroupName: pulumi.Input<string>;
  /** Name of the vault (3-24 letters, digits, dashes). Accepts an Output. */
  vaultName: pulumi.Input<string>;
  /** `false`: `outputs` carry Key Vault secret URIs instead of the secret values. Default `true`. */
  secretsInOutputs?: boolean;
}

/**
 * One CRM-sync integration, as a platform team declares it in its own Pulumi program. Validated by the same schema
 * as the YAML stack files: a bad value throws at construction with an error naming the field; a value passed as an
 * Output is checked when it is known, and a bad one fails the deployment naming the field.
 */
export interface SyncIntegrationArgs {
  /** Directory (tenant) id of the Entra tenant. The component's azuread provider is bound to it and checked against it. */
  tenantId: pulumi.Input<string>;
  /** Vendor profile that fills the defaults from the vendor's setup page. */
  profile: ProfileKey;
  /** The values only you know for the profile (e.g. Bright Pattern's `tenant`); validated by the profile. */
  vendor?: Record<string, unknown>;
  /** Display name of the Entra app registration; default `CRM sync <name> (<stack>)`. */
  displayName?: string;
  /** `AzureADMyOrg` (single tenant, the default) or `AzureADMultipleOrgs`. */
  signInAudience?: "AzureADMyOrg" | "AzureADMultipleOrgs";
  /** API permissions by name, e.g. `Microsoft Graph: User.Read.All (application)`. Added to the profile's. */
  permissions?: string[];
  /** Redirect URIs per platform; each list adds to the profile's. */
  redirectUris?: { web?: string[]; publicClient?: string[]; spa?: string[] };
  /** Lists of the profile your lists replace instead of adding to, e.g. `["permissions"]`. */
  replaceProfileDefaults?: MergedField[];
  /** Client secret lifetime, rotation and hand-over. */
  secret?: SyncIntegrationSecretArgs;
  /** Grant tenant-wide admin consent as code; `false` where a separate admin grants it. Default `true`. */
  grantAdminConsent?: boolean;
  /** The Dataverse side: application user, roles, generated least-privilege role, change tracking. */
  dataverse?: SyncIntegrationDataverseArgs;
  /** Also deliver the client secret and settings to this Key Vault. */
  keyVault?: SyncIntegrationKeyVaultArgs;
  /**
   * Your own azuread provider (its credentials are used, and its tenant is still checked against `tenantId`).
   * Default: the component creates one bound to `tenantId`, using the ambient credentials.
   */
  azureadProvider?: azuread.Provider;
  /** Clock that places the run in the secret rotation schedule; tests pass a fixed one. Default: the current time. */
  now?: () => Date;
}
