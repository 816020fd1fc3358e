// The library entry (`import ... from "crm-sync-infra"`): classes, functions and types only. Importing it creates
// no resource and reads no config; the YAML stack program is index.ts at the repository root (Pulumi.yaml `main`).
export { SyncIntegration, type SyncIntegrationArgs } from "./syncIntegration";
export type {
  ProfileKey,
  MergedField,
  TableAccessArgs,
  SyncIntegrationDataverseArgs,
  SyncIntegrationSecretArgs,
  SyncIntegrationKeyVaultArgs,
} from "./syncIntegrationArgs";
export { SyncIntegrationArgsError } from "./sync/resolveArgs";
export type { ProfileOrigins } from "./sync/profileMerge";
export { MERGED_FIELDS } from "./sync/profileMerge";
export { defineStack, runStack, type StackOutputs } from "./stack";
export {
  parseStackConfig,
  parseRuntimeConfig,
  ConfigError,
  CONFIG_NAMESPACE,
  type StackConfig,
  type IntegrationConfig,
} from "./config";
export { PROFILES, PROFILE_KEYS } from "./sync/profiles";
export type { VendorProfile, ProfileDefaults } from "./sync/profile";
export { EntraIntegrationApp, type EntraIntegrationAppArgs, type RedirectUriSet } from "./entra/integrationApp";
export { bindTenant, type BoundTenant } from "./entra/tenant";
export { ApplicationUser, type ApplicationUserArgs } from "./dataverse/applicationUser";
export { SecurityRole, type SecurityRoleArgs } from "./dataverse/securityRole";
export { ChangeTracking, type ChangeTrackingArgs } from "./dataverse/changeTracking";
export { KeyVaultDelivery, type KeyVaultDeliveryArgs } from "./sync/keyVaultDelivery";
export { TYPES } from "./resourceTypes";
