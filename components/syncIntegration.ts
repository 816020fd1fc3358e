import * as pulumi from "@pulumi/pulumi";
import { dataverseUrlFor, type IntegrationConfig, type StackConfig } from "./config";
import { ApplicationUser } from "./dataverse/applicationUser";
import { ChangeTracking } from "./dataverse/changeTracking";
import { SecurityRole } from "./dataverse/securityRole";
import { accessEntries } from "./dataverse/access";
import { declaredPrivileges } from "./dataverse/securityRolePlan";
import { EntraIntegrationApp } from "./entra/integrationApp";
import { endpoints } from "./sync/endpoints";
import { KeyVaultDelivery } from "./sync/keyVaultDelivery";
import { PROFILES } from "./sync/profiles";
import { TYPES } from "./resourceTypes";
import { guardSecret } from "./sync/secretGuard";
import { vendorSecretEntry } from "./entra/vendorSecretOutput";

export interface SyncIntegrationArgs {
  /** The validated stack config (for tenant, Dataverse environments and Key Vault). */
  stack: StackConfig;
  /** This integration's validated config, profile defaults merged in. */
  integration: IntegrationConfig;
  /** Clock for secret end dates; tests pass a fixed one. */
  now?: () => Date;
  /** The stack's tenant id once checked against the azuread provider's identity (see `bindTenant`). */
  verifiedTenantId?: pulumi.Input<string>;
}

type Outputs = Record<string, pulumi.Input<unknown>>;

/** A secret field that holds the client secret itself; others (a connection string) live in the settings bundle. */
const isClientSecretField = (field: string) => /secret/i.test(field);

/** With secrets kept out of the outputs, steps that paste a secret field point at the vault instead. */
function stepsFromVault(steps: string[], secretFields: string[]): string[] {
  return steps.map((step) => secretFields.reduce((text, field) => text
    .split(`settings."${field}"`).join(`the Key Vault secret named in secretsInKeyVault."${field}"`)
    .split(`settings.${field} `).join(`the Key Vault secret named in secretsInKeyVault.${field} `), step));
}

/** Everything one CRM-sync integration needs: its Entra app, its Dataverse side, and the vendor's settings. */
export class SyncIntegration extends pulumi.ComponentResource {
  readonly app: EntraIntegrationApp;
  /** Environment root URL of the Dataverse side, when the integration has one. */
  readonly dataverseUrl?: string;
  readonly applicationUser?: ApplicationUser;
  /** The generated least-privilege role, when the integration declares `dataverse.access`. */
  readonly securityRole?: SecurityRole;
  readonly changeTracking?: ChangeTracking;
  readonly keyVault?: KeyVaultDelivery;
  /**
   * `profile`, `settings` (the vendor's field names), `secretFields`, `connectionProperties` (CData), `nextSteps`
   * (what is left to do in the vendor's screen), and a machine-friendly `generic` block.
   * Plain objects of Outputs, so that only the secret fields are secret in the stack outputs.
   */
  readonly outputs: Outputs;

  constructor(name: string, args: SyncIntegrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPES.integration, name, {}, opts);
    const { integration, stack } = args;
    const profile = PROFILES[integration.profile];
    this.app = new EntraIntegrationApp(name, {
      tenantId: stack.tenantId,
      verifiedTenantId: args.verifiedTenantId,
      displayName: integration.displayName ?? `CRM sync ${name} (${pulumi.getStack()})`,
      signInAudience: integration.signInAudience,
      permissions: integration.permissions,
      redirectUris: integration.redirectUris,
      secret: integration.secret,
      grantAdminConsent: integration.grantAdminConsent,
      now: args.now,
      existing: integration.existing,
    }, { parent: this });

    // Dataverse work waits for the tenant check too, so a wrong tenant changes nothing anywhere.
    const afterTenantCheck = (url: string) => pulumi.all([args.verifiedTenantId, url]).apply(([, u]) => u);
    const dataverse = integration.dataverse;
    if (dataverse) {
      this.dataverseUrl = dataverseUrlFor(stack, dataverse);
      if (dataverse.access) {
        const access = accessEntries(dataverse.access, dataverse.changeTracking);
        this.securityRole = new SecurityRole(`${name}-role`, {
          environmentUrl: afterTenantCheck(this.dataverseUrl),
          roleName: `CRM sync ${name} (${pulumi.getStack()})`,
          privileges: declaredPrivileges(access).map((p) => ({ name: p.name, depth: p.depth })),
        }, { parent: this });
      }
      if (dataverse.applicationUser) {
        // The app user needs the service principal in the tenant (and consent granted) before Dataverse accepts it;
        // a generated role is assigned by its id, next to the named roles.
        this.applicationUser = new ApplicationUser(`${name}-app-user`, {
          environmentUrl: afterTenantCheck(this.dataverseUrl),
          applicationId: this.app.clientId,
          businessUnitId: dataverse.businessUnitId,
          securityRoles: this.securityRole ? this.securityRole.roleId.apply((id) => [...dataverse.securityRoles, id]) : dataverse.securityRoles,
        }, { parent: this, dependsOn: [...this.app.readyResources, ...(this.securityRole ? [this.securityRole] : [])] });
      }
      if (dataverse.changeTracking) {
        this.changeTracking = new ChangeTracking(`${name}-change-tracking`, {
          environmentUrl: afterTenantCheck(this.dataverseUrl),
          entities: dataverse.changeTracking,
        }, { parent: this });
      }
    }

