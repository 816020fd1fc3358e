import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { Endpoints } from "./endpoints";

/** Integration settings a profile fills when the user leaves them out (same shape as the stack config). */
export interface ProfileDefaults {
  displayName?: string;
  signInAudience?: "AzureADMyOrg" | "AzureADMultipleOrgs";
  permissions?: string[];
  grantAdminConsent?: boolean;
  redirectUris?: { web?: string[]; publicClient?: string[]; spa?: string[] };
  secret?: { lifetimeMonths?: number };
  /** Present when the vendor works against a Dataverse environment. */
  dataverse?: {
    applicationUser?: boolean;
    securityRoles?: string[];
    changeTracking?: string[];
    access?: Record<string, { operations: string[]; depth: string }>;
  };
}

/** What the vendor's settings screen is filled with. */
export interface FieldContext {
  tenantId: string;
  clientId: pulumi.Output<string>;
  /** Always a Pulumi secret. */
  clientSecret: pulumi.Output<string>;
  endpoints: Endpoints;
}

/** A resolved problem with the integration's config under a profile: a path below the integration and a message. */
export interface ProfileProblem {
  path: (string | number)[];
  message: string;
}

/**
 * A vendor's setup page turned into data: what it asks the customer to do (defaults), what only the customer
 * knows (`vendor` settings), and the fields the vendor's settings screen wants (by the vendor's own names).
 */
export interface VendorProfile<Settings = Record<string, unknown>> {
  key: string;
  /** Vendor and product, for messages and docs. */
  title: string;
  /** The `vendor:` block of the integration, validated. */
  settings: z.ZodType<Settings>;
  defaults(settings: Settings): ProfileDefaults;
  /** Extra checks on the merged integration config (e.g. a role the page requires). */
  problems?(integration: ProfileView, settings: Settings): ProfileProblem[];
  /** Settings-screen fields in the vendor's terms; secret values must be Pulumi secrets. */
  fields(ctx: FieldContext, settings: Settings): Record<string, pulumi.Input<string>>;
  /** Names of fields that hold secrets, in `fields` and in `connectionProperties` (redacted by export-sync-config --redact). */
  secretFields: string[];
  /**
   * The secret fields whose value is the client secret itself (a Key Vault delivery points them at the client-secret
   * secret); the other secret fields (a connection string) travel in the settings bundle.
   */
  clientSecretFields: string[];
  /** The vendor screen's own labels where they differ from the field names (e.g. Daktela's Czech screen). */
  screenLabels?: Record<string, string>;
  /**
   * The manual steps left in the vendor's screen after `pulumi up`, in order, from the vendor's setup page; each names
   * the output field to paste (`settings."Client ID"`, `generic.authorityUrl`, ...).
   */
  nextSteps(settings: Settings): string[];
  /** A second, named block for products that take the same values as connection properties (CData). */
  connectionProperties?(ctx: FieldContext, settings: Settings): Record<string, pulumi.Input<string>>;
  /** Characters the vendor rejects in client secrets. */
  forbiddenSecretCharacters?: string[];
}

/** The parts of an integration's merged config a profile may check. */
export interface ProfileView {
  dataverse?: {
    applicationUser: boolean;
    securityRoles: string[];
    changeTracking?: string[];
    access?: Record<string, unknown>;
  };
  redirectUris: { web: string[]; publicClient: string[]; spa: string[] };
}
