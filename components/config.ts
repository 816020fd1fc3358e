import { z } from "zod";
import { distance } from "fastest-levenshtein";
import { parsePermission, permissionLabel, type Permission } from "./entra/permissions";
import { redirectUriProblem, registeredRedirectUri, type Platform } from "./entra/redirectUris";
import { appRedirectUriFindings } from "./validation/uriRules";
import { environmentUrlProblem, GUID_PATTERN, normalizeEnvironmentUrl } from "./dataverse/inputs";
import { MAX_SECRET_LIFETIME_MONTHS } from "./entra/secretExpiry";
import { DEFAULT_EXPIRY_WARNING_DAYS, defaultRotateEveryDays, handoverProblem, lifetimeDays } from "./entra/secretSchedule";
import { PROFILE_KEYS } from "./sync/profiles";
import { DEPTHS, OPERATIONS } from "./dataverse/securityRolePlan";
import { applyProfiles, profileProblems } from "./sync/applyProfiles";
import { EXISTING_KEYS, existingProblems, existingSchema, VENDOR_SECRET_KEYS } from "./entra/existing";

/** Pulumi project name; stack config keys live under this namespace (`crm-sync:<key>`). */
export const CONFIG_NAMESPACE = "crm-sync";
const DEFAULT_DATAVERSE_SUFFIX = ".dynamics.com";

/**
 * A Dataverse environment lives on a Dataverse host (`<org>.crm[N].dynamics.com`, or a suffix the stack adds for a
 * sovereign cloud); the local emulator on loopback http is allowed for the sandbox and tests.
 */
export function dataverseHostProblem(url: string, suffixes: string[]): string | undefined {
  const { protocol, hostname } = new URL(url);
  if (protocol === "http:") return undefined; // loopback only: environmentUrlProblem refused anything else
  if (suffixes.some((s) => hostname.endsWith(s.toLowerCase()) && hostname.length > s.length)) return undefined;
  return `${hostname} is not a Dataverse host (expected <org>.crm.dynamics.com or a regional crmN host; for a sovereign cloud add its suffix to crm-sync:dataverseHostSuffixes), got "${url}"`;
}

const guid = z
  .string({ error: "must be a GUID" })
  .regex(GUID_PATTERN, { error: "must be a GUID like 00000000-0000-0000-0000-000000000000" })
  .transform((s) => s.toLowerCase());

/** `https://org.crm.dynamics.com` (no trailing slash); loopback http allowed for the emulator. */
export const environmentUrl = z
  .string({ error: "must be a URL string" })
  .superRefine((value, ctx) => {
    const problem = environmentUrlProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform(normalizeEnvironmentUrl);

const permission = z.string({ error: "must be a permission name" }).transform((text, ctx): Permission => {
  const parsed = parsePermission(text);
  if ("error" in parsed) {
    ctx.addIssue({ code: "custom", message: parsed.error });
    return z.NEVER;
  }
  return parsed;
});

/** One platform's redirect URIs, in the form they are registered, each checked by the provider's and Entra's rules. */
const redirectUriList = (platform: Platform) => uniqueList(
  z.string({ error: "must be a URL string" }).superRefine((uri, ctx) => {
    const problem = redirectUriProblem(uri, platform);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }).transform((uri) => registeredRedirectUri(uri, platform)),
  "redirect URI",
);

const uniqueList = <T extends z.ZodType<string>>(item: T, what: string) =>
  z.array(item).superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((entry, index) => {
      const key = String(entry).toLowerCase();
      if (seen.has(key)) {
        ctx.addIssue({ code: "custom", path: [index], message: `duplicate ${what} "${entry}" (also at [${seen.get(key)}])` });
      } else seen.set(key, index);
    });
  });

const TABLE_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const tableName = z
  .string({ error: "must be a table logical name" })
  .regex(TABLE_NAME, { error: "must be a table logical name: lowercase letters, digits and _, e.g. account or new_project" });

const redirectUriKeys = z.strictObject({
  /** Web platform redirect URIs (authorization code flow with a client secret). */
  web: redirectUriList("web").default([]),
  /** Mobile and desktop (public client) redirect URIs, e.g. the loopback address of a desktop connector. */
  publicClient: redirectUriList("publicClient").default([]),
  /** Single-page application redirect URIs (auth code with PKCE). */
  spa: redirectUriList("spa").default([]),
});

