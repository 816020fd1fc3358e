import { createRequire } from "node:module";
import * as path from "node:path";

const requireNative = createRequire(import.meta.url);
const DIST = path.resolve(__dirname, "../../dist");

/**
 * Loads a module from the tsc build (CommonJS, as the Pulumi CLI runs it) with Node's own loader,
 * bypassing vitest's transform: Pulumi's closure serialization cannot capture vitest's module wrappers.
 */
export function loadBuilt<T>(modulePath: string): T {
  return requireNative(path.join(DIST, modulePath)) as T;
}
