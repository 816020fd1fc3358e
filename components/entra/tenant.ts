import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";

/** Name of the explicit azuread provider every Entra resource and lookup of the stack goes through. */
export const AZUREAD_PROVIDER_NAME = "crm-sync-azuread";

export function tenantMismatchMessage(configured: string, signedIn: string): string {
  return (
    `the azuread provider is signed in to tenant ${signedIn}, but crm-sync:tenantId is ${configured}: ` +
    `nothing was created. Sign in to tenant ${configured} (az login --tenant ${configured}, or ARM_TENANT_ID/AZURE_TENANT_ID in CI), ` +
    "or correct crm-sync:tenantId"
  );
}

/** Compares tenant ids as Entra does (GUIDs, case-insensitive); returns the configured id or throws. */
export function checkedTenant(configured: string, signedIn: string | undefined): string {
  if (!signedIn || signedIn.toLowerCase() !== configured.toLowerCase()) {
    throw new Error(tenantMismatchMessage(configured, signedIn ?? "(unknown)"));
  }
  return configured;
}

export interface BoundTenant {
  /** The explicit azuread provider, bound to the configured tenant. */
  provider: azuread.Provider;
  /**
   * The configured tenant id once the provider's identity has been seen to belong to it. Resources that create
   * anything take an input from this, so a mismatch fails the preview before anything exists.
   */
  verifiedTenantId: pulumi.Output<string>;
}

/**
 * An explicit azuread provider for `crm-sync:tenantId` (without it, apps land in whatever tenant the ambient
 * credentials pick), plus the check that the signed-in identity really is in that tenant.
 * The provider's client-config data source reports the tenant the provider authenticated to
 * (hashicorp/terraform-provider-azuread v3.8.0 internal/services/serviceprincipals/client_config_data_source.go:75-85,
 * internal/clients/builder.go:22-51: the configured tenant, or Azure CLI's when signed in with `az`).
 * `given`: a provider the caller configured itself; only the check is added.
 */
export function bindTenant(
  tenantId: pulumi.Input<string>,
  opts?: pulumi.CustomResourceOptions,
  name = AZUREAD_PROVIDER_NAME,
  given?: azuread.Provider,
): BoundTenant {
  const provider = given ?? new azuread.Provider(name, { tenantId }, opts);
  const signedIn = azuread.getClientConfigOutput({ provider, ...(opts?.parent ? { parent: opts.parent } : {}) });
  return {
    provider,
    verifiedTenantId: pulumi
      .all([tenantId, signedIn.tenantId])
      .apply(([configured, actual]) => checkedTenant(configured, actual)),
  };
}