const redirectUris = redirectUriKeys
  .default({ web: [], publicClient: [], spa: [] })
  .superRefine((uris, ctx) => {
    for (const f of appRedirectUriFindings(uris)) ctx.addIssue({ code: "custom", message: `${f.message} (${f.source})` });
  });

const isoInstant = z.string({ error: "must be an ISO 8601 time such as 2026-11-22T10:00:00Z" })
  .refine((v) => /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(v) && !Number.isNaN(Date.parse(v)), { error: "must be an ISO 8601 time such as 2026-11-22T10:00:00Z" });

/** An on-demand rotation count: 0 until scripts/rotate-secret asks for the first. */
const generationNumber = z.number({ error: "must be a whole number" }).int({ error: "must be a whole number" }).min(0, { error: "must not be negative" }).default(0);

const handedOver = z.strictObject({
  /** Rotation number of the secret now in the vendor's settings (stack output `generic.secrets[].rotation`). */
  rotation: z.number({ error: "must be a rotation number" }).int({ error: "must be a whole number" }).min(1, { error: "must be 1 or more" }),
  /** When that secret was created (stack output `generic.secrets[].createdAt`). */
  createdAt: isoInstant,
  /** The on-demand generation this secret served; `secret.generation` above it asks for a new one. */
  generation: generationNumber,
});

const secretKeys = z.strictObject({
  /** Lifetime of each client secret, in months, from the moment it is created. */
  lifetimeMonths: z
    .number({ error: "must be a number of months" })
    .int({ error: "must be a whole number of months" })
    .min(1, { error: "must be at least 1 month" })
    .max(MAX_SECRET_LIFETIME_MONTHS, { error: `must be at most ${MAX_SECRET_LIFETIME_MONTHS} months` })
    .default(MAX_SECRET_LIFETIME_MONTHS),
  /** Days after the held secret's creation when the next one is created for handover; default half the lifetime. */
  rotateEveryDays: z.number({ error: "must be a number of days" }).int({ error: "must be a whole number of days" }).min(1, { error: "must be at least 1 day" }).optional(),
  /** On-demand rotations asked for so far; scripts/rotate-secret bumps it. */
  generation: generationNumber,
  /** Warn, and let CI fail, when the secret the vendor holds ends within this many days. */
  expiryWarningDays: z.number({ error: "must be a number of days" }).int({ error: "must be a whole number of days" }).min(1, { error: "must be at least 1 day" }).default(DEFAULT_EXPIRY_WARNING_DAYS),
  /** Which secret the vendor holds; written by scripts/record-handover after the secret is pasted. */
  handedOver: handedOver.optional(),
});

const secretPolicy = secretKeys
  .default({ lifetimeMonths: MAX_SECRET_LIFETIME_MONTHS, generation: 0, expiryWarningDays: DEFAULT_EXPIRY_WARNING_DAYS })
  .transform((s, ctx) => {
    const rotateEveryDays = s.rotateEveryDays ?? defaultRotateEveryDays(s.lifetimeMonths);
    const days = lifetimeDays(s.lifetimeMonths);
    if (rotateEveryDays >= days) {
      ctx.addIssue({ code: "custom", path: ["rotateEveryDays"], message: `must be shorter than the secret's lifetime (${days} days for ${s.lifetimeMonths} months), or secrets end before the next one exists` });
    }
    if (s.expiryWarningDays >= days) {
      ctx.addIssue({ code: "custom", path: ["expiryWarningDays"], message: `must be shorter than the secret's lifetime (${days} days for ${s.lifetimeMonths} months), or every secret is reported as ending` });
    }
    if (s.handedOver && s.handedOver.generation > s.generation) {
      ctx.addIssue({ code: "custom", path: ["handedOver", "generation"], message: `is ${s.handedOver.generation}, above secret.generation (${s.generation}): the two are written by the scripts; restore them` });
    }
    return { ...s, rotateEveryDays };
  });

