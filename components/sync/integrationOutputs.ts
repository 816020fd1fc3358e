import type * as pulumi from "@pulumi/pulumi";
import type { EntraIntegrationApp } from "../entra/integrationApp";
import { vendorSecretEntry } from "../entra/vendorSecretOutput";
import type { VendorProfile } from "./profile";

/**
 * How a SyncIntegration's outputs are shaped from the resources it wired: plain functions, so the component's
 * constructor only creates resources. All values stay Outputs: only the secret fields are secret in the stack outputs.
 */
export type Outputs = Record<string, pulumi.Input<unknown>>;

/** Every live secret of the app, the one the vendor holds marked `heldByVendor` (recorded by record-handover). */
export function secretEntries(app: EntraIntegrationApp): unknown[] {
  return [
    ...(app.vendorSecret ? [vendorSecretEntry(app.vendorSecret)] : []),
    ...app.secrets.map((s) => ({
      rotation: s.rotation,
      keyId: s.keyId,
      createdAt: s.createdAt,
      endDate: s.endDate,
      heldByVendor: s.role === "held",
      awaitingHandover: s.role !== "held",
    })),
  ];
}

/** With secrets kept out of the outputs, steps that paste a secret field point at the vault instead. */
export function stepsFromVault(steps: string[], secretFields: string[]): string[] {
  return steps.map((step) =>
    secretFields.reduce(
      (text, field) =>
        text
          .split(`settings."${field}"`)
          .join(`the Key Vault secret named in secretsInKeyVault."${field}"`)
          .split(`settings.${field} `)
          .join(`the Key Vault secret named in secretsInKeyVault.${field} `),
      step,
    ),
  );
}

export interface VaultUris {
  clientSecretUri: pulumi.Input<string>;
  settingsUri: pulumi.Input<string>;
}

/**
 * Settings without their secret fields, and where each secret field lives in the vault instead: the client secret
 * fields point at the client-secret secret, the others (a connection string) into the settings bundle by JSON path.
 */
export function withSecretsInVault(
  profile: Pick<VendorProfile, "secretFields" | "clientSecretFields">,
  settings: Outputs,
  connectionProperties: Outputs | undefined,
  vault: VaultUris,
): { settings: Outputs; connectionProperties?: Outputs; secretsInKeyVault: Outputs } {
  const pasteable = (block: Outputs) =>
    Object.fromEntries(Object.entries(block).filter(([k]) => !profile.secretFields.includes(k)));
  const blockOf = (field: string) => (field in settings ? "settings" : "connectionProperties");
  const secretsInKeyVault = Object.fromEntries(
    profile.secretFields.map((field) => [
      field,
      profile.clientSecretFields.includes(field)
        ? { vaultSecretUri: vault.clientSecretUri }
        : { vaultSecretUri: vault.settingsUri, jsonPath: `${blockOf(field)}.${field}` },
    ]),
  );
  return {
    settings: pasteable(settings),
    ...(connectionProperties ? { connectionProperties: pasteable(connectionProperties) } : {}),
    secretsInKeyVault,
  };
}
