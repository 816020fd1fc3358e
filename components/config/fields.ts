import { z } from "zod";
import { parsePermission, type Permission } from "../entra/permissions";
import { redirectUriProblem, registeredRedirectUri, type Platform } from "../entra/redirectUris";
import { environmentUrlProblem, GUID_PATTERN, normalizeEnvironmentUrl } from "../dataverse/inputs";
import { instantProblem } from "../entra/secretExpiry";

/** Field types the stack config schema is built from: ids, URLs, permissions, lists without duplicates, instants. */
export const DEFAULT_DATAVERSE_SUFFIX = ".dynamics.com";

/**
 * A Dataverse environment lives on a Dataverse host (`<org>.crm[N].dynamics.com`, or a suffix the stack adds for a
 * sovereign cloud); the local emulator on loopback http is allowed for the sandbox and tests.
 */
export function dataverseHostProblem(url: string, suffixes: string[]): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  const { protocol, hostname } = parsed;
  if (protocol === "http:") return undefined; // loopback only: environmentUrlProblem refused anything else
  if (suffixes.some((s) => hostname.endsWith(s.toLowerCase()) && hostname.length > s.length)) return undefined;
  return `${hostname} is not a Dataverse host (expected <org>.crm.dynamics.com or a regional crmN host; for a sovereign cloud add its suffix to crm-sync:dataverseHostSuffixes), got "${url}"`;
}

export const ENVIRONMENT_KEY = /^[a-zA-Z][\w-]{0,63}$/;
export const ENVIRONMENT_KEY_RULE =
  "must be an environment key: a letter, then letters, digits, _ or - (at most 64), e.g. sales";

export const guid = z
  .string({ error: "must be a GUID" })
  .regex(GUID_PATTERN, { error: "must be a GUID like 00000000-0000-0000-0000-000000000000" })
  .transform((s) => s.toLowerCase());

/** A URL typed without its scheme (`contoso.crm.dynamics.com`) gets a precise message, not the parser's "Invalid URL". */
export function schemeProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  const host = value.split("/")[0];
  return `has no scheme: write https://${host || "<org>.crm.dynamics.com"} (the environment root, with https://), got "${value.slice(0, 80)}"`;
}

/** `https://org.crm.dynamics.com` (no trailing slash); loopback http allowed for the emulator. */
export const environmentUrl = z
  .string({ error: "must be a URL string" })
  .superRefine((value, ctx) => {
    const problem = schemeProblem(value) ?? environmentUrlProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform(normalizeEnvironmentUrl);

export const permission = z.string({ error: "must be a permission name" }).transform((text, ctx): Permission => {
  const parsed = parsePermission(text);
  if ("error" in parsed) {
    ctx.addIssue({ code: "custom", message: parsed.error });
    return z.NEVER;
  }
  return parsed;
});

/** One platform's redirect URIs, in the form they are registered, each checked by the provider's and Entra's rules. */
export const redirectUriList = (platform: Platform) =>
  uniqueList(
    z
      .string({ error: "must be a URL string" })
      .superRefine((uri, ctx) => {
        const problem = redirectUriProblem(uri, platform);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .transform((uri) => registeredRedirectUri(uri, platform)),
    "redirect URI",
  );

export const uniqueList = <T extends z.ZodType<string>>(item: T, what: string) =>
  z.array(item).superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((entry, index) => {
      const key = String(entry).toLowerCase();
      if (seen.has(key)) {
        ctx.addIssue({
          code: "custom",
          path: [index],
          message: `duplicate ${what} "${entry}" (also at [${seen.get(key)}])`,
        });
      } else seen.set(key, index);
    });
  });

export const TABLE_NAME = /^[a-z][a-z0-9_]{0,63}$/;
export const tableName = z.string({ error: "must be a table logical name" }).regex(TABLE_NAME, {
  error: "must be a table logical name: lowercase letters, digits and _, e.g. account or new_project",
});

export const isoInstant = z
  .string({ error: "must be an ISO 8601 time such as 2026-11-22T10:00:00Z" })
  .superRefine((v, ctx) => {
    const problem = instantProblem(v);
    if (problem)
      ctx.addIssue({
        code: "custom",
        message: `${problem.replace(/ \(e\.g\. .*\)$/, "")}: must be an ISO 8601 time such as 2026-11-22T10:00:00Z`,
      });
  });

/** An on-demand rotation count: 0 until scripts/rotate-secret asks for the first. */
export const generationNumber = z
  .number({ error: "must be a whole number" })
  .int({ error: "must be a whole number" })
  .min(0, { error: "must not be negative" })
  .default(0);