const tableAccess = z.strictObject({
  /** What the integration does with the table: read, create, write, delete, append, appendTo, assign, share. */
  operations: uniqueList(z.enum(OPERATIONS, { error: `must be one of: ${OPERATIONS.join(", ")}` }), "operation")
    .min(1, { error: "lists no operation: name at least one (e.g. read)" }),
  /** How far it reaches: user (own rows), businessUnit, parentChild (business unit and its children), organization. */
  depth: z.enum(DEPTHS, { error: `must be one of: ${DEPTHS.join(", ")}` }),
});

const dataverse = z.strictObject({
  /** Key in `dataverseEnvironments`; optional when the stack has exactly one environment. */
  environment: z.string().optional(),
  /** Create (or adopt) the app's Dataverse application user. Default true. */
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
});


const integration = z.strictObject({
  /** Unique name: lowercase letters, digits and dashes. Used in resource names and output keys. */
  name: z
    .string({ error: "must be a string" })
    .regex(/^[a-z][a-z0-9-]{0,38}[a-z0-9]$/, { error: "must be 2-40 characters: lowercase letters, digits, dashes; start with a letter" }),
  /** Vendor profile that fills the defaults from the vendor's setup page. */
  profile: z.enum(PROFILE_KEYS, { error: `must be one of: ${PROFILE_KEYS.join(", ")}` }),
  /** The values only you know for the profile (e.g. Bright Pattern tenant); validated by the profile. */
  vendor: z.unknown().optional(),
  /** Display name of the Entra app registration; default `CRM sync <name> (<stack>)`. */
  displayName: z.string().trim().min(1).max(120).optional(),
  /** Single tenant (default) or multi-tenant app registration. */
  signInAudience: z
    .enum(["AzureADMyOrg", "AzureADMultipleOrgs"], { error: "must be AzureADMyOrg (single tenant) or AzureADMultipleOrgs" })
    .default("AzureADMyOrg"),
  /** API permissions by name, e.g. `Microsoft Graph: User.Read.All (application)`. */
  permissions: z.array(permission).default([]),
  /** Grant tenant-wide admin consent as code; set false where a separate admin grants it. */
  grantAdminConsent: z.boolean({ error: "must be true or false" }).default(true),
  redirectUris,
  secret: secretPolicy,
  /** Dataverse application user and change tracking; omit for integrations that do not touch Dataverse. */
  dataverse: dataverse.optional(),
  /** Hand-made objects to take over instead of creating new ones (see components/entra/existing.ts; npm run adopt). */
  existing: existingSchema.optional(),
});

const keyVault = z.strictObject({
  /** Subscription of the vault; the azure-native provider is bound to it (and to tenantId). */
  subscriptionId: z.string({ error: "is required: the subscription id (GUID) of the vault's subscription" }).regex(GUID_PATTERN, { error: "must be a subscription id (GUID)" }).transform((s) => s.toLowerCase()),
  /** Resource group of an existing Key Vault. */
  resourceGroupName: z.string({ error: "is required" }).regex(/^[\w.()-]{1,90}$/, { error: "must be a resource group name (1-90 letters, digits, . _ - ( ))" }),
  /** Name of the existing Key Vault (3-24 letters, digits, dashes). */
  vaultName: z.string({ error: "is required" }).regex(/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/, { error: "must be a Key Vault name: 3-24 letters, digits and dashes, starting with a letter" }),
  /** false: stack outputs carry Key Vault secret URIs instead of secret values. Default true. */
  secretsInOutputs: z.boolean({ error: "must be true or false" }).default(true),
});

