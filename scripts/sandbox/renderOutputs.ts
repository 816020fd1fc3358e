import { PROFILES } from "../../components/sync/profiles";
import { Secret } from "./resolve";

function flattenOutputs(value: unknown, prefix: string, out: string[]): void {
  if (value instanceof Secret) out.push(`${prefix}: [secret]`);
  else if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenOutputs(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.push(`${prefix}: ${Array.isArray(value) ? value.join(", ") : String(value)}`);
}

const show = (v: unknown): string => {
  if (v instanceof Secret) return "[secret]";
  if (Array.isArray(v)) return v.join(", ");
  if (v && typeof v === "object")
    return Object.entries(v)
      .map(([k, x]) => `${k}: ${show(x)}`)
      .join("; ");
  return String(v);
};

/** Per integration: the vendor's fields as its settings screen names them, the steps left, then the generic block. */
export function renderIntegrationOutputs(outputs: Record<string, unknown>): string[] {
  type Out = {
    profile?: string;
    settings?: Record<string, unknown>;
    connectionProperties?: Record<string, unknown>;
    nextSteps?: string[];
    generic?: Record<string, unknown>;
    secretsInKeyVault?: Record<string, unknown>;
    profileEntries?: Record<string, { fromProfile: string[]; fromUser: string[]; replaced?: boolean }>;
  };
  const integrations = (outputs.integrations ?? {}) as Record<string, Out>;
  const lines: string[] = [];
  const block = (title: string, fields: Record<string, unknown>, labels: Record<string, string> = {}) => {
    const named = Object.entries(fields).map(
      ([field, value]) => [labels[field] ? `${field} (${labels[field]})` : field, value] as const,
    );
    const width = Math.max(...named.map(([k]) => k.length), 0);
    lines.push(title);
    for (const [field, value] of named) lines.push(`    ${field.padEnd(width)}  ${show(value)}`);
  };
  for (const [name, out] of Object.entries(integrations)) {
    const profile = PROFILES[out.profile ?? ""];
    lines.push("");
    block(
      `Stack outputs of "${name}": integrations.${name}.settings, for the ${profile?.title ?? out.profile} settings screen, field by field:`,
      out.settings ?? {},
      profile?.screenLabels,
    );
    if (out.connectionProperties)
      block(`  integrations.${name}.connectionProperties (CData connection properties):`, out.connectionProperties);
    if (out.secretsInKeyVault) {
      lines.push(`  integrations.${name}.secretsInKeyVault (secret fields, kept out of the outputs):`);
      for (const [field, where] of Object.entries(out.secretsInKeyVault)) lines.push(`    ${field}: ${show(where)}`);
    }
    if (out.nextSteps?.length) {
      lines.push(`  integrations.${name}.nextSteps (left to do in the vendor's screen):`);
      out.nextSteps.forEach((step, i) => lines.push(`    ${i + 1}. ${step}`));
    }
    const entries = Object.entries(out.profileEntries ?? {});
    if (entries.length) {
      lines.push(
        `  integrations.${name}.profileEntries (which list entries came from the ${out.profile} profile, which from you):`,
      );
      for (const [field, o] of entries) {
        lines.push(
          `    ${field}: profile: ${o.fromProfile.join(", ") || "-"}; yours: ${o.fromUser.join(", ") || "-"}${o.replaced ? " (your list replaces the profile's: replaceProfileDefaults)" : ""}`,
        );
      }
    }
    lines.push(`  integrations.${name}.generic:`);
    for (const [key, value] of Object.entries(out.generic ?? {})) {
      if (key === "secrets") for (const v of value as object[]) lines.push(`    secret: ${show(v)}`);
      else lines.push(`    ${key}: ${show(value)}`);
    }
  }
  const rest = Object.fromEntries(Object.entries(outputs).filter(([k]) => k !== "integrations"));
  if (Object.keys(rest).length) {
    const other: string[] = [];
    flattenOutputs(rest, "", other);
    lines.push("", "Other stack outputs:", ...other.map((o) => `  ${o}`));
  }
  return lines;
}

export const OUTPUTS_HEADING =
  "Stack outputs, as `pulumi stack output` shows them after this run (Dataverse ids as the run created them, Entra ids simulated; secrets masked):";

/** The stack outputs section of the sandbox text: the outputs, or why there are none. */
export function renderStackOutputs(outputs: Record<string, unknown> | undefined, unavailable?: string): string {
  if (!outputs) return `Stack outputs: not available, because ${unavailable ?? "the run did not finish"}.`;
  return [OUTPUTS_HEADING, ...renderIntegrationOutputs(outputs)].join("\n");
}
