import type { VendorProfile } from "../profile";
import { brightPattern } from "./brightPattern";
import { cdata } from "./cdata";
import { custom } from "./custom";
import { daktela } from "./daktela";
import { raynet } from "./raynet";
import { syncari } from "./syncari";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each profile has its own settings type
export const PROFILES: Record<string, VendorProfile<any>> = Object.fromEntries(
  [daktela, brightPattern, syncari, cdata, raynet, custom].map((p) => [p.key, p]),
);

export const PROFILE_KEYS = Object.keys(PROFILES) as [string, ...string[]];
