// Over 300 lines: the app registration, its service principal, secrets and consent are one component whose parts
// reference each other; the decisions behind it are in secretSchedule.ts, vendorSecret.ts, consent.ts and permissions.ts.
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as time from "@pulumiverse/time";
import { consentPlan, requiredResourceAccesses, resourceApisOf, verifiedPermissionId } from "./consent";
import type { Permission } from "./permissions";
import { TYPES } from "../resourceTypes";
import { redirectUriProblem, registeredRedirectUri, type Platform } from "./redirectUris";
import { MAX_SECRET_LIFETIME_MONTHS } from "./secretExpiry";
import {
  defaultExpiryWarningDays,
  defaultRotateEveryDays,
  endDateOf,
  iso,
  secretPlan,
  type Handover,
  type SecretPlan,
  type SecretPolicy,
  type SecretRole,
} from "./secretSchedule";
import { applicationImportId, delegatedGrantImportId, servicePrincipalImportId, type ExistingConfig } from "./existing";
import { permissionLabel } from "./permissions";
import { adoptedSecretPlan, type VendorSecretState } from "./vendorSecret";
import { recordHandoverLine } from "../commandLine";

export interface RedirectUriSet {
  /** Web platform (confidential client, authorization code flow). */
  web?: string[];
  /** Mobile and desktop applications (public client), e.g. `http://localhost:33333`. */
  publicClient?: string[];
  /** Single-page application (auth code with PKCE). */
  spa?: string[];
}

export interface EntraIntegrationAppArgs {
  /** Directory (tenant) id the app lives in; passed through to the outputs for vendor settings. */
  tenantId: pulumi.Input<string>;
  /**
   * The tenant id once the azuread provider's identity was checked against it (see `bindTenant`). The app
   * registration waits for it, so nothing is created in the wrong tenant. Pass the azuread provider bound to
   * that tenant through the component's `providers` option.
   */
  verifiedTenantId?: pulumi.Input<string>;
  /** Display name of the app registration as shown in the Entra admin center. */
  displayName: pulumi.Input<string>;
  /** `AzureADMyOrg` (single tenant, the default) or `AzureADMultipleOrgs`. */
  signInAudience?: "AzureADMyOrg" | "AzureADMultipleOrgs";
  /** API permissions resolved from the catalog (see `parsePermission`). */
  permissions: Permission[];
  /**
   * Redirect URIs per platform: https only, except http on localhost or 127.0.0.1. Web and SPA URIs without a path
   * are registered with the trailing slash the provider requires (`http://localhost:33333` -> `http://localhost:33333/`).
   */
  redirectUris?: RedirectUriSet;
  /**
   * Client secret lifetime and rotation. One secret exists; when the next rotation is due (scheduled
   * `rotateEveryDays` after the held secret was created, or on demand by bumping `generation`) a second one is
   * created for the handover, and the held one stays until the handover is recorded (`handedOver`) or it ends.
   */
  secret?: Partial<SecretPolicy> & { handedOver?: Handover };
  /** Create admin consent (app role assignments and tenant-wide delegated grants). Default true. */
  grantAdminConsent?: boolean;
  /** Object ids of users or service principals to own the app registration and service principal. */
  owners?: pulumi.Input<string>[];
  /** Clock that places the run in the rotation schedule; tests pass a fixed one. Default: the current time. */
  now?: () => Date;
  /**
   * Hand-made objects to take over (`existing:` of the integration): the app registration, its service principal and
   * the consent already granted are imported (Pulumi's `import` option, azuread import ids); the vendor's own secret
   * is never touched, and a managed secret is created only when a rotation is due.
   */
  existing?: ExistingConfig;
}

function policyOf(args: EntraIntegrationAppArgs): SecretPolicy {
  const lifetimeMonths = args.secret?.lifetimeMonths ?? MAX_SECRET_LIFETIME_MONTHS;
  return {
    lifetimeMonths,
    rotateEveryDays: args.secret?.rotateEveryDays ?? defaultRotateEveryDays(lifetimeMonths),
    generation: args.secret?.generation ?? 0,
    expiryWarningDays: args.secret?.expiryWarningDays ?? defaultExpiryWarningDays(lifetimeMonths),
  };
}

/** One live client secret of the app. */
export interface LiveSecret {
  rotation: number;
  role: SecretRole;
  /** The creation moment, kept in state (`time.Static`), from which the full lifetime counts. */
  createdAt: pulumi.Output<string>;
  endDate: pulumi.Output<string>;
  keyId: pulumi.Output<string>;
  password: azuread.ApplicationPassword;
}

