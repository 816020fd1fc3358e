import * as pulumi from "@pulumi/pulumi";
import { requireAzureNative } from "./keyVaultProvider";

export interface KeyVaultDeliveryArgs {
  /** Resource group of the existing vault. */
  resourceGroupName: pulumi.Input<string>;
  /** Name of the existing vault. */
  vaultName: pulumi.Input<string>;
  /** The client secret (a Pulumi secret). */
  clientSecret: pulumi.Output<string>;
  /** RFC 3339 end date of the client secret; the vault secret expires with it. */
  secretExpiresAt: pulumi.Output<string>;
  /** The integration's settings as one JSON document (a Pulumi secret: it holds the client secret). */
  settingsJson: pulumi.Output<string>;
}

/** The part of `@pulumi/azure-native/keyvault` this component uses (its Secret resource). */
interface KeyVaultModule {
  Secret: new (
    name: string,
    args: {
      resourceGroupName: pulumi.Input<string>;
      vaultName: pulumi.Input<string>;
      secretName: pulumi.Input<string>;
      properties: pulumi.Input<{
        value: pulumi.Input<string>;
        contentType: pulumi.Input<string>;
        attributes: pulumi.Input<{ enabled: boolean; expires: pulumi.Input<number> }>;
      }>;
    },
    opts?: pulumi.CustomResourceOptions,
  ) => pulumi.CustomResource & { properties: pulumi.Output<{ secretUri: string }> };
}

/**
 * `<stack>-<integration>` as a Key Vault secret name part: Key Vault allows letters, digits and dashes (1-127
 * characters), so other characters of a stack name (`.`, `_`, `/` of `org/project/stack`) become dashes.
 */
export function vaultSecretPrefix(stack: string, integration: string): string {
  const stackPart =
    stack
      .replace(/[^A-Za-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60) || "stack";
  return `${stackPart}-${integration}`;
}

/** Seconds since the epoch, as Key Vault's `expires` attribute wants. */
export const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * Writes an integration's client secret and its settings bundle to an existing Azure Key Vault:
 * secrets `<stack>-<name>-client-secret` and `<stack>-<name>-sync-settings`, with content type and expiry. The
 * stack is part of the name, so two stacks sharing one vault never overwrite each other's secrets.
 */
export class KeyVaultDelivery extends pulumi.ComponentResource {
  readonly clientSecretUri: pulumi.Output<string>;
  readonly settingsUri: pulumi.Output<string>;

  constructor(name: string, args: KeyVaultDeliveryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("crm-sync:sync:KeyVaultDelivery", name, {}, opts);
    // Loaded only when a vault is configured: the Key Vault submodule alone, not the ~136 MB package. Typed by the
    // small local interface below: `typeof import(...)` would pull azure-native's 17 MB of declarations into every build.
    const keyvault = requireAzureNative<KeyVaultModule>("keyvault");
    const expires = args.secretExpiresAt.apply(epochSeconds);
    const common = { resourceGroupName: args.resourceGroupName, vaultName: args.vaultName };
    const prefix = vaultSecretPrefix(pulumi.getStack(), name);
    const clientSecret = new keyvault.Secret(
      `${name}-client-secret`,
      {
        ...common,
        secretName: `${prefix}-client-secret`,
        properties: {
          value: args.clientSecret,
          contentType: "text/plain; Entra client secret",
          attributes: { enabled: true, expires },
        },
      },
      { parent: this, additionalSecretOutputs: ["properties"] },
    );
    const settings = new keyvault.Secret(
      `${name}-sync-settings`,
      {
        ...common,
        secretName: `${prefix}-sync-settings`,
        properties: {
          value: args.settingsJson,
          contentType: "application/json; CRM sync settings",
          attributes: { enabled: true, expires },
        },
      },
      { parent: this, additionalSecretOutputs: ["properties"] },
    );
    this.clientSecretUri = pulumi.unsecret(clientSecret.properties.secretUri);
    this.settingsUri = pulumi.unsecret(settings.properties.secretUri);
    this.registerOutputs({ clientSecretUri: this.clientSecretUri, settingsUri: this.settingsUri });
  }
}
