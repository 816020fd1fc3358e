import { addMonthsUtc } from "../entra/secretExpiry";
import { entraRedirectUriFindings, providerRedirectUriFindings, type Platform } from "./uriRules";

/** One rule of the provider extract (providerSchema.json; sources per rule inside it). */
export interface ExtractRule {
  path: string;
  rule: string;
  level: string;
  source: string;
  values?: string[];
  max?: number;
  min?: number;
  months?: number;
  pattern?: string;
  other?: string;
  urnAllowed?: boolean;
  allowAllSchemes?: boolean;
  publicClient?: boolean;
}

export interface CheckContext {
  /** The moment the plan is evaluated at: end dates must lie after it. */
  now: Date;
  /** The resource's whole inputs, for rules that compare properties. */
  inputs: Record<string, unknown>;
}

/** Returns a problem message, or undefined when the value passes. */
type Check = (value: unknown, rule: ExtractRule, ctx: CheckContext) => string | undefined;

// hashicorp/go-uuid ParseUUID, used by the provider's validation.IsUUID: 36 characters, hex in 8-4-4-4-12.
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// Go time.Parse(time.RFC3339, v): date, "T", time with seconds, optional fraction, "Z" or a numeric offset.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
// The form Graph returns endDateTime in (whole seconds, UTC "Z"): anything else differs from state on refresh.
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const platformOf = (path: string): Platform =>
  path.startsWith("publicClient") ? "publicClient" : path.startsWith("singlePageApplication") ? "spa" : "web";
const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const timeOf = (v: unknown) => (typeof v === "string" && RFC3339.test(v) ? Date.parse(v) : Number.NaN);

function httpUrlProblem(v: unknown, maxLength?: number): string | undefined {
  const s = str(v);
  if (s === undefined) return "must be a string";
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]+)/.exec(s);
  if (!m) return "must be an absolute http(s) URL with a host";
  if (!["http", "https"].includes(m[1].toLowerCase())) return "unexpected URL scheme, expected one of: http, https";
  if (maxLength !== undefined && s.length > maxLength) return `URL must be ${maxLength} characters or less`;
  return undefined;
}

export const CHECKS: Record<string, Check> = {
  isUUID: (v) => (typeof v === "string" && UUID.test(v) ? undefined : `must be a UUID, got ${JSON.stringify(v)}`),
  notEmpty: (v) => (typeof v === "string" && v !== "" ? undefined : "must not be empty"),
  oneOf: (v, r) =>
    r.values!.includes(v as string) ? undefined : `must be one of ${r.values!.join(", ")}, got ${JSON.stringify(v)}`,
  maxItems: (v, r) =>
    Array.isArray(v) && v.length > r.max! ? `has ${v.length} items, at most ${r.max} allowed` : undefined,
  minItems: (v, r) => (!Array.isArray(v) || v.length < r.min! ? `needs at least ${r.min} item(s)` : undefined),
  pattern: (v, r) =>
    typeof v === "string" && new RegExp(r.pattern!).test(v)
      ? undefined
      : `must match ${r.pattern}, got ${JSON.stringify(v)}`,
  redirectUri: (v, r) => providerRedirectUriFindings(String(v), platformOf(r.path))[0]?.message,
  entraRedirectUri: (v, r) =>
    entraRedirectUriFindings(String(v), platformOf(r.path))
      .map((f) => f.message)
      .join("; ") || undefined,
  httpOrHttpsUrl: (v) => httpUrlProblem(v),
  logoutUrl: (v) => httpUrlProblem(v, 255),
  rfc3339: (v) =>
    typeof v === "string" && RFC3339.test(v) && !Number.isNaN(Date.parse(v))
      ? undefined
      : `must be an RFC 3339 time such as 2026-01-01T00:00:00Z, got ${JSON.stringify(v)}`,
  canonicalUtc: (v) =>
    typeof v === "string" && CANONICAL_UTC.test(v)
      ? undefined
      : `must be whole-second UTC (…T00:00:00Z) as Graph returns it, or every refresh shows a change that replaces the secret; got ${JSON.stringify(v)}`,
  futureTime: (v, _r, ctx) =>
    timeOf(v) > ctx.now.getTime()
      ? undefined
      : `${v} is not after ${ctx.now.toISOString()}: Graph refuses a credential that is already expired`,
  maxMonthsAhead: (v, r, ctx) =>
    timeOf(v) <= addMonthsUtc(ctx.now, r.months!).getTime()
      ? undefined
      : `${v} is more than ${r.months} months after ${ctx.now.toISOString()}`,
  graphApplicationId: (v) =>
    typeof v === "string" && /^\/applications\/[^/]+$/.test(v)
      ? undefined
      : `must be an application resource id "/applications/<object id>" (azuread.Application.id), got ${JSON.stringify(v)}`,
  conflictsWith: (_v, r, ctx) =>
    ctx.inputs[r.other!] !== undefined ? `conflicts with ${r.other}: set only one` : undefined,
  ignoredByProvider: () => "is never read by the provider: the value is silently ignored",
  scopeValueNotId: (v) =>
    typeof v === "string" && UUID.test(v)
      ? "must be a scope value such as user_impersonation, not a scope id"
      : undefined,
  unixSeconds: (v) =>
    Number.isInteger(v) && (v as number) >= 0
      ? undefined
      : `must be whole seconds since 1970-01-01, got ${JSON.stringify(v)}`,
  futureSeconds: (v, _r, ctx) =>
    (v as number) * 1000 > ctx.now.getTime()
      ? undefined
      : `${new Date((v as number) * 1000).toISOString()} is not after ${ctx.now.toISOString()}: the vault secret would be created expired`,
};
