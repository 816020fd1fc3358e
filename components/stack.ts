import * as pulumi from "@pulumi/pulumi";
import { dataverseUrlFor, parseRuntimeConfig, type StackConfig } from "./config";
import { bindTenant } from "./entra/tenant";
import { keyVaultProvider } from "./sync/keyVaultProvider";
import { stackIntegration } from "./syncIntegration";

export interface StackOutputs {
  /** Per integration, keyed by its name (each `SyncIntegration.outputs`); only secret fields are secret. */
  integrations: Record<string, Record<string, pulumi.Input<unknown>>>;
}

/**
 * Builds every integration of a validated stack config (`parseStackConfig`, the YAML stack files' schema); returns
 * the stack outputs. Every azuread resource and lookup goes through one explicit provider bound to the stack's
 * `tenantId` (and Key Vault through one bound to the vault's subscription).
 */
export function defineStack(config: StackConfig, now?: () => Date): StackOutputs {
  const tenant = bindTenant(config.tenantId);
  const providers: pulumi.ProviderResource[] = [tenant.provider];
  const vault = config.keyVault;
  if (vault) providers.push(keyVaultProvider(config.tenantId, vault.subscriptionId));
  const integrations: StackOutputs["integrations"] = {};
  for (const integration of config.integrations) {
    const dv = integration.dataverse;
    integrations[integration.name] = stackIntegration(
      integration.name,
      {
        integration,
        tenantId: config.tenantId,
        ...(dv ? { dataverseUrl: dataverseUrlFor(config, dv) } : {}),
        ...(dv?.businessUnitId ? { businessUnitId: dv.businessUnitId } : {}),
        ...(vault ? { keyVault: vault } : {}),
        verifiedTenantId: tenant.verifiedTenantId,
        ...(now ? { now } : {}),
      },
      { providers },
    ).outputs;
  }
  return { integrations };
}

/** The program `pulumi up` runs for the YAML stack files: validate the stack config (failing the preview), then build. */
export function runStack(): StackOutputs {
  return defineStack(parseRuntimeConfig(pulumi.runtime.allConfig()));
}
