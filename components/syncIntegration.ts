import * as pulumi from "@pulumi/pulumi";
import { ApplicationUser } from "./dataverse/applicationUser";
import { ChangeTracking } from "./dataverse/changeTracking";
import { SecurityRole } from "./dataverse/securityRole";
import { accessEntries } from "./dataverse/access";
import { declaredGrants } from "./dataverse/securityRolePlan";
import { EntraIntegrationApp } from "./entra/integrationApp";
import { bindTenant } from "./entra/tenant";
import type { Endpoints } from "./sync/endpoints";
import { blockFrom } from "./sync/inputFields";
import { KeyVaultDelivery } from "./sync/keyVaultDelivery";
import { keyVaultProvider } from "./sync/keyVaultProvider";
import { PROFILES } from "./sync/profiles";
import { resolveArgs, type ResolvedIntegration } from "./sync/resolveArgs";
import { TYPES } from "./resourceTypes";
import { guardSecret } from "./sync/secretGuard";
import type { ProfileOrigins } from "./sync/profileMerge";
import type { SyncIntegrationArgs } from "./syncIntegrationArgs";
import { secretEntries, stepsFromVault, withSecretsInVault, type Outputs } from "./sync/integrationOutputs";

export type { SyncIntegrationArgs } from "./syncIntegrationArgs";

/**
 * Args that `defineStack` already validated as part of a whole stack, with the stack's shared tenant-bound providers
 * passed through the component's options. Keyed by the args object, so the public constructor signature stays the
 * one a library user sees.
 */
const fromStack = new WeakMap<object, ResolvedIntegration>();

/** Builds a SyncIntegration from an integration of a validated stack config (see `defineStack`). */
export function stackIntegration(
  name: string,
  resolved: ResolvedIntegration,
  opts: pulumi.ComponentResourceOptions,
): SyncIntegration {
  const token = {} as SyncIntegrationArgs;
  fromStack.set(token, resolved);
  return new SyncIntegration(name, token, opts);
}

/** Everything one CRM-sync integration needs: its Entra app, its Dataverse side, and the vendor's settings. */
export class SyncIntegration extends pulumi.ComponentResource {
  readonly app: EntraIntegrationApp;
  /** Environment root URL of the Dataverse side, when the integration has one. */
  readonly dataverseUrl?: pulumi.Output<string>;
  /** Which entries of the merged lists (permissions, redirect URIs, roles, access, tracked tables) came from the profile. */
  readonly origins: ProfileOrigins;
  readonly applicationUser?: ApplicationUser;
  /** The generated least-privilege role, when the integration declares `dataverse.access`. */
  readonly securityRole?: SecurityRole;
  readonly changeTracking?: ChangeTracking;
  readonly keyVault?: KeyVaultDelivery;
  /**
   * `profile`, `settings` (the vendor's field names), `secretFields`, `connectionProperties` (CData), `nextSteps`
   * (what is left to do in the vendor's screen), a machine-friendly `generic` block, and `profileEntries` (which
   * list entries came from the profile and which from you). The same object the YAML program exports per integration.
   * Plain objects of Outputs, so that only the secret fields are secret in the stack outputs.
   */
  readonly outputs: Outputs;

