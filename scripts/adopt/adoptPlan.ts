import { appRoleAssignmentImportId } from "../../components/entra/existing";
import { permissionById, permissionLabel } from "../../components/entra/permissions";
import { apiName, type Observed } from "./observed";
import type { Expectation } from "./profileMatch";
import { primaryEnvironment, type AdoptionSnapshot, type PasswordMetadata } from "./snapshot";

/** One row of "where this setup differs from the vendor's page", and what the first `pulumi up` does about it. */
export interface Difference {
  aspect: string;
  page: string;
  found: string;
  firstUp: string;
}

type Entry = Record<string, unknown>;
const lower = (xs: string[]) => xs.map((x) => x.toLowerCase());
const missingFrom = (a: string[], b: string[]) => a.filter((x) => !lower(b).includes(x.toLowerCase()));
const none = (xs: string[]) => (xs.length ? xs.join(", ") : "(none)");

/** The secret the vendor most likely holds: the one that ends last (a portal secret is made for the vendor and pasted). */
export function vendorSecretOf(passwords: PasswordMetadata[]): PasswordMetadata | undefined {
  return [...passwords].sort((a, b) => Date.parse(b.endDateTime) - Date.parse(a.endDateTime))[0];
}

const SYSTEM_ADMINISTRATOR_TEMPLATE = "627090ff-40a3-4053-8790-584edc5be201";

/** The integration entry that reproduces the setup as it is, imports included. */
export function integrationEntry(name: string, s: AdoptionSnapshot, o: Observed, e: Expectation): Entry {
  const app = s.entra.application;
  const secret = vendorSecretOf(app.passwords);
  const dv = primaryEnvironment(s);
  const declaredConsent = o.permissions.filter((p) => o.consented.includes(p));
  const appRoleAssignments = Object.fromEntries(
    s.entra.appRoleAssignments.flatMap((a) => {
      const p = permissionById(a.resourceAppId, a.appRoleId.toLowerCase());
      const label = p && permissionLabel(p);
      return label && o.permissions.includes(label) ? [[label, appRoleAssignmentImportId(a.resourceId, a.id)]] : [];
    }),
  );
  const delegatedApis = new Set(o.permissions.filter((p) => p.endsWith("(delegated)")).map((p) => p.split(":")[0]));
  const delegatedGrants = Object.fromEntries(
    s.entra.grants
      .filter((g) => g.consentType === "AllPrincipals" && delegatedApis.has(apiName(g.resourceAppId)))
      .map((g) => [apiName(g.resourceAppId), g.id]),
  );
  const dataverse: Entry | undefined = dv
    ? {
        environment: dv.key,
        applicationUser: !!dv.user,
        // The hand-made user is taken over, never deleted by the stack (without this key it is refused).
        ...(dv.user ? { adoptExistingUser: true } : {}),
        ...(dv.user && !dv.user.isRootBusinessUnit ? { businessUnitId: dv.user.businessUnitId } : {}),
        ...(dv.user ? { securityRoles: dv.user.roles.map((r) => r.name) } : {}),
        ...(dv.trackedTables.length ? { changeTracking: dv.trackedTables } : {}),
      }
    : undefined;
  return {
    name,
    profile: e.profile,
    ...(Object.keys(e.vendor).length ? { vendor: e.vendor } : {}),
    displayName: app.displayName,
    signInAudience: app.signInAudience,
    permissions: o.permissions,
    // The lists found replace the profile's (by default a profile's lists add to the user's): what exists stays as it is.
    replaceProfileDefaults: [
      "permissions",
      "redirectUris.web",
      "redirectUris.publicClient",
      "redirectUris.spa",
      ...(dataverse?.securityRoles ? ["dataverse.securityRoles"] : []),
    ],
    // Consent as code only where it exists already or where nothing was consented yet would be a change: keep it as found.
    grantAdminConsent: o.permissions.length === 0 || declaredConsent.length > 0,
    redirectUris: o.redirectUris,
    ...(dataverse ? { dataverse } : {}),
    existing: {
      applicationObjectId: app.id,
      clientId: app.appId,
      servicePrincipalObjectId: s.entra.servicePrincipal.id,
      ...(dv?.user ? { applicationUserId: dv.user.systemUserId } : {}),
      ...(secret
        ? {
            vendorSecret: {
              keyId: secret.keyId,
              endDate: secret.endDateTime.replace(/\.\d+Z$/, "Z"),
              ...(secret.displayName ? { displayName: secret.displayName } : {}),
            },
          }
        : {}),
      ...(Object.keys(appRoleAssignments).length ? { appRoleAssignments } : {}),
      ...(Object.keys(delegatedGrants).length ? { delegatedGrants } : {}),
    },
  };
}

