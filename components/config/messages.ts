import type { z } from "zod";
import { distance } from "fastest-levenshtein";
import { ENVIRONMENT_KEY_RULE } from "./fields";
import { KNOWN_KEYS } from "./schema";

/** Pulumi project name; stack config keys live under this namespace (`crm-sync:<key>`). */
export const CONFIG_NAMESPACE = "crm-sync";

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

export function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(issue.path);
    return issue.keys
      .map((key) => {
        const hint = closestKey(key, known);
        return `${formatPath([...issue.path, key])}: unknown setting${hint ? ` (did you mean ${hint}?)` : ""}${known.length ? `; known here: ${known.join(", ")}` : ""}`;
      })
      .join("\n  - ");
  }
  const input = (issue as { input?: unknown }).input;
  const generic = /received|^Invalid input/.test(issue.message);
  if (issue.code === "invalid_type" && input === undefined) {
    if (/^is required/.test(issue.message)) return `${formatPath(issue.path)}: ${issue.message}`;
    return `${formatPath(issue.path)}: is required${generic ? ` (${issue.expected})` : `: ${issue.message}`}`;
  }
  if (issue.code === "invalid_key") {
    const rule =
      issue.path.at(-2) === "access"
        ? ": must be a table logical name (lowercase letters, digits and _, e.g. account)"
        : issue.path.at(-2) === "dataverseEnvironments"
          ? `: ${ENVIRONMENT_KEY_RULE}`
          : "";
    return `${formatPath(issue.path)}: is not a valid key here${rule}`;
  }
  if (generic) {
    const expected = issue.code === "invalid_type" ? issue.expected : "another value";
    return `${formatPath(issue.path)}: must be ${expected}, got ${kindOf(input)}`;
  }
  return `${formatPath(issue.path)}: ${issue.message}`;
}
