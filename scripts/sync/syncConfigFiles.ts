import type { IntegrationOutput } from "./stackOutputs";

export const REDACTED = "[redacted]";
/** What `pulumi stack output --json` prints for a secret without --show-secrets. */
const MASKED = "[secret]";

export interface SyncConfigFile {
  integration: string;
  json: string;
  env: string;
}

/** `Instance URI` -> `INSTANCE_URI`, `OAuthClientId` -> `OAUTH_CLIENT_ID`. */
export function envName(field: string): string {
  return field
    .replace(/OAuth/g, "Oauth")
    .replace(/([A-Z]+)([A-Z][a-z]{2,})/g, "$1_$2")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();
}

function envValue(value: unknown): string {
  const text = Array.isArray(value) ? value.join(",") : String(value);
  return /^[\w@%+=:,./~[\]-]*$/.test(text) ? text : `"${text.replace(/(["\\$`])/g, "\\$1").replace(/\n/g, "\\n")}"`;
}

/**
 * The files an integration's settings become: JSON in the vendor's own field names, and a .env with the same
 * fields. With `redact`, secret fields read "[redacted]" so the files can be shared.
 */
export function syncConfigFiles(
  outputs: Record<string, IntegrationOutput>,
  options: { redact: boolean },
): SyncConfigFile[] {
  return Object.entries(outputs).map(([integration, out]) => {
    const reveal = (block: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(block).map(([field, value]) => {
          const scalar = (v: unknown) => typeof v === "string" || typeof v === "number" || typeof v === "boolean";
          if (!scalar(value) && !(Array.isArray(value) && value.every(scalar))) {
            throw new Error(
              `integration "${integration}": ${field} is ${value === null ? "null" : Array.isArray(value) ? "a list of non-text values" : typeof value}, expected text: is this the output of this crm-sync version?`,
            );
          }
          const secret = out.secretFields.includes(field);
          if (secret && value === MASKED && !options.redact) {
            throw new Error(
              `integration "${integration}": ${field} is masked; run \`pulumi stack output --json --show-secrets\`, or pass --redact`,
            );
          }
          return [field, secret && options.redact ? REDACTED : value];
        }),
      );
    const settings = reveal(out.settings);
    const connectionProperties = out.connectionProperties ? reveal(out.connectionProperties) : undefined;
    const json = `${JSON.stringify({ integration, profile: out.profile, settings, ...(connectionProperties ? { connectionProperties } : {}) }, null, 2)}\n`;
    // One .env line per name: a connection property that repeats a settings field under the same name is written once.
    const lines = new Map<string, string>();
    for (const [field, value] of [...Object.entries(settings), ...Object.entries(connectionProperties ?? {})]) {
      if (!lines.has(envName(field))) lines.set(envName(field), `${envName(field)}=${envValue(value)}`);
    }
    const env =
      [
        `# ${integration} (${out.profile}) sync settings${options.redact ? ", secrets redacted" : ""}`,
        ...lines.values(),
      ].join("\n") + "\n";
    return { integration, json, env };
  });
}
