import { z } from "zod";
import { PROFILE_KEYS } from "../sync/profiles";
import { DEPTHS, OPERATIONS } from "../dataverse/securityRolePlan";
import { administrativeEntries } from "../dataverse/access";
import { permissionLabel } from "../entra/permissions";
import { appRedirectUriFindings } from "../validation/uriRules";
import { GUID_PATTERN } from "../dataverse/inputs";
import {
  DEFAULT_DATAVERSE_SUFFIX,
  dataverseHostProblem,
  ENVIRONMENT_KEY,
  ENVIRONMENT_KEY_RULE,
  environmentUrl,
  guid,
  permission,
  redirectUriList,
  tableName,
  uniqueList,
} from "./fields";
import { handedOver, secretKeys, secretPolicy } from "./secret";
import { MERGED_FIELDS, type ProfileOrigins } from "../sync/profileMerge";
import { EXISTING_KEYS, existingSchema, VENDOR_SECRET_KEYS } from "../entra/existing";

/**
 * The stack config schema. To add a setting, add its key to the object it belongs to (with a comment saying what it
 * does); unknown-key hints (KNOWN_KEYS) follow the shapes automatically.
 */
export const redirectUriKeys = z.strictObject({
  /** Web platform redirect URIs (authorization code flow with a client secret). */
  web: redirectUriList("web").default([]),
  /** Mobile and desktop (public client) redirect URIs, e.g. the loopback address of a desktop connector. */
  publicClient: redirectUriList("publicClient").default([]),
  /** Single-page application redirect URIs (auth code with PKCE). */
  spa: redirectUriList("spa").default([]),
});

export const redirectUris = redirectUriKeys.default({ web: [], publicClient: [], spa: [] }).superRefine((uris, ctx) => {
  for (const f of appRedirectUriFindings(uris)) ctx.addIssue({ code: "custom", message: `${f.message} (${f.source})` });
});

export const tableAccess = z.strictObject({
  /** What the integration does with the table: read, create, write, delete, append, appendTo, assign, share. */
  operations: uniqueList(z.enum(OPERATIONS, { error: `must be one of: ${OPERATIONS.join(", ")}` }), "operation").min(
    1,
    { error: "lists no operation: name at least one (e.g. read)" },
  ),
  /** How far it reaches: user (own rows), businessUnit, parentChild (business unit and its children), organization. */
  depth: z.enum(DEPTHS, { error: `must be one of: ${DEPTHS.join(", ")}` }),
});

export const dataverse = z
  .strictObject({
    /** Key in `dataverseEnvironments`; optional when the stack has exactly one environment. */
    environment: z.string().optional(),
    /** Create the app's Dataverse application user. Default true. */
    applicationUser: z.boolean({ error: "must be true or false" }).default(true),
    /** Business unit of the application user; default: the environment's root business unit. */
    businessUnitId: guid.optional(),
    /**
     * What the integration does with which tables, by table logical name: the program creates a custom security role
     * with exactly those privileges (plus the base privileges an application user needs) and assigns it.
     */
    access: z.record(tableName, tableAccess).optional(),
    /** Security roles of the application user, each a role name or a role template id. */
    securityRoles: uniqueList(z.string().trim().min(1, { error: "must not be empty" }), "security role").default([]),
    /** Tables whose change tracking must be on. Omit the key for none; an empty list is a mistake. */
    changeTracking: uniqueList(tableName, "table")
      .min(1, { error: "lists no table: name at least one table logical name, or remove changeTracking" })
      .optional(),
    /** Manage the app's existing application user that this stack did not create (never deleted by the stack). Default false: refused. */
    adoptExistingUser: z.boolean({ error: "must be true or false" }).default(false),
    /** Opt-in for administrator-level access in `access` (README: "Administrator-level access"), with the reason reviewers see. */
    administrativeAccess: z
      .strictObject({
        reason: z
          .string({ error: "is required: say why this integration needs administrator-level access" })
          .trim()
          .min(10, { error: "must say why (at least 10 characters)" }),
      })
      .optional(),
  })
  .superRefine((d, ctx) => {
    const admin = administrativeEntries(
      Object.entries(d.access ?? {}).map(([table, a]) => ({ table, operations: a.operations })),
    );
    if (admin.length && !d.administrativeAccess) {
      ctx.addIssue({
        code: "custom",
        path: ["access"],
        message: `grants administrator-level access: ${admin.join("; ")}. Remove it, or opt in with dataverse.administrativeAccess.reason saying why`,
      });
    }
  });