function checkArgs(name: string, args: EntraIntegrationAppArgs): void {
  const months = args.secret?.lifetimeMonths ?? MAX_SECRET_LIFETIME_MONTHS;
  if (!Number.isInteger(months) || months < 1 || months > MAX_SECRET_LIFETIME_MONTHS) {
    throw new Error(
      `${name}: secret.lifetimeMonths must be a whole number from 1 to ${MAX_SECRET_LIFETIME_MONTHS}, got ${months}`,
    );
  }
  for (const [platform, uris] of Object.entries(args.redirectUris ?? {})) {
    for (const uri of uris ?? []) {
      const problem = redirectUriProblem(uri, platform as Platform);
      if (problem) throw new Error(`${name}: redirectUris.${platform} "${uri}" ${problem}`);
    }
  }
}

/**
 * An Entra app registration ready for a CRM-sync integration: application, service principal,
 * client secret, API permissions and (optionally) admin consent as code.
 */
export class EntraIntegrationApp extends pulumi.ComponentResource {
  readonly tenantId: pulumi.Output<string>;
  /** Application (client) id. */
  readonly clientId: pulumi.Output<string>;
  readonly applicationObjectId: pulumi.Output<string>;
  readonly servicePrincipalObjectId: pulumi.Output<string>;
  /** The secret to hand to the vendor (the newest), always a Pulumi secret. */
  readonly clientSecret: pulumi.Output<string>;
  /** RFC 3339 end date of the secret to hand to the vendor. */
  readonly secretExpiresAt: pulumi.Output<string>;
  /** URN of that secret's resource, for `pulumi up --replace`. */
  readonly secretUrn: pulumi.Output<string>;
  /** Which secrets exist and why, decided from the config (see secretPlan). */
  readonly secretPlan: SecretPlan;
  /** The live secrets, oldest first. */
  readonly secrets: LiveSecret[];
  /** The service principal and consent resources: depend on these before using the app. */
  readonly readyResources: pulumi.Resource[];
  /** The vendor's own, unmanaged secret of an adopted app (`existing.vendorSecret`), and what becomes of it. */
  readonly vendorSecret?: VendorSecretState;

  constructor(name: string, args: EntraIntegrationAppArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArgs(name, args);
    const policy = policyOf(args);
    const now = (args.now ?? (() => new Date()))();
    const handover = args.secret?.handedOver;
    const existing = args.existing;
    const recordCommand = recordHandoverLine(pulumi.getStack(), name);
    const plan: SecretPlan & { vendorSecret?: VendorSecretState } = existing?.vendorSecret
      ? adoptedSecretPlan(policy, existing.vendorSecret, handover, now, recordCommand)
      : secretPlan(policy, handover, now, recordCommand);
    // Visible to policy packs and audit reports (stack validation, stack export): rotation, warning window, and
    // the secret the vendor holds.
    super(
      TYPES.integrationApp,
      name,
      {
        lifetimeMonths: policy.lifetimeMonths,
        rotateEveryDays: policy.rotateEveryDays,
        expiryWarningDays: policy.expiryWarningDays,
        heldRotation: args.secret?.handedOver?.rotation,
        heldEndsAt: plan.heldEndsAt,
        ...(plan.vendorSecret
          ? {
              vendorSecretKeyId: plan.vendorSecret.keyId,
              vendorSecretEndsAt: plan.vendorSecret.endDate,
              vendorSecretStatus: plan.vendorSecret.status,
            }
          : {}),
        ...(existing ? { adoptedApplicationObjectId: existing.applicationObjectId } : {}),
      },
      opts,
    );
    const parent = { parent: this };
    // Adopted objects are imported: Pulumi reads them and, with inputs equal to what exists, changes nothing.
    const importing = (id: string | undefined) => (id ? { ...parent, import: id } : parent);

    const registered = (platform: Platform) =>
      (args.redirectUris?.[platform] ?? []).map((uri) => registeredRedirectUri(uri, platform));
    const application = new azuread.Application(
      `${name}-app`,
      {
        // Waits for the tenant check: a preview by an identity of another tenant fails here, before anything exists.
        displayName: pulumi.all([args.verifiedTenantId, args.displayName]).apply(([, displayName]) => displayName),
        signInAudience: args.signInAudience ?? "AzureADMyOrg",
        requiredResourceAccesses: requiredResourceAccesses(args.permissions),
        web: { redirectUris: registered("web") },
        publicClient: { redirectUris: registered("publicClient") },
        singlePageApplication: { redirectUris: registered("spa") },
        owners: args.owners,
      },
      importing(existing?.applicationObjectId && applicationImportId(existing.applicationObjectId)),
    );

    const servicePrincipal = new azuread.ServicePrincipal(
      `${name}-sp`,
      {
        clientId: application.clientId,
        owners: args.owners,
      },
      importing(existing?.servicePrincipalObjectId && servicePrincipalImportId(existing.servicePrincipalObjectId)),
    );

    this.secretPlan = plan;
    this.secrets = plan.secrets.map(({ rotation, role }) => {
      // The creation moment lives in state: a new rotation number is a new resource, an existing one keeps its
      // time, so end dates never move between runs and count the full lifetime from creation.
      const created = new time.Static(`${name}-secret-${rotation}-created`, {}, parent);
      // endDate forces replacement in the azuread provider: the held secret keeps the end date recorded at its
      // handover, and state keeps every live secret's own (ignoreChanges), so a new lifetime applies to the next one.
      const recorded = rotation === handover?.rotation ? handover.endDate : undefined;
      const endDate = recorded
        ? pulumi.output(iso(Date.parse(recorded)))
        : created.rfc3339.apply((at) => endDateOf(at, policy.lifetimeMonths));
      const password = new azuread.ApplicationPassword(
        `${name}-secret-${rotation}`,
        {
          applicationId: application.id,
          displayName: `managed by Pulumi (${pulumi.getStack()}), rotation ${rotation}`,
          endDate,
        },
        { ...parent, additionalSecretOutputs: ["value"], ignoreChanges: ["endDate"] },
      );
      return { rotation, role, createdAt: created.rfc3339, endDate: password.endDate, keyId: password.keyId, password };
    });
    for (const warning of plan.warnings) void pulumi.log.warn(`client secret of ${name}: ${warning}`, this);
    const handOut = this.secrets.find((s) => s.rotation === plan.handOut);
    this.vendorSecret = plan.vendorSecret;

    const consent =
      args.grantAdminConsent === false ? [] : this.grantConsent(name, args.permissions, servicePrincipal, existing);

    this.tenantId = pulumi.output(args.tenantId);
    // An imported app must be the one the stack names: a wrong object id fails the run instead of taking over another app.
    this.clientId = existing?.clientId
      ? application.clientId.apply((actual) => {
          if (actual.toLowerCase() !== existing.clientId)
            throw new Error(
              `${name}: existing.applicationObjectId ${existing.applicationObjectId} is the app with client id ${actual}, not ${existing.clientId} as existing.clientId says; correct the stack file (npm run adopt reads both)`,
            );
          return actual;
        })
      : application.clientId;
    this.applicationObjectId = application.objectId;
    this.servicePrincipalObjectId = servicePrincipal.objectId;
    // Until a managed secret exists, the vendor keeps the secret it has; this stack never knew its value.
    this.clientSecret = pulumi.secret(
      handOut
        ? handOut.password.value
        : pulumi.output(`(unchanged: the vendor keeps its own secret, key id ${this.vendorSecret?.keyId})`),
    );
    this.secretExpiresAt = handOut ? handOut.endDate : pulumi.output(this.vendorSecret!.endDate);
    this.secretUrn = handOut ? handOut.password.urn : application.urn;
    this.readyResources = [servicePrincipal, ...consent];
    this.registerOutputs({
      tenantId: this.tenantId,
      clientId: this.clientId,
      applicationObjectId: this.applicationObjectId,
      servicePrincipalObjectId: this.servicePrincipalObjectId,
      clientSecret: this.clientSecret,
      secretExpiresAt: this.secretExpiresAt,
    });
  }

