import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

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
  return fs.readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
}

/**
 * Reads `Pulumi.<stack>.yaml` into the flat `namespace:key -> text` map the Pulumi runtime holds
 * (objects as JSON, as the CLI passes them). Encrypted `secure:` values cannot be read offline and are refused.
 */
export function loadStackConfig(stack: string, dir = stacksDir()): Record<string, string> {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new Error(`no stack "${stack}": ${file} does not exist (stacks here: ${listStacks(dir).join(", ") || "none"})`);
  }
  return stackConfigFromText(fs.readFileSync(file, "utf8"), file);
}

/** The flat config map of a stack file's text; `label` names the file in errors. */
export function stackConfigFromText(text: string, label: string): Record<string, string> {
  const doc = parse(text) ?? {};
  const config: Record<string, unknown> = doc.config ?? {};
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value && typeof value === "object" && "secure" in value) {
      throw new Error(`${label}: ${key} is an encrypted secret; the offline run cannot decrypt it`);
    }
    flat[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return flat;
}