const stackConfig = z
  .strictObject({
    /** Directory (tenant) id of the Entra tenant. */
    tenantId: guid,
    /**
     * Host suffixes a Dataverse environment URL may have; default `.dynamics.com` (regional `crmN` hosts included).
     * Sovereign clouds add theirs, e.g. `.crm.microsoftdynamics.us` (GCC High) or `.crm.dynamics.cn` (China).
     */
    dataverseHostSuffixes: z.array(z.string().regex(/^\.[a-z0-9.-]+[a-z]$/, { error: "must be a host suffix such as .crm.microsoftdynamics.us" }))
      .min(1, { error: "lists no suffix: remove the key for the default .dynamics.com" }).default([DEFAULT_DATAVERSE_SUFFIX]),
    /** Dataverse environments by a short key, e.g. `sales: https://contoso.crm4.dynamics.com`. */
    dataverseEnvironments: z.record(z.string().regex(/^[a-zA-Z][\w-]*$/), environmentUrl).default({}),
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
        ctx.addIssue({ code: "custom", path: ["integrations", i, "name"], message: `duplicate integration name "${integ.name}" (also at integrations[${names.get(integ.name)}])` });
      } else names.set(integ.name, i);
      const labels = new Map<string, number>();
      integ.permissions.forEach((perm, j) => {
        const label = permissionLabel(perm);
        if (labels.has(label)) {
          ctx.addIssue({ code: "custom", path: ["integrations", i, "permissions", j], message: `duplicate permission "${label}" (also at permissions[${labels.get(label)}])` });
        } else labels.set(label, j);
      });
      if (!integ.dataverse) return;
      if (integ.dataverse.access && !integ.dataverse.applicationUser) {
        ctx.addIssue({ code: "custom", path: ["integrations", i, "dataverse", "access"], message: "gives the application user a generated role, but dataverse.applicationUser is false: remove access, or create the application user" });
      }
      const envs = Object.keys(cfg.dataverseEnvironments);
      const wanted = integ.dataverse.environment;
      const path = ["integrations", i, "dataverse", "environment"];
      if (wanted === undefined && envs.length !== 1) {
        const message = envs.length === 0
          ? "needs a Dataverse environment: add dataverseEnvironments to the stack config"
          : `must name one of the stack's dataverseEnvironments: ${envs.join(", ")}`;
        ctx.addIssue({ code: "custom", path, message });
      } else if (wanted !== undefined && !envs.includes(wanted)) {
        ctx.addIssue({ code: "custom", path, message: `"${wanted}" is not in dataverseEnvironments (known: ${envs.join(", ") || "none"})` });
      }
    });
  });

export type StackConfig = z.output<typeof stackConfig>;
export type IntegrationConfig = StackConfig["integrations"][number];
export type DataverseConfig = NonNullable<IntegrationConfig["dataverse"]>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function formatPath(path: PropertyKey[]): string {
  let out = CONFIG_NAMESPACE;
  path.forEach((part, i) => {
    if (typeof part === "number") out += `[${part}]`;
    else out += i === 0 ? `:${String(part)}` : `.${String(part)}`;
  });
  return out;
}

