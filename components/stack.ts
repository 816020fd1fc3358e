import * as pulumi from "@pulumi/pulumi";
import { parseRuntimeConfig, type StackConfig } from "./config";
import { bindTenant } from "./entra/tenant";
import { keyVaultProvider } from "./sync/keyVaultProvider";
import { SyncIntegration } from "./syncIntegration";

export interface StackOutputs {
  /** Per integration, keyed by its name; only secret fields are secret. */
  integrations: Record<string, Record<string, pulumi.Input<unknown>>>;
}

/**
 * Builds every configured integration; returns the stack outputs. Every azuread resource and lookup goes through
 * one explicit provider bound to `crm-sync:tenantId` (and Key Vault through one bound to the vault's subscription).
 */
export function defineStack(config: StackConfig, now?: () => Date): StackOutputs {
  const tenant = bindTenant(config.tenantId);
  const providers: pulumi.ProviderResource[] = [tenant.provider];
  if (config.keyVault) providers.push(keyVaultProvider(config.tenantId, config.keyVault.subscriptionId));
  const integrations: StackOutputs["integrations"] = {};
  for (const integration of config.integrations) {
    integrations[integration.name] = new SyncIntegration(integration.name, {
      stack: config, integration, now, verifiedTenantId: tenant.verifiedTenantId,
    }, { providers }).outputs;
  }
  return { integrations };
}

/** The program `pulumi up` runs: validate the stack config (failing the preview on errors), then build. */
export function runStack(): StackOutputs {
  return defineStack(parseRuntimeConfig(pulumi.runtime.allConfig()));
}