/** Where the setup differs from what the vendor's page leaves, and what the first `pulumi up` does about each. */
export function differences(s: AdoptionSnapshot, o: Observed, e: Expectation, now: Date): Difference[] {
  const rows: Difference[] = [];
  const add = (aspect: string, page: string, found: string, firstUp: string) =>
    rows.push({ aspect, page, found, firstUp });
  const extra = missingFrom(o.permissions, e.permissions);
  const missing = missingFrom(e.permissions, o.permissions);
  if (e.profile !== "custom" && extra.length)
    add(
      "API permissions",
      none(e.permissions),
      `extra: ${extra.join(", ")}`,
      "kept as declared (remove them from permissions to drop them)",
    );
  if (e.profile !== "custom" && missing.length)
    add(
      "API permissions",
      none(e.permissions),
      `missing: ${missing.join(", ")}`,
      "not added (add them to permissions to declare them)",
    );
  if (o.unknownPermissions.length)
    add(
      "API permissions",
      "-",
      `not in this package's catalog: ${o.unknownPermissions.join(", ")}`,
      "REMOVED from the app registration by the first pulumi up unless added to components/entra/permissionCatalog.ts and permissions",
    );
  const unconsented = o.permissions.filter((p) => !o.consented.includes(p));
  if (unconsented.length) {
    const granted = o.permissions.length === 0 || o.permissions.some((p) => o.consented.includes(p));
    add(
      "admin consent",
      "granted",
      `not granted for: ${unconsented.join(", ")}`,
      granted
        ? "granted by the first pulumi up (grantAdminConsent: true)"
        : "left ungranted (grantAdminConsent: false, as found)",
    );
  }
  for (const platform of ["web", "publicClient", "spa"] as const) {
    const more = missingFrom(o.redirectUris[platform], e.redirectUris[platform]);
    const less = missingFrom(e.redirectUris[platform], o.redirectUris[platform]);
    if (e.profile !== "custom" && (more.length || less.length)) {
      add(
        `redirect URIs (${platform})`,
        none(e.redirectUris[platform]),
        none(o.redirectUris[platform]),
        "kept as found (the stack lists them)",
      );
    }
  }
  if (o.signInAudience !== (e.defaults.signInAudience ?? "AzureADMyOrg") && e.profile !== "custom")
    add("sign-in audience", e.defaults.signInAudience ?? "AzureADMyOrg", o.signInAudience, "kept as found");
  const dv = primaryEnvironment(s);
  for (const other of s.dataverse.filter((d) => d !== dv && d.user)) {
    add(
      "application user",
      `one, in ${dv?.key}`,
      `another in ${other.key} (${other.user!.systemUserId})`,
      "not adopted by this entry (an integration has one environment): adopt it as a second integration with --environment " +
        other.key,
    );
  }
  if (e.profile !== "custom" && e.applicationUser !== o.applicationUser) {
    add(
      "application user",
      e.applicationUser ? "one, with a role" : "none",
      o.applicationUser ? `${dv?.user?.systemUserId}` : "none",
      o.applicationUser ? "adopted as it is" : "none created (applicationUser: false, as found)",
    );
  }
  if (dv?.user) {
    if (
      dv.user.roles.some((r) => r.templateId === SYSTEM_ADMINISTRATOR_TEMPLATE || r.name === "System Administrator")
    ) {
      add(
        "security roles",
        e.defaults.dataverse?.access
          ? "a least-privilege role for the synced tables"
          : "the role the integration needs",
        "System Administrator held",
        "kept as found; declare dataverse.access for a generated least-privilege role, then drop System Administrator",
      );
    } else if (dv.user.roles.length === 0) {
      add("security roles", "a role", "none", "none assigned: the vendor cannot read or write until a role is given");
    }
    if (dv.user.isDisabled) add("application user", "enabled", "disabled", "ENABLED by the first pulumi up");
    if (!dv.user.isRootBusinessUnit)
      add(
        "business unit",
        "root business unit",
        `${dv.user.businessUnitName ?? dv.user.businessUnitId}`,
        "kept (dataverse.businessUnitId)",
      );
  }
  const untracked = missingFrom(e.changeTracking, o.trackedTables);
  if (untracked.length)
    add(
      "change tracking",
      e.changeTracking.join(", "),
      none(o.trackedTables),
      `not turned on (add ${untracked.join(", ")} to dataverse.changeTracking to turn it on)`,
    );
  const passwords = s.entra.application.passwords;
  const vendor = vendorSecretOf(passwords);
  if (!vendor)
    add("client secret", "one, pasted into the vendor", "none", "the first pulumi up creates one to hand over");
  else {
    const days = Math.floor((Date.parse(vendor.endDateTime) - now.getTime()) / 86_400_000);
    if (days < 0)
      add(
        "client secret",
        "valid",
        `ended ${vendor.endDateTime}`,
        "the first pulumi up creates managed rotation 1 to hand over",
      );
    else if (days <= 30)
      add(
        "client secret",
        "valid",
        `ends in ${days} days (${vendor.endDateTime})`,
        "the first pulumi up creates managed rotation 1 to hand over (warning window)",
      );
    for (const other of passwords.filter((p) => p !== vendor))
      add(
        "client secret",
        "one",
        `another unmanaged secret ${other.keyId} (ends ${other.endDateTime})`,
        "left as it is (not managed; remove it in the portal if nobody uses it)",
      );
  }
  return rows;
}

export function renderDifferences(rows: Difference[]): string {
  if (rows.length === 0) return "No differences from the vendor's page.";
  const head: Difference = { aspect: "aspect", page: "vendor's page", found: "found", firstUp: "first pulumi up" };
  const all = [head, ...rows];
  const keys = ["aspect", "page", "found", "firstUp"] as const;
  const widths = keys.map((k) => Math.min(60, Math.max(...all.map((r) => r[k].length))));
  const line = (r: Difference) => `| ${keys.map((k, i) => r[k].padEnd(widths[i])).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}
