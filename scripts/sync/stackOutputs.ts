import * as fs from "node:fs";

/** One integration's part of the stack outputs (see components/syncIntegration.ts). */
export interface IntegrationOutput {
  profile: string;
  settings: Record<string, unknown>;
  secretFields: string[];
  /** CData-style connection properties (cdata profile). */
  connectionProperties?: Record<string, unknown>;
  /** The steps left in the vendor's screen. */
  nextSteps?: string[];
  generic: Record<string, unknown>;
}

/** Reads `pulumi stack output --json --show-secrets` text; clear errors for anything else. */
export function parseStackOutputs(text: string): Record<string, IntegrationOutput> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error("input is not JSON: pipe in `pulumi stack output --json --show-secrets`");
  }
  const integrations = (doc as { integrations?: unknown })?.integrations;
  if (!integrations || typeof integrations !== "object") {
    throw new Error("input has no `integrations` output: is this `pulumi stack output --json --show-secrets` of a crm-sync stack?");
  }
  for (const [name, value] of Object.entries(integrations as Record<string, IntegrationOutput>)) {
    if (!value || typeof value !== "object" || typeof value.settings !== "object" || !Array.isArray(value.secretFields)) {
      throw new Error(`integration "${name}" has no settings/secretFields in the outputs; redeploy with this version of crm-sync`);
    }
  }
  return integrations as Record<string, IntegrationOutput>;
}

/**
 * Reads the input from a file, or stdin for `-` / no file; `expected` names the command to pipe in.
 * Stdin is read as a stream to its end: a synchronous read of fd 0 fails with EAGAIN when the producer (such as
 * `pulumi`) writes in parts into a non-blocking pipe.
 */
export async function readInput(file: string | undefined, expected = "`pulumi stack output --json --show-secrets`"): Promise<string> {
  if (file && file !== "-") return fs.readFileSync(file, "utf8");
  if (process.stdin.isTTY) throw new Error(`no input: pipe ${expected} in, or pass --input <file>`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** Picks one integration by name, or fails listing the names there are. */
export function pickIntegration(outputs: Record<string, IntegrationOutput>, name: string | undefined): [string, IntegrationOutput] {
  const names = Object.keys(outputs);
  if (!name) {
    if (names.length === 1) return [names[0], outputs[names[0]]];
    throw new Error(`the stack has several integrations; choose one with --integration (${names.join(", ")})`);
  }
  if (!outputs[name]) throw new Error(`no integration "${name}" in the outputs (there are: ${names.join(", ")})`);
  return [name, outputs[name]];
}
