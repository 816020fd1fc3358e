import * as pulumi from "@pulumi/pulumi";
import { dataverseUrlFor, type IntegrationConfig, type StackConfig } from "./config";
import { ApplicationUser } from "./dataverse/applicationUser";
import { ChangeTracking } from "./dataverse/changeTracking";
import { EntraIntegrationApp } from "./entra/integrationApp";

export interface SyncIntegrationArgs {
  /** The validated stack config (for tenant and Dataverse environments). */
  stack: StackConfig;
  /** This integration's validated config. */
  integration: IntegrationConfig;
  /** Clock for secret end dates; tests pass a fixed one. */
  now?: () => Date;
}

/** Everything one CRM-sync integration needs: its Entra app and, when configured, its Dataverse side. */
export class SyncIntegration extends pulumi.ComponentResource {
  readonly app: EntraIntegrationApp;
  /** Environment root URL of the Dataverse side, when the integration has one. */
  readonly dataverseUrl?: string;
  readonly applicationUser?: ApplicationUser;
  readonly changeTracking?: ChangeTracking;
  /**
   * The values a vendor's settings screen asks for. A plain object of Outputs, so that only the secret
   * fields are secret in the stack outputs (wrapping it in one Output would make the whole object secret).
   */
  readonly outputs: Record<string, pulumi.Input<unknown>>;

  constructor(name: string, args: SyncIntegrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("crm-sync:sync:Integration", name, {}, opts);
    const { integration, stack } = args;
    this.app = new EntraIntegrationApp(name, {
      tenantId: stack.tenantId,
      displayName: integration.displayName ?? `CRM sync ${name} (${pulumi.getStack()})`,
      signInAudience: integration.signInAudience,
      permissions: integration.permissions,
      redirectUris: integration.redirectUris,
      secretLifetimeMonths: integration.secret.lifetimeMonths,
      grantAdminConsent: integration.grantAdminConsent,
      now: args.now,
    }, { parent: this });
    const dataverse = integration.dataverse;
    if (dataverse) {
      this.dataverseUrl = dataverseUrlFor(stack, dataverse);
      // The app user needs the service principal in the tenant (and consent granted) before Dataverse accepts it.
      this.applicationUser = new ApplicationUser(`${name}-app-user`, {
        environmentUrl: this.dataverseUrl,
        applicationId: this.app.clientId,
        businessUnitId: dataverse.businessUnitId,
        securityRoles: dataverse.securityRoles,
      }, { parent: this, dependsOn: this.app.readyResources });
      if (dataverse.changeTracking) {
        this.changeTracking = new ChangeTracking(`${name}-change-tracking`, {
          environmentUrl: this.dataverseUrl,
          entities: dataverse.changeTracking,
        }, { parent: this });
      }
    }

    this.outputs = {
      profile: integration.profile,
      tenantId: this.app.tenantId,
      clientId: this.app.clientId,
      clientSecret: this.app.clientSecret,
      secretExpiresAt: this.app.secretExpiresAt,
      applicationObjectId: this.app.applicationObjectId,
      servicePrincipalObjectId: this.app.servicePrincipalObjectId,
      ...(this.dataverseUrl ? { dataverseUrl: this.dataverseUrl } : {}),
      ...(this.applicationUser ? { applicationUserId: this.applicationUser.systemUserId } : {}),
      ...(this.changeTracking ? { changeTrackedTables: this.changeTracking.enabledEntities } : {}),
    };
    this.registerOutputs({ outputs: this.outputs });
  }
}