    const clientSecret = guardSecret(this.app.clientSecret, profile.forbiddenSecretCharacters, profile.title, name, this.app.secretUrn);
    const urls = endpoints(stack.tenantId, this.dataverseUrl);
    const context = { tenantId: stack.tenantId, clientId: this.app.clientId, clientSecret, endpoints: urls };
    const settings = profile.fields(context, integration.vendor);
    const connectionProperties = profile.connectionProperties?.(context, integration.vendor);
    const generic: Outputs = {
      tenantId: stack.tenantId,
      clientId: this.app.clientId,
      clientSecret,
      secretExpiresAt: this.app.secretExpiresAt,
      // Every live secret; the vendor holds the one marked heldByVendor (recorded by scripts/record-handover).
      secrets: [
        ...(this.app.vendorSecret ? [vendorSecretEntry(this.app.vendorSecret)] : []),
        ...this.app.secrets.map((s) => ({
          rotation: s.rotation, keyId: s.keyId, createdAt: s.createdAt, endDate: s.endDate,
          heldByVendor: s.role === "held", awaitingHandover: s.role !== "held",
        })),
      ],
      expiryWarningDays: integration.secret.expiryWarningDays,
      ...(this.app.secretPlan.nextRotationAt ? { nextRotationAt: this.app.secretPlan.nextRotationAt } : {}),
      applicationObjectId: this.app.applicationObjectId,
      servicePrincipalObjectId: this.app.servicePrincipalObjectId,
      ...urls,
      ...(this.applicationUser ? { applicationUserId: this.applicationUser.systemUserId } : {}),
      ...(this.securityRole ? { securityRoleId: this.securityRole.roleId } : {}),
      ...(this.changeTracking ? { changeTrackedTables: this.changeTracking.enabledEntities } : {}),
    };

    let outputSettings: Outputs = settings;
    let outputProperties: Outputs | undefined = connectionProperties;
    let secretsInKeyVault: Outputs | undefined;
    if (stack.keyVault) {
      const vault = stack.keyVault;
      this.keyVault = new KeyVaultDelivery(name, {
        resourceGroupName: vault.resourceGroupName,
        vaultName: vault.vaultName,
        clientSecret,
        secretExpiresAt: this.app.secretExpiresAt,
        settingsJson: pulumi.secret(pulumi.output({ profile: profile.key, settings, ...(connectionProperties ? { connectionProperties } : {}) }).apply((o) => JSON.stringify(o, null, 2))),
      }, { parent: this });
      generic.keyVaultClientSecretUri = this.keyVault.clientSecretUri;
      generic.keyVaultSettingsUri = this.keyVault.settingsUri;
      if (!vault.secretsInOutputs) {
        // settings keeps only what a customer can paste; where each secret field lives is a map of its own.
        const pasteable = (block: Outputs) => Object.fromEntries(Object.entries(block).filter(([k]) => !profile.secretFields.includes(k)));
        outputSettings = pasteable(settings);
        outputProperties = connectionProperties && pasteable(connectionProperties);
        const blockOf = (field: string) => (field in settings ? "settings" : "connectionProperties");
        secretsInKeyVault = Object.fromEntries(profile.secretFields.map((field) => [field, isClientSecretField(field)
          ? { vaultSecretUri: this.keyVault!.clientSecretUri }
          : { vaultSecretUri: this.keyVault!.settingsUri, jsonPath: `${blockOf(field)}.${field}` }]));
        delete generic.clientSecret;
      }
    }

    this.outputs = {
      profile: profile.key, settings: outputSettings, secretFields: profile.secretFields,
      ...(outputProperties ? { connectionProperties: outputProperties } : {}),
      nextSteps: secretsInKeyVault ? stepsFromVault(profile.nextSteps(integration.vendor), profile.secretFields) : profile.nextSteps(integration.vendor),
      generic,
      ...(secretsInKeyVault ? { secretsInKeyVault } : {}),
    };
    // Only non-secret identifiers: the settings travel through the stack outputs, where a vendor check
    // (e.g. a forbidden character in the secret) fails the deployment with its own message.
    this.registerOutputs({ profile: profile.key, clientId: this.app.clientId });
  }
}