export const integration = z.strictObject({
  /** Unique name: lowercase letters, digits and dashes. Used in resource names and output keys. */
  name: z.string({ error: "must be a string" }).regex(/^[a-z][a-z0-9-]{0,38}[a-z0-9]$/, {
    error: "must be 2-40 characters: lowercase letters, digits, dashes; start with a letter",
  }),
  /** Vendor profile that fills the defaults from the vendor's setup page. */
  profile: z.enum(PROFILE_KEYS, { error: `must be one of: ${PROFILE_KEYS.join(", ")}` }),
  /** The values only you know for the profile (e.g. Bright Pattern tenant); validated by the profile. */
  vendor: z.unknown().optional(),
  /** Display name of the Entra app registration; default `CRM sync <name> (<stack>)`. */
  displayName: z.string().trim().min(1).max(120).optional(),
  /** Single tenant (default) or multi-tenant app registration. */
  signInAudience: z
    .enum(["AzureADMyOrg", "AzureADMultipleOrgs"], {
      error: "must be AzureADMyOrg (single tenant) or AzureADMultipleOrgs",
    })
    .default("AzureADMyOrg"),
  /** API permissions by name, e.g. `Microsoft Graph: User.Read.All (application)`; added to the profile's. */
  permissions: z.array(permission).default([]),
  /** Lists of the profile (permissions, redirect URIs, roles, access, tracked tables) the user's lists replace instead of adding to. */
  replaceProfileDefaults: uniqueList(
    z.enum(MERGED_FIELDS, { error: `must be one of: ${MERGED_FIELDS.join(", ")}` }),
    "field",
  ).default([]),
  /** Grant tenant-wide admin consent as code; set false where a separate admin grants it. */
  grantAdminConsent: z.boolean({ error: "must be true or false" }).default(true),
  redirectUris,
  secret: secretPolicy,
  /** Dataverse application user and change tracking; omit for integrations that do not touch Dataverse. */
  dataverse: dataverse.optional(),
  /** Hand-made objects to take over instead of creating new ones (components/entra/existing.ts; npm run adopt). */
  existing: existingSchema.optional(),
});

export const keyVault = z.strictObject({
  /** Subscription of the vault; the azure-native provider is bound to it (and to tenantId). */
  subscriptionId: z
    .string({ error: "is required: the subscription id (GUID) of the vault's subscription" })
    .regex(GUID_PATTERN, { error: "must be a subscription id (GUID)" })
    .transform((s) => s.toLowerCase()),
  /** Resource group of an existing Key Vault. */
  resourceGroupName: z
    .string({ error: "must be the name of the vault's resource group" })
    .regex(/^[\w.()-]{1,90}$/, { error: "must be a resource group name (1-90 letters, digits, . _ - ( ))" }),
  /** Name of the existing Key Vault (3-24 letters, digits, dashes). */
  vaultName: z
    .string({ error: "must be the name of an existing Key Vault" })
    .regex(/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/, {
      error: "must be a Key Vault name: 3-24 letters, digits and dashes, starting with a letter",
    }),
  /** false: stack outputs carry Key Vault secret URIs instead of secret values. Default true. */
  secretsInOutputs: z.boolean({ error: "must be true or false" }).default(true),
});

