import type * as pulumi from "@pulumi/pulumi";

/** Name of the explicit azure-native provider Key Vault delivery goes through. */
export const AZURE_NATIVE_PROVIDER_NAME = "crm-sync-azure-native";

/**
 * An explicit azure-native provider bound to the stack's tenant and the vault's subscription, so the secrets land
 * in the configured vault whatever subscription the ambient credentials default to. Loaded only when a vault is
 * configured, and only the provider module (not the ~136 MB package index).
 */
export function keyVaultProvider(tenantId: pulumi.Input<string>, subscriptionId: pulumi.Input<string>, name = AZURE_NATIVE_PROVIDER_NAME, opts?: pulumi.CustomResourceOptions): pulumi.ProviderResource {
  const { Provider }: typeof import("@pulumi/azure-native/provider") = require("@pulumi/azure-native/provider");
  return new Provider(name, { tenantId, subscriptionId }, opts);
}
