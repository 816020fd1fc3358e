import type * as pulumi from "@pulumi/pulumi";

/** Name of the explicit azure-native provider Key Vault delivery goes through. */
export const AZURE_NATIVE_PROVIDER_NAME = "crm-sync-azure-native";

/**
 * An explicit azure-native provider bound to the stack's tenant and the vault's subscription, so the secrets land
 * in the configured vault whatever subscription the ambient credentials default to. Loaded only when a vault is
 * configured, and only the provider module (not the ~136 MB package index).
 */
export function keyVaultProvider(
  tenantId: pulumi.Input<string>,
  subscriptionId: pulumi.Input<string>,
  name = AZURE_NATIVE_PROVIDER_NAME,
  opts?: pulumi.CustomResourceOptions,
): pulumi.ProviderResource {
  const { Provider }: typeof import("@pulumi/azure-native/provider") = requireAzureNative("provider");
  return new Provider(name, { tenantId, subscriptionId }, opts);
}

/**
 * A submodule of `@pulumi/azure-native`, an optional peer dependency (about 136 MB installed): only a stack that
 * delivers to Key Vault needs it, and says so when it is missing.
 */
export function requireAzureNative<T>(submodule: "provider" | "keyvault"): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a vault is configured
    return require(`@pulumi/azure-native/${submodule}`) as T;
  } catch (err) {
    if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
    throw new Error(
      "keyVault needs the @pulumi/azure-native package (an optional peer dependency of crm-sync-infra): run `npm install @pulumi/azure-native` in your Pulumi project",
      { cause: err },
    );
  }
}