export const stackConfig = z
  .strictObject({
    /** Directory (tenant) id of the Entra tenant. */
    tenantId: guid,
    /**
     * Host suffixes a Dataverse environment URL may have; default `.dynamics.com` (regional `crmN` hosts included).
     * Sovereign clouds add theirs, e.g. `.crm.microsoftdynamics.us` (GCC High) or `.crm.dynamics.cn` (China).
     */
    dataverseHostSuffixes: z
      .array(
        z.string().regex(/^\.[a-z0-9.-]+[a-z]$/, { error: "must be a host suffix such as .crm.microsoftdynamics.us" }),
      )
      .min(1, { error: "lists no suffix: remove the key for the default .dynamics.com" })
      .default([DEFAULT_DATAVERSE_SUFFIX]),
    /** Dataverse environments by a short key, e.g. `sales: https://contoso.crm4.dynamics.com`. */
    dataverseEnvironments: z
      .record(z.string().regex(ENVIRONMENT_KEY, { error: ENVIRONMENT_KEY_RULE }), environmentUrl)
      .default({}),
    /** The integrations of this stack, one app registration each. */
    integrations: z.array(integration).min(1, { error: "must list at least one integration" }),
    /** Optional: also deliver each integration's secret and settings to this Key Vault. */
    keyVault: keyVault.optional(),
  })
  .superRefine((cfg, ctx) => {
    for (const [key, url] of Object.entries(cfg.dataverseEnvironments)) {
      const problem = dataverseHostProblem(url, cfg.dataverseHostSuffixes);
      if (problem) ctx.addIssue({ code: "custom", path: ["dataverseEnvironments", key], message: problem });
    }
    const names = new Map<string, number>();
    cfg.integrations.forEach((integ, i) => {
      if (names.has(integ.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["integrations", i, "name"],
          message: `duplicate integration name "${integ.name}" (also at integrations[${names.get(integ.name)}])`,
        });
      } else names.set(integ.name, i);
      const labels = new Map<string, number>();
      integ.permissions.forEach((perm, j) => {
        const label = permissionLabel(perm);
        if (labels.has(label)) {
          ctx.addIssue({
            code: "custom",
            path: ["integrations", i, "permissions", j],
            message: `duplicate permission "${label}" (also at permissions[${labels.get(label)}])`,
          });
        } else labels.set(label, j);
      });
      if (!integ.dataverse) return;
      if (integ.dataverse.access && !integ.dataverse.applicationUser) {
        ctx.addIssue({
          code: "custom",
          path: ["integrations", i, "dataverse", "access"],
          message:
            "gives the application user a generated role, but dataverse.applicationUser is false: remove access, or create the application user",
        });
      }
      const envs = Object.keys(cfg.dataverseEnvironments);
      const wanted = integ.dataverse.environment;
      const path = ["integrations", i, "dataverse", "environment"];
      if (wanted === undefined && envs.length !== 1) {
        const message =
          envs.length === 0
            ? "needs a Dataverse environment: add dataverseEnvironments to the stack config"
            : `must name one of the stack's dataverseEnvironments: ${envs.join(", ")}`;
        ctx.addIssue({ code: "custom", path, message });
      } else if (wanted !== undefined && !envs.includes(wanted)) {
        ctx.addIssue({
          code: "custom",
          path,
          message: `"${wanted}" is not in dataverseEnvironments (known: ${envs.join(", ") || "none"})`,
        });
      }
    });
  });

/** A validated integration, with where each entry of its merged lists came from (profile or user). */
export type IntegrationConfig = z.output<typeof integration> & { origins: ProfileOrigins };
export type StackConfig = Omit<z.output<typeof stackConfig>, "integrations"> & { integrations: IntegrationConfig[] };

/** Schemas of single fields, for values a component receives as Outputs and checks once they are known. */
export const FIELD_SCHEMAS = { guid, environmentUrl, keyVault: keyVault.shape };
export type DataverseConfig = NonNullable<IntegrationConfig["dataverse"]>;

/** The keys each kind of object in the config accepts, for "did you mean" on typos at any depth. */
export const KNOWN_KEYS: Record<string, string[]> = {
  "": Object.keys(stackConfig.shape),
  integrations: Object.keys(integration.shape),
  secret: Object.keys(secretKeys.shape),
  handedOver: Object.keys(handedOver.shape),
  dataverse: Object.keys(dataverse.shape),
  access: Object.keys(tableAccess.shape),
  redirectUris: Object.keys(redirectUriKeys.shape),
  keyVault: Object.keys(keyVault.shape),
  existing: EXISTING_KEYS,
  vendorSecret: VENDOR_SECRET_KEYS,
};
