import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { permissionById, permissionLabel } from "../components/entra/permissions";
import { formatViolation, validateResource } from "../components/validation/providerRules";
import { redirectUriFindings, type Platform } from "../components/validation/uriRules";
import { addMonthsUtc } from "../components/entra/secretExpiry";
import { TYPES } from "../components/resourceTypes";
import { administrativeGrant } from "../components/dataverse/access";
import { recordedPrivilegeName } from "../components/dataverse/privilegeCatalog";
import type { Operation } from "../components/dataverse/securityRolePlan";
import { DEPTH_WORDS, DEPTHS } from "../components/dataverse/depths";

const SYSTEM_ADMINISTRATOR_TEMPLATE = "627090ff-40a3-4053-8790-584edc5be201";
/** Application input blocks that hold redirect URIs, and the platform their rules are named after. */
const PLATFORMS: [string, Platform][] = [
  ["web", "web"],
  ["publicClient", "publicClient"],
  ["singlePageApplication", "spa"],
];

/** Calls `check` for every redirect URI of an application, reporting what it returns. */
function eachRedirectUri(
  args: { type: string; props: Record<string, { redirectUris?: unknown } | undefined> },
  report: (m: string) => void,
  check: (uri: string, platform: Platform) => string | undefined,
): void {
  if (args.type !== TYPES.application) return;
  for (const [block, platform] of PLATFORMS) {
    for (const uri of (args.props[block]?.redirectUris as string[] | undefined) ?? []) {
      const problem = check(uri, platform);
      if (problem) report(`${block} redirect URI ${uri} ${problem}`);
    }
  }
}

/** The provider's and Entra's findings for one redirect URI, wildcards left to their own policy. */
const redirectUriReport = (uri: string, platform: Platform) =>
  redirectUriFindings(uri, platform)
    .filter((f) => !f.message.includes("wildcard"))
    .map((f) => `${f.message} (${f.source})`)
    .join("; ") || undefined;

export const redirectUrisHttps: ResourceValidationPolicy = {
  name: "crm-sync-redirect-uris-https",
  description:
    "Redirect URIs as the azuread provider and Entra accept them: https://, http:// only on localhost or 127.0.0.1, no [::1], no unsupported characters, a trailing slash on web and SPA URIs without a path.",
  enforcementLevel: "mandatory",
  // Wildcards are the next policy's finding; reported once, there.
  validateResource: (args, report) => eachRedirectUri(args, report, redirectUriReport),
};

export const providerRules: ResourceValidationPolicy = {
  name: "crm-sync-provider-rules",
  description:
    "Inputs the real azuread and azure-native providers accept: schema, required inputs, UUIDs, allowed values, item limits, dates (the rules of components/validation/providerSchema.json).",
  enforcementLevel: "mandatory",
  // Values not known during preview reach policies as absent, so required inputs are not enforced here.
  validateResource: (args, report) => {
    for (const v of validateResource(
      { type: args.type, name: args.name, inputs: args.props },
      { now: new Date(), partial: true },
    ))
      report(formatViolation(v));
  },
};

export const noWildcardRedirectUris: ResourceValidationPolicy = {
  name: "crm-sync-no-wildcard-redirect-uris",
  description: "Redirect URIs contain no wildcard.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) =>
    eachRedirectUri(args, report, (uri) => (uri.includes("*") ? "has a wildcard" : undefined)),
};

export const secretLifetime: ResourceValidationPolicy = {
  name: "crm-sync-secret-lifetime",
  description: "Client secrets have an explicit end date at most `maxMonths` (default 24) after they start.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { maxMonths: { type: "integer", default: 24, minimum: 1 } } },
  validateResource: (args, report) => {
    if (args.type !== TYPES.password) return;
    const { maxMonths } = args.getConfig<{ maxMonths: number }>();
    const end = args.props.endDate as string | undefined;
    if (!end) return report("client secret has no endDate: set one (at most the policy's maxMonths)");
    const start = args.props.startDate ? new Date(args.props.startDate) : new Date();
    if (Date.parse(end) > addMonthsUtc(start, maxMonths).getTime())
      report(`client secret ends ${end}, more than ${maxMonths} months after ${start.toISOString()}`);
  },
};

export const applicationPermissionAllowList: ResourceValidationPolicy = {
  name: "crm-sync-application-permission-allowlist",
  description:
    "Application permissions (app roles, tenant-wide data access) only from the allow-list in policy config.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { allowed: { type: "array", items: { type: "string" }, default: [] } } },
  validateResource: (args, report) => {
    if (args.type !== TYPES.application) return;
    const allowed = new Set(args.getConfig<{ allowed: string[] }>().allowed.map((a) => a.toLowerCase()));
    for (const access of (args.props.requiredResourceAccesses as
      { resourceAppId: string; resourceAccesses: { id: string; type: string }[] }[] | undefined) ?? []) {
      for (const a of access.resourceAccesses.filter((x) => x.type === "Role")) {
        const p = permissionById(access.resourceAppId, a.id);
        const label = p ? permissionLabel(p) : `${access.resourceAppId}: ${a.id} (application)`;
        if (!allowed.has(label.toLowerCase()))
          report(`application permission "${label}" is not in the allow-list (policy config "allowed")`);
      }
    }
  },
};

