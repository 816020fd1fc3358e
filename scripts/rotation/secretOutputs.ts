import type { IntegrationOutput } from "../sync/stackOutputs";

/** One live client secret as the stack outputs list it (`generic.secrets`). */
export interface SecretOutput {
  rotation: number;
  keyId: string;
  createdAt: string;
  endDate: string;
  heldByVendor: boolean;
  awaitingHandover: boolean;
  /** false for the vendor's own secret of an adopted integration (rotation 0, never managed by the stack). */
  managed?: boolean;
  /** That secret after a managed one was handed over: to be removed (existing.vendorSecret.remove). */
  listedForRemoval?: boolean;
}

/** The live secrets of one integration from its outputs, or a clear error for outputs of an older version. */
export function secretsOf(name: string, out: IntegrationOutput): SecretOutput[] {
  const list = out.generic.secrets;
  const ok = Array.isArray(list) && list.every((s) => s && typeof s === "object" && Number.isInteger(s.rotation) && typeof s.createdAt === "string" && typeof s.endDate === "string");
  // (An adopted integration lists the vendor's own secret first: rotation 0, managed: false, createdAt unknown "".)
  if (!ok) throw new Error(`integration "${name}" has no generic.secrets list in the outputs: run \`pulumi up\` with this version of crm-sync first`);
  return list as SecretOutput[];
}
