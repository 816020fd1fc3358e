import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { duplicateKeyPaths } from "./yamlChecks";

/** The folder holding Pulumi.yaml, found by walking up from this file (works from src and dist). */
export function projectRoot(start = __dirname): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no Pulumi.yaml above ${start}`);
    dir = parent;
  }
  return dir;
}

/** The stack files' folder: `stacks/` of the project, or CRM_SYNC_STACKS_DIR (tests use a scratch copy). */
export function stacksDir(root?: string): string {
  if (!root && process.env.CRM_SYNC_STACKS_DIR) return process.env.CRM_SYNC_STACKS_DIR;
  return path.join(root ?? projectRoot(), "stacks");
}

/** Stack names that have a `Pulumi.<stack>.yaml` in the folder. */
export function listStacks(dir = stacksDir()): string[] {
  return fs
    .readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
}

/**
 * Reads `Pulumi.<stack>.yaml` into the flat `namespace:key -> text` map the Pulumi runtime holds
 * (objects as JSON, as the CLI passes them). Encrypted `secure:` values cannot be read offline and are refused.
 */
export function loadStackConfig(stack: string, dir = stacksDir()): Record<string, string> {
  const file = stackFile(stack, dir);
  return stackConfigFromText(readStackText(file), file);
}

/** A stack file's text; a file that cannot be read is named with the reason (EACCES, EISDIR, ...). */
export function readStackText(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`, { cause: err });
  }
}

/** The path of an existing `Pulumi.<stack>.yaml`; refuses a name that is not a stack name or names no file. */
export function stackFile(stack: string, dir = stacksDir()): string {
  // Pulumi stack names: letters, digits, "-", "_", "."; never a path.
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(stack) || stack.includes("..")) {
    throw new Error(
      `"${stack}" is not a stack name (letters, digits, -, _ and .; stacks here: ${listStacks(dir).join(", ") || "none"})`,
    );
  }
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new Error(
      `no stack "${stack}": ${file} does not exist (stacks here: ${listStacks(dir).join(", ") || "none"})`,
    );
  }
  if (!fs.statSync(file).isFile()) throw new Error(`stack "${stack}": ${file} is not a file`);
  return file;
}

/** Deeper nesting than any stack setting has is refused before parsing (the parser would exhaust its stack). */
export const MAX_YAML_DEPTH = 64;

/** The deepest nesting of YAML flow collections ([ ] and { }) outside quoted text and comments, or of indentation. */
function deepestFlowNesting(text: string): number {
  let depth = 0;
  let deepest = 0;
  let quote: string | undefined;
  let comment = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === "\n") {
      comment = false;
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (c === "\\" && quote === '"') i += 1;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]))) comment = true;
    else if (c === "[" || c === "{") deepest = Math.max(deepest, ++depth);
    else if ((c === "]" || c === "}") && depth > 0) depth -= 1;
  }
  const indent = Math.max(0, ...text.split("\n").map((l) => /^ */.exec(l)![0].length));
  return Math.max(deepest, Math.floor(indent / 2));
}

/** Top-level keys Pulumi itself writes into a stack file; anything else there is a mistake. */
const STACK_FILE_KEYS = ["config", "encryptionsalt", "secretsprovider", "encryptedkey", "environment"];

/** The flat config map of a stack file's text; `label` names the file in errors (with line and column for YAML). */
export function stackConfigFromText(text: string, label: string): Record<string, string> {
  const flowDepth = deepestFlowNesting(text);
  if (flowDepth > MAX_YAML_DEPTH)
    throw new Error(
      `${label}: nests ${flowDepth} levels deep (at most ${MAX_YAML_DEPTH}): no stack setting needs that`,
    );
  let parsed: ReturnType<typeof parseDocument>;
  let plain: unknown;
  try {
    parsed = parseDocument(text, { uniqueKeys: false });
    plain = parsed.errors.length ? undefined : parsed.toJS();
  } catch (err) {
    if (err instanceof RangeError)
      throw new Error(`${label}: nests too deeply to read (at most ${MAX_YAML_DEPTH} levels)`, { cause: err });
    // The YAML library refuses alias bombs (aliases expanding to millions of nodes) with its own words.
    if (/alias/i.test((err as Error).message))
      throw new Error(`${label}: its aliases (*name) expand to too many nodes; write the settings out instead`, {
        cause: err,
      });
    throw new Error(`${label}: cannot be read as YAML (${(err as Error).message})`, { cause: err });
  }
  const yamlError = parsed.errors[0];
  if (yamlError) {
    const at = yamlError.linePos?.[0];
    throw new Error(
      `${label}${at ? `:${at.line}:${at.col}` : ""}: not valid YAML: ${yamlError.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`,
    );
  }
  const duplicates = duplicateKeyPaths(parsed);
  if (duplicates.length)
    throw new Error(
      `${label}: ${duplicates.map((d) => `"${d}"`).join(", ")} ${duplicates.length > 1 ? "appear" : "appears"} twice: keep one of each`,
    );
  const doc = (plain ?? {}) as Record<string, unknown>;
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new Error(
      `${label}: a stack file is a mapping with a config: key, got ${Array.isArray(doc) ? "a list" : typeof doc}`,
    );
  const stray = Object.keys(doc).filter((k) => !STACK_FILE_KEYS.includes(k));
  if (stray.length) {
    throw new Error(
      `${label}: ${stray.map((k) => `"${k}"`).join(", ")} ${stray.length > 1 ? "are" : "is"} outside config: (settings go under config:, e.g. config:\n  crm-sync:tenantId: ...)`,
    );
  }
  const rawConfig = doc.config ?? {};
  if (typeof rawConfig !== "object" || rawConfig === null || Array.isArray(rawConfig))
    throw new Error(`${label}: config: must be a mapping of namespace:key settings`);
  const config = rawConfig as Record<string, unknown>;
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value && typeof value === "object" && "secure" in value) {
      throw new Error(`${label}: ${key} is an encrypted secret; the offline run cannot decrypt it`);
    }
    flat[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return flat;
}