export const dataverseSystemAdministrator: ResourceValidationPolicy = {
  name: "crm-sync-dataverse-system-administrator",
  description: "Dataverse application users get System Administrator only when policy config allows it.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { allowSystemAdministrator: { type: "boolean", default: false } } },
  validateResource: (args, report) => {
    if (
      args.type !== TYPES.applicationUser ||
      args.getConfig<{ allowSystemAdministrator: boolean }>().allowSystemAdministrator
    )
      return;
    const roles = (args.props.securityRoles as string[] | undefined) ?? [];
    const admin = roles.find(
      (r) => r.trim().toLowerCase() === "system administrator" || r.toLowerCase() === SYSTEM_ADMINISTRATOR_TEMPLATE,
    );
    if (admin)
      report(
        `application user gets System Administrator ("${admin}"); set allowSystemAdministrator in policy config if that is intended`,
      );
  },
};

const DEPTH_ORDER: readonly string[] = DEPTHS;
const API_DEPTH_WORD: Record<string, string> = DEPTH_WORDS;

interface Grant {
  table: string;
  operation: Operation;
  depth: string;
}
const privilegeLabel = (g: Grant) => {
  const name = recordedPrivilegeName(g.table, g.operation);
  return `${g.operation} on ${g.table} (${name ?? "privilege name resolved from the table's metadata at deploy"})`;
};

export const dataversePrivilegeDepth: ResourceValidationPolicy = {
  name: "crm-sync-dataverse-privilege-depth",
  description:
    "Generated Dataverse roles grant each operation at most the depth policy config allows (e.g. no organization-wide delete).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxDepth: { type: "object", default: { delete: "businessUnit", assign: "businessUnit", share: "businessUnit" } },
    },
  },
  validateResource: (args, report) => {
    if (args.type !== TYPES.securityRole) return;
    const caps = args.getConfig<{ maxDepth: Record<string, string> }>().maxDepth ?? {};
    for (const g of (args.props.grants as Grant[] | undefined) ?? []) {
      const cap = caps[g.operation];
      const depth = API_DEPTH_WORD[g.depth];
      if (cap && depth && DEPTH_ORDER.indexOf(depth) > DEPTH_ORDER.indexOf(cap)) {
        report(
          `${privilegeLabel(g)} at ${depth} depth exceeds the allowed ${cap} (policy config maxDepth.${g.operation})`,
        );
      }
    }
  },
};

/** Administrator-level grants (components/dataverse/access.ts ADMINISTRATIVE_TABLES) are flagged, with the reason given. */
export const dataverseAdministrativeAccess: ResourceValidationPolicy = {
  name: "crm-sync-dataverse-administrative-access",
  description:
    "Generated Dataverse roles grant no administrator-level access (roles, users, teams, business units, organization, solutions, plug-ins) unless policy config allows it.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { allow: { type: "boolean", default: false } } },
  validateResource: (args, report) => {
    if (args.type !== TYPES.securityRole || args.getConfig<{ allow?: boolean }>().allow) return;
    const reason = typeof args.props.administrativeReason === "string" ? args.props.administrativeReason : undefined;
    for (const g of (args.props.grants as Grant[] | undefined) ?? []) {
      const what = administrativeGrant(g.table, g.operation);
      if (what)
        report(`${privilegeLabel(g)} is administrator-level access (${what}); reason given: ${reason ?? "none"}`);
    }
  },
};

export const expiryWarningWindow: StackValidationPolicy = {
  name: "crm-sync-expiry-warning-window",
  description: "Every integration warns before its active client secret expires (at least `minimumDays`, default 7).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { minimumDays: { type: "integer", default: 7, minimum: 1 } } },
  validateStack: (args, report) => {
    const { minimumDays } = args.getConfig<{ minimumDays: number }>();
    for (const r of args.resources.filter((x) => x.type === TYPES.integrationApp)) {
      const days = r.props.expiryWarningDays;
      if (typeof days !== "number" || days < minimumDays)
        report(
          `integration ${r.name} has no expiry warning window of at least ${minimumDays} days (expiryWarningDays: ${days ?? "unset"})`,
          r.urn,
        );
    }
  },
};

export const resourcePolicies = [
  providerRules,
  redirectUrisHttps,
  noWildcardRedirectUris,
  secretLifetime,
  applicationPermissionAllowList,
  dataverseSystemAdministrator,
  dataversePrivilegeDepth,
  dataverseAdministrativeAccess,
];
export const stackPolicies = [expiryWarningWindow];
