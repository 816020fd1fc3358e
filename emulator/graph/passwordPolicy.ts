import { GraphError } from "./errors";
import type { Application, CredentialRestriction, GraphData } from "./store";

/**
 * Which password restrictions bind an application: its own enabled appManagementPolicy if one is assigned (it takes
 * precedence over the tenant default, https://learn.microsoft.com/graph/api/resources/appmanagementpolicy), else the
 * tenant default when enabled (https://learn.microsoft.com/graph/api/resources/tenantappmanagementpolicy). A
 * restriction applies to apps created after restrictForAppsCreatedAfterDateTime ("the enforcement date can be
 * retroactively applied", https://learn.microsoft.com/graph/api/resources/passwordcredentialconfiguration).
 */
export function bindingRestrictions(
  data: GraphData,
  app: Application,
): { policyId: string; restrictions: CredentialRestriction[] } | undefined {
  const own = data.appPolicies.find((p) => p.isEnabled && p.appliesTo.has(app.id));
  const source = own
    ? { policyId: own.id, all: own.restrictions.passwordCredentials }
    : data.defaultPolicy.isEnabled
      ? { policyId: data.defaultPolicy.id, all: data.defaultPolicy.applicationRestrictions.passwordCredentials }
      : undefined;
  if (!source) return undefined;
  const applies = (r: CredentialRestriction) =>
    r.state !== "disabled" &&
    (!r.restrictForAppsCreatedAfterDateTime ||
      Date.parse(app.createdDateTime) > Date.parse(r.restrictForAppsCreatedAfterDateTime));
  return { policyId: source.policyId, restrictions: source.all.filter(applies) };
}

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** start + an ISO 8601 duration (calendar years and months, as the duration's own fields say). */
export function addDuration(start: Date, duration: string): Date {
  const m = DURATION.exec(duration);
  if (!m || duration === "P" || duration.endsWith("T")) throw new Error(`not an ISO 8601 duration: "${duration}"`);
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0));
  const end = new Date(start.getTime());
  end.setUTCFullYear(end.getUTCFullYear() + y, end.getUTCMonth() + mo, end.getUTCDate() + 7 * w + d);
  return new Date(end.getTime() + ((h * 60 + mi) * 60 + s) * 1000);
}

/**
 * Refuses an addPassword the binding policy forbids, with the answers Graph is recorded sending (issues
 * OfficeDev/microsoft-365-agents-toolkit#10998, microsoft/PubSec-Info-Assistant#681): over the lifetime cap, 400
 * CredentialInvalidLifetimeAsPerAppPolicy with detail InvalidKeyEndDate / EndDate; passwords blocked outright, 400
 * CredentialTypeNotAllowedAsPerAppPolicy (that message's wording UNCONFIRMED).
 */
export function checkPasswordAllowed(data: GraphData, app: Application, start: Date, end: Date): void {
  const binding = bindingRestrictions(data, app);
  if (!binding) return;
  for (const r of binding.restrictions) {
    if (r.restrictionType === "passwordAddition") {
      throw new GraphError(
        400,
        "CredentialTypeNotAllowedAsPerAppPolicy",
        `Password credentials are not allowed as per assigned policy '${binding.policyId}'.`,
      );
    }
    if (
      r.restrictionType === "passwordLifetime" &&
      r.maxLifetime &&
      end.getTime() > addDuration(start, r.maxLifetime).getTime()
    ) {
      throw new GraphError(
        400,
        "CredentialInvalidLifetimeAsPerAppPolicy",
        `Credential lifetime exceeds the max value allowed as per assigned policy '${binding.policyId}'.`,
        [{ code: "InvalidKeyEndDate", target: "EndDate" }],
      );
    }
  }
}