  constructor(name: string, args: SyncIntegrationArgs, opts?: pulumi.ComponentResourceOptions) {
    const resolved = fromStack.get(args) ?? resolveArgs(name, args);
    super(TYPES.integration, name, {}, opts);
    const { integration } = resolved;
    const stackMode = fromStack.has(args);
    // A library user's component binds its own azuread provider to its tenant (or checks the one it was given);
    // in a whole stack, defineStack bound one for all integrations and passes it through the options.
    const tenant = stackMode
      ? undefined
      : bindTenant(resolved.tenantId, { parent: this }, `${name}-azuread`, args.azureadProvider);
    const verifiedTenantId = tenant?.verifiedTenantId ?? resolved.verifiedTenantId;
    const entraOpts = tenant ? { parent: this, providers: [tenant.provider] } : { parent: this };
    const profile = PROFILES[integration.profile]!;
    this.origins = integration.origins;
    this.app = new EntraIntegrationApp(
      name,
      {
        tenantId: resolved.tenantId,
        verifiedTenantId,
        displayName: integration.displayName ?? `CRM sync ${name} (${pulumi.getStack()})`,
        signInAudience: integration.signInAudience,
        permissions: integration.permissions,
        redirectUris: integration.redirectUris,
        secret: integration.secret,
        grantAdminConsent: integration.grantAdminConsent,
        now: resolved.now,
        existing: integration.existing,
      },
      entraOpts,
    );

    // Dataverse work waits for the tenant check too, so a wrong tenant changes nothing anywhere.
    const afterTenantCheck = (url: pulumi.Input<string>) => pulumi.all([verifiedTenantId, url]).apply(([, u]) => u);
    const dataverse = integration.dataverse;
    if (dataverse && resolved.dataverseUrl !== undefined) {
      this.dataverseUrl = pulumi.output(resolved.dataverseUrl);
      if (dataverse.access) {
        const access = accessEntries(dataverse.access, dataverse.changeTracking);
        this.securityRole = new SecurityRole(
          `${name}-role`,
          {
            environmentUrl: afterTenantCheck(this.dataverseUrl),
            roleName: `CRM sync ${name} (${pulumi.getStack()})`,
            grants: declaredGrants(access),
            administrativeReason: dataverse.administrativeAccess?.reason,
          },
          { parent: this },
        );
      }
      if (dataverse.applicationUser) {
        // The app user needs the service principal in the tenant (and consent granted) before Dataverse accepts it;
        // a generated role is assigned by its id, next to the named roles.
        this.applicationUser = new ApplicationUser(
          `${name}-app-user`,
          {
            environmentUrl: afterTenantCheck(this.dataverseUrl),
            applicationId: this.app.clientId,
            businessUnitId: resolved.businessUnitId,
            adoptExistingUser: dataverse.adoptExistingUser,
            securityRoles: this.securityRole
              ? this.securityRole.roleId.apply((id) => [...dataverse.securityRoles, id])
              : dataverse.securityRoles,
          },
          { parent: this, dependsOn: [...this.app.readyResources, ...(this.securityRole ? [this.securityRole] : [])] },
        );
      }
      if (dataverse.changeTracking) {
        this.changeTracking = new ChangeTracking(
          `${name}-change-tracking`,
          {
            environmentUrl: afterTenantCheck(this.dataverseUrl),
            entities: dataverse.changeTracking,
          },
          { parent: this },
        );
      }
    }

    const clientSecret = guardSecret(
      this.app.clientSecret,
      profile.forbiddenSecretCharacters,
      profile.title,
      name,
      this.app.secretUrn,
    );
    const { tenantId, dataverseUrl } = resolved;
    const context = (t: string, urls: Endpoints) => ({
      tenantId: t,
      clientId: this.app.clientId,
      clientSecret,
      endpoints: urls,
    });
    const urls = blockFrom(tenantId, dataverseUrl, (_t, u) => u);
    const settings = blockFrom(tenantId, dataverseUrl, (t, u) => profile.fields(context(t, u), integration.vendor));
    const connectionProperties = profile.connectionProperties
      ? blockFrom(tenantId, dataverseUrl, (t, u) => profile.connectionProperties!(context(t, u), integration.vendor))
      : undefined;
    const generic: Outputs = {
      // The stack these outputs belong to: record-handover refuses outputs of another stack.
      stack: pulumi.getStack(),
      tenantId,
      clientId: this.app.clientId,
      clientSecret,
      secretExpiresAt: this.app.secretExpiresAt,
      secrets: secretEntries(this.app),
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
    if (resolved.keyVault) {
      const vault = resolved.keyVault;
      const vaultOpts = stackMode
        ? { parent: this }
        : {
            parent: this,
            providers: [
              keyVaultProvider(resolved.tenantId, vault.subscriptionId, `${name}-azure-native`, { parent: this }),
            ],
          };
      this.keyVault = new KeyVaultDelivery(
        name,
        {
          resourceGroupName: vault.resourceGroupName,
          vaultName: vault.vaultName,
          clientSecret,
          secretExpiresAt: this.app.secretExpiresAt,
          settingsJson: pulumi.secret(
            pulumi
              .output({ profile: profile.key, settings, ...(connectionProperties ? { connectionProperties } : {}) })
              .apply((o) => JSON.stringify(o, null, 2)),
          ),
        },
        vaultOpts,
      );
      generic.keyVaultClientSecretUri = this.keyVault.clientSecretUri;
      generic.keyVaultSettingsUri = this.keyVault.settingsUri;
      if (!vault.secretsInOutputs) {
        // settings keeps only what a customer can paste; where each secret field lives is a map of its own.
        const split = withSecretsInVault(profile, settings, connectionProperties, this.keyVault);
        outputSettings = split.settings;
        outputProperties = split.connectionProperties;
        secretsInKeyVault = split.secretsInKeyVault;
        delete generic.clientSecret;
      }
    }

    this.outputs = {
      profile: profile.key,
      settings: outputSettings,
      secretFields: profile.secretFields,
      ...(outputProperties ? { connectionProperties: outputProperties } : {}),
      nextSteps: secretsInKeyVault
        ? stepsFromVault(profile.nextSteps(integration.vendor), profile.secretFields)
        : profile.nextSteps(integration.vendor),
      generic,
      profileEntries: integration.origins,
      ...(secretsInKeyVault ? { secretsInKeyVault } : {}),
    };
    // Only non-secret identifiers: the settings travel through the stack outputs, where a vendor check
    // (e.g. a forbidden character in the secret) fails the deployment with its own message.
    // profileEntries: which list entries came from the profile and which from the user (audit report).
    this.registerOutputs({ profile: profile.key, clientId: this.app.clientId, profileEntries: integration.origins });
  }
}
