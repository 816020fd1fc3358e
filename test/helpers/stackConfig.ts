/** Builds the flat `crm-sync:key -> text` config map the Pulumi runtime holds. */
export function flatConfig(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [`crm-sync:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

export const TENANT = "5f3c1a2b-7d4e-4f60-9a8b-0c1d2e3f4a5b";
export const FIXED_NOW = new Date("2026-03-15T10:00:00Z");