  private grantConsent(
    name: string,
    permissions: Permission[],
    client: azuread.ServicePrincipal,
    existing?: ExistingConfig,
  ): pulumi.Resource[] {
    const parent = { parent: this };
    const importOf = (id: string | undefined) => (id ? { ...parent, import: id } : parent);
    // Microsoft's first-party service principals are looked up read-only, never adopted as resources.
    const resourceSps = new Map(
      resourceApisOf(permissions).map((api) => [
        api.appId,
        azuread.getServicePrincipalOutput({ clientId: api.appId }, parent),
      ]),
    );
    const plan = consentPlan(permissions);
    const assignments = plan.appRoleAssignments.map((p) => {
      const resourceSp = resourceSps.get(p.api.appId)!;
      return new azuread.AppRoleAssignment(
        `${name}-consent-${p.api.slug}-${p.value}`,
        {
          appRoleId: resourceSp.appRoleIds.apply((ids) => verifiedPermissionId(ids, p)),
          principalObjectId: client.objectId,
          resourceObjectId: resourceSp.objectId,
        },
        importOf(existing?.appRoleAssignments[permissionLabel(p)]),
      );
    });
    const grants = plan.delegatedGrants.map(({ api, claimValues }) => {
      const resourceSp = resourceSps.get(api.appId)!;
      const verified = resourceSp.oauth2PermissionScopeIds.apply((ids) => {
        permissions.filter((p) => p.api === api && p.kind === "delegated").forEach((p) => verifiedPermissionId(ids, p));
        return claimValues;
      });
      return new azuread.ServicePrincipalDelegatedPermissionGrant(
        `${name}-grant-${api.slug}`,
        {
          servicePrincipalObjectId: client.objectId,
          resourceServicePrincipalObjectId: resourceSp.objectId,
          claimValues: verified,
        },
        importOf(existing?.delegatedGrants[api.name] && delegatedGrantImportId(existing.delegatedGrants[api.name])),
      );
    });
    return [...assignments, ...grants];
  }
}
