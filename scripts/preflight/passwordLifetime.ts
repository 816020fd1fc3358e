import { endDateOf, iso } from "../../components/entra/secretSchedule";
import { MAX_SECRET_LIFETIME_MONTHS } from "../../components/entra/secretExpiry";

/**
 * A password restriction of an app management policy (passwordCredentialConfiguration:
 * https://learn.microsoft.com/graph/api/resources/passwordcredentialconfiguration): restrictionType passwordAddition
 * blocks new passwords, passwordLifetime caps them at maxLifetime (ISO 8601 duration, e.g. P90D); a restriction binds
 * apps created after restrictForAppsCreatedAfterDateTime ("the enforcement date can be retroactively applied").
 */
export interface PasswordRestriction {
  restrictionType: string;
  state?: string | null;
  maxLifetime?: string | null;
  restrictForAppsCreatedAfterDateTime?: string | null;
}

/** The tenant default policy (https://learn.microsoft.com/graph/api/resources/tenantappmanagementpolicy), as far as passwords go. */
export interface DefaultAppPolicy {
  id: string;
  isEnabled: boolean;
  applicationRestrictions?: { passwordCredentials?: PasswordRestriction[] | null } | null;
}

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** start + an ISO 8601 duration (years and months as calendar units); undefined when the text is not a duration. */
export function addIsoDuration(start: Date, duration: string): Date | undefined {
  const m = DURATION.exec(duration);
  if (!m || duration === "P" || duration.endsWith("T")) return undefined;
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0));
  const end = new Date(start.getTime());
  end.setUTCFullYear(end.getUTCFullYear() + y, end.getUTCMonth() + mo, end.getUTCDate() + 7 * w + d);
  return new Date(end.getTime() + ((h * 60 + mi) * 60 + s) * 1000);
}

export type PasswordVerdict =
  | { kind: "allowed"; cap?: string }
  | { kind: "blocked"; policyId: string }
  | { kind: "tooLong"; policyId: string; cap: string; capDays: number; wantedDays: number; longestMonths?: number };

const DAY_MS = 86_400_000;

/**
 * Whether a client secret of `lifetimeMonths`, created at `now` by a new app (created now, so after any enforcement
 * date), passes the tenant default policy; when it does not, the longest lifetime in whole months that does.
 * Graph answers 400 CredentialInvalidLifetimeAsPerAppPolicy for an addPassword over the cap (OfficeDev/microsoft-365-agents-toolkit#10998).
 */
export function judgePassword(policy: DefaultAppPolicy, lifetimeMonths: number, now: Date): PasswordVerdict {
  if (!policy.isEnabled) return { kind: "allowed" };
  const binding = (policy.applicationRestrictions?.passwordCredentials ?? []).filter(
    (r) =>
      r.state !== "disabled" &&
      (!r.restrictForAppsCreatedAfterDateTime || Date.parse(r.restrictForAppsCreatedAfterDateTime) < now.getTime()),
  );
  if (binding.some((r) => r.restrictionType === "passwordAddition")) return { kind: "blocked", policyId: policy.id };
  const start = iso(Math.floor(now.getTime() / 1000) * 1000);
  const caps = binding
    .filter((r) => r.restrictionType === "passwordLifetime" && r.maxLifetime)
    .map((r) => ({ cap: r.maxLifetime!, until: addIsoDuration(new Date(start), r.maxLifetime!) }))
    .filter((c): c is { cap: string; until: Date } => !!c.until)
    .sort((a, b) => a.until.getTime() - b.until.getTime());
  const tightest = caps[0];
  if (!tightest) return { kind: "allowed" };
  const fits = (months: number) => Date.parse(endDateOf(start, months)) <= tightest.until.getTime();
  if (fits(lifetimeMonths)) return { kind: "allowed", cap: tightest.cap };
  const longest = Array.from({ length: MAX_SECRET_LIFETIME_MONTHS }, (_, i) => MAX_SECRET_LIFETIME_MONTHS - i).find(
    fits,
  );
  return {
    kind: "tooLong",
    policyId: policy.id,
    cap: tightest.cap,
    capDays: Math.floor((tightest.until.getTime() - Date.parse(start)) / DAY_MS),
    wantedDays: Math.floor((Date.parse(endDateOf(start, lifetimeMonths)) - Date.parse(start)) / DAY_MS),
    longestMonths: longest,
  };
}
