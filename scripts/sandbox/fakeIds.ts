import { createHash } from "node:crypto";

function digest(seed: string): string {
  return createHash("sha256").update(seed).digest("hex");
}

/** A stable GUID derived from a seed, so offline runs print the same ids every time. */
export function fakeGuid(seed: string): string {
  const h = digest(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A stable stand-in for a client secret value (Entra secrets are 40 characters). */
export function fakeSecret(seed: string): string {
  return `fake~${digest(`secret:${seed}`).slice(0, 35)}`;
}