/** The keys each kind of object in the config accepts, for "did you mean" on typos at any depth. */
const KNOWN_KEYS: Record<string, string[]> = {
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

function knownKeysAt(path: PropertyKey[]): string[] {
  const last = [...path].reverse().find((p) => typeof p === "string") as string | undefined;
  return KNOWN_KEYS[last ?? ""] ?? [];
}

function closestKey(key: string, known: string[]): string | undefined {
  const best = known.map((k) => ({ k, d: distance(k.toLowerCase(), key.toLowerCase()) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.k : undefined;
}

/** What a value is, for messages: never the whole value (it may be large or secret), never "[object Object]". */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `text "${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  return `${typeof value} ${String(value)}`;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(issue.path);
    return issue.keys.map((key) => {
      const hint = closestKey(key, known);
      return `${formatPath([...issue.path, key])}: unknown setting${hint ? ` (did you mean ${hint}?)` : ""}${known.length ? `; known here: ${known.join(", ")}` : ""}`;
    }).join("\n  - ");
  }
  const input = (issue as { input?: unknown }).input;
  const generic = /received|^Invalid input/.test(issue.message);
  if (issue.code === "invalid_type" && input === undefined) {
    return `${formatPath(issue.path)}: is required${generic ? ` (${issue.expected})` : `: ${issue.message}`}`;
  }
  if (issue.code === "invalid_key") {
    return `${formatPath(issue.path)}: is not a valid key here${issue.path.at(-2) === "access" ? ": must be a table logical name (lowercase letters, digits and _, e.g. account)" : ""}`;
  }
  if (generic) {
    const expected = issue.code === "invalid_type" ? issue.expected : "another value";
    return `${formatPath(issue.path)}: must be ${expected}, got ${kindOf(input)}`;
  }
  return `${formatPath(issue.path)}: ${issue.message}`;
}

/**
 * Validates the raw config (the values of `crm-sync:*` keys, already parsed from YAML/JSON) as of `now`.
 * Throws ConfigError listing every problem with its exact config path.
 */
export function parseStackConfig(raw: Record<string, unknown>, now: Date = new Date()): StackConfig {
  const profiled = applyProfiles(raw);
  const result = stackConfig.safeParse(profiled.config, { reportInput: true });
  const vendorProblems = profiled.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  if (result.success) {
    result.data.integrations.forEach((integ, i) => { integ.vendor = profiled.settings[i]; });
    const problems = [
      ...vendorProblems,
      ...profileProblems(result.data.integrations).map((i) => `${formatPath(i.path)}: ${i.message}`),
      ...result.data.integrations.flatMap((integ, i) => {
        const problem = integ.secret.handedOver && handoverProblem(integ.secret.handedOver, now);
        return problem ? [`${formatPath(["integrations", i, "secret", "handedOver", "createdAt"])}: ${problem}`] : [];
      }),
      // An adopted integration may rotate on demand before any handover: the vendor holds its own secret meanwhile.
      ...result.data.integrations.flatMap((integ, i) => integ.secret.generation > 0 && !integ.secret.handedOver && !integ.existing?.vendorSecret
        ? [`${formatPath(["integrations", i, "secret", "generation"])}: asks for an on-demand rotation, but no handover is recorded (secret.handedOver): record the secret the vendor holds first (npm run -s record-handover)`]
        : []),
      ...result.data.integrations.flatMap((integ, i) => integ.existing
        ? existingProblems(integ.existing, integ.permissions.filter((p) => p.kind === "application").map(permissionLabel), [...new Set(integ.permissions.filter((p) => p.kind === "delegated").map((p) => p.api.name))], !!integ.secret.handedOver)
          .map((p) => `${formatPath(["integrations", i, ...p.path])}: ${p.message}`)
        : []),
    ];
    if (problems.length === 0) return result.data;
    throw new ConfigError(problems);
  }
  throw new ConfigError([...vendorProblems, ...result.error.issues.map(describeIssue)]);
}

/**
 * Config keys Pulumi holds that this program would silently ignore: no namespace, or a namespace that is a near
 * miss of `crm-sync` (`crm_sync:`, `crmsync:`). Other namespaces (`azuread:`, `azure-native:`) are provider config.
 */
export function namespaceProblems(flat: Record<string, string>): string[] {
  return Object.keys(flat).flatMap((key) => {
    const colon = key.indexOf(":");
    if (colon < 0) return [`${key}: config keys need a namespace: write ${CONFIG_NAMESPACE}:${key}`];
    const namespace = key.slice(0, colon);
    if (namespace === CONFIG_NAMESPACE) return [];
    if (distance(namespace.toLowerCase(), CONFIG_NAMESPACE) <= 2) {
      return [`${key}: not read: this project's namespace is ${CONFIG_NAMESPACE} (did you mean ${CONFIG_NAMESPACE}:${key.slice(colon + 1)}?)`];
    }
    return [];
  });
}

/** Validates the runtime's flat config as the program does: namespaces, then the `crm-sync:` keys; all problems at once. */
export function parseRuntimeConfig(flat: Record<string, string>, now: Date = new Date()): StackConfig {
  const misplaced = namespaceProblems(flat);
  let config: StackConfig | undefined;
  let problems: string[] = [];
  try {
    config = parseStackConfig(rawConfigFrom(flat), now);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems = err.problems;
  }
  if (misplaced.length || !config) throw new ConfigError([...misplaced, ...problems]);
  return config;
}

/** The `crm-sync:*` keys of the runtime's flat config (`namespace:key -> text`); object values arrive as JSON. */
export function rawConfigFrom(flat: Record<string, string>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(flat)) {
    const [namespace, name] = key.split(":");
    if (namespace !== CONFIG_NAMESPACE || !name) continue;
    try {
      raw[name] = JSON.parse(text);
    } catch {
      raw[name] = text;
    }
  }
  return raw;
}

/** The environment URL an integration's Dataverse part targets (validated by the schema to exist). */
export function dataverseUrlFor(cfg: StackConfig, dv: DataverseConfig): string {
  const key = dv.environment ?? Object.keys(cfg.dataverseEnvironments)[0];
  return cfg.dataverseEnvironments[key];
}
