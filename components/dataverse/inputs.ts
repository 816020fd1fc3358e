import { isLoopbackHost } from "../loopback";

export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the engine sends for a value not known yet (e.g. a new app's client id during preview). */
export const UNKNOWN_DURING_PREVIEW = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isGuid(value: unknown): value is string {
  return typeof value === "string" && GUID_PATTERN.test(value);
}

/** Why a Dataverse environment URL is unacceptable, or undefined. https root only; http only on loopback (the emulator). */
export function environmentUrlProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return "must be a URL string such as https://contoso.crm4.dynamics.com";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute URL such as https://contoso.crm4.dynamics.com";
  }
  const loopback = url.protocol === "http:" && isLoopbackHost(url.hostname);
  if (url.protocol !== "https:" && !loopback) {
    return "must use https:// (http:// only for a loopback emulator such as http://127.0.0.1:8080)";
  }
  if (url.pathname !== "/" || url.search || url.hash || url.username || url.password) {
    return "must be the environment root (no path such as /api/data/v9.2, no query, no credentials)";
  }
  return undefined;
}

/** `https://Org.crm.dynamics.com/` -> `https://org.crm.dynamics.com`. */
export function normalizeEnvironmentUrl(value: string): string {
  return new URL(value).origin;
}

export interface CheckFailure {
  property: string;
  reason: string;
}
