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

/** Larger than any stack export or preview of a crm-sync stack: refused rather than held in memory. */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;
/** More integrations than one stack holds in practice; output stays bounded. */
const MAX_INTEGRATIONS = 1000;
const NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
const isMapping = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** JSON text, refused with a clear message when it is not JSON or nests deeper than any stack output does. */
export function parseJsonInput(raw: string, expected: string, maxDepth = 64): unknown {
  // A byte-order mark (files saved by some Windows editors) is not part of the JSON.
  const text = raw.replace(/^\uFEFF/, "");
  if (!text.trim()) throw new Error(`the input is empty: pipe in ${expected}`);
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") deepest = Math.max(deepest, ++depth);
    else if (c === "}" || c === "]") depth -= 1;
  }
  if (deepest > maxDepth)
    throw new Error(`the input nests ${deepest} levels deep (at most ${maxDepth}): it is not ${expected}`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`the input is not JSON (${(err as Error).message}): pipe in ${expected}`, { cause: err });
  }
}

/** Reads `pulumi stack output --json --show-secrets` text; clear errors for anything else. */
export function parseStackOutputs(text: string): Record<string, IntegrationOutput> {
  const expected = "`pulumi stack output --json --show-secrets` of a crm-sync stack";
  const doc = parseJsonInput(text, expected);
  if (!isMapping(doc)) throw new Error(`the input is ${Array.isArray(doc) ? "a list" : typeof doc}, not ${expected}`);
  // `npm start -s -- --json` (the sandbox) carries the stack outputs under `outputs`, beside `stack` and `resources`.
  const sandbox = !isMapping(doc.integrations) && isMapping(doc.outputs) && Array.isArray(doc.resources);
  const integrations = sandbox ? (doc.outputs as Record<string, unknown>).integrations : doc.integrations;
  if (!isMapping(integrations)) {
    throw new Error(
      `the input has no \`integrations\` output (top-level keys: ${Object.keys(doc).join(", ") || "none"}): is this ${expected}?`,
    );
  }
  if (Object.keys(integrations).length === 0)
    throw new Error("the input's `integrations` output is empty: the stack has no integration");
  if (Object.keys(integrations).length > MAX_INTEGRATIONS)
    throw new Error(
      `the input lists ${Object.keys(integrations).length} integrations (at most ${MAX_INTEGRATIONS}): refusing the input`,
    );
  for (const [name, value] of Object.entries(integrations)) {
    if (!NAME.test(name))
      throw new Error(
        `integration name "${name}" is not one crm-sync creates (lowercase letters, digits, dashes): refusing the input`,
      );
    if (
      !isMapping(value) ||
      !isMapping(value.settings) ||
      !Array.isArray(value.secretFields) ||
      !value.secretFields.every((f) => typeof f === "string")
    ) {
      throw new Error(
        `integration "${name}" has no settings/secretFields in the outputs; redeploy with this version of crm-sync`,
      );
    }
    if (!isMapping(value.generic))
      throw new Error(
        `integration "${name}" has no generic block in the outputs; redeploy with this version of crm-sync`,
      );
  }
  return integrations as unknown as Record<string, IntegrationOutput>;
}

/**
 * Reads the input from a file, or stdin for `-` / no file; `expected` names the command to pipe in.
 * Stdin is read as a stream to its end: a synchronous read of fd 0 fails with EAGAIN when the producer (such as
 * `pulumi`) writes in parts into a non-blocking pipe.
 */
export async function readInput(
  file: string | undefined,
  expected = "`pulumi stack output --json --show-secrets`",
): Promise<string> {
  if (file && file !== "-") {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch (err) {
      throw new Error(`--input ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`, {
        cause: err,
      });
    }
    // A folder, a named pipe or a device is refused: reading it would fail obscurely or wait for ever.
    if (!stat.isFile()) throw new Error(`--input ${file} is not a regular file: give the file that holds ${expected}`);
    if (stat.size > MAX_INPUT_BYTES)
      throw new Error(`--input ${file} is ${stat.size} bytes (at most ${MAX_INPUT_BYTES}): it is not ${expected}`);
    return fs.readFileSync(file, "utf8");
  }
  if (process.stdin.isTTY) throw new Error(`no input: pipe ${expected} in, or pass --input <file>`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > MAX_INPUT_BYTES) throw new Error(`the input is over ${MAX_INPUT_BYTES} bytes: it is not ${expected}`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Picks one integration by name, or fails listing the names there are. */
export function pickIntegration(
  outputs: Record<string, IntegrationOutput>,
  name: string | undefined,
): [string, IntegrationOutput] {
  const names = Object.keys(outputs);
  if (!name) {
    if (names.length === 1) return [names[0], outputs[names[0]]];
    throw new Error(`the stack has several integrations; choose one with --integration (${names.join(", ")})`);
  }
  if (!outputs[name]) throw new Error(`no integration "${name}" in the outputs (there are: ${names.join(", ")})`);
  return [name, outputs[name]];
}
