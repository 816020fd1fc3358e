import type { IntegrationOutput } from "../sync/stackOutputs";
import { instantProblem } from "../../components/entra/secretExpiry";

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

/** More live secrets than a schedule ever keeps (at most two at once) means the input is not what it claims. */
const MAX_SECRETS = 10;
const KEY_ID = /^[\w-]{1,64}$/;

/**
 * The live secrets of one integration from its outputs; every field is checked and a bad one is refused by its path
 * (a gate must fail closed on an end date that is not a time, never print NaN and pass).
 */
export function secretsOf(name: string, out: IntegrationOutput): SecretOutput[] {
  const list = out.generic.secrets;
  if (!Array.isArray(list))
    throw new Error(
      `integration "${name}" has no generic.secrets list in the outputs: run \`pulumi up\` with this version of crm-sync first`,
    );
  if (list.length > MAX_SECRETS)
    throw new Error(
      `integration "${name}": generic.secrets lists ${list.length} secrets (a stack keeps at most 2): refusing the input`,
    );
  const at = (i: number, field: string) => `integration "${name}": generic.secrets[${i}].${field}`;
  return list.map((s: unknown, i): SecretOutput => {
    if (!s || typeof s !== "object" || Array.isArray(s))
      throw new Error(`integration "${name}": generic.secrets[${i}] is not a secret entry`);
    const e = s as Record<string, unknown>;
    // An adopted integration lists the vendor's own secret first: rotation 0, managed: false, creation unknown ("").
    const vendorOwn = e.managed === false && e.rotation === 0;
    if (!vendorOwn && (!Number.isInteger(e.rotation) || (e.rotation as number) < 1))
      throw new Error(
        `${at(i, "rotation")} must be a whole number from 1, got ${JSON.stringify(e.rotation)?.slice(0, 40)}`,
      );
    for (const field of vendorOwn && e.createdAt === "" ? ["endDate"] : ["createdAt", "endDate"]) {
      const problem = instantProblem(e[field]);
      if (problem) throw new Error(`${at(i, field)} ${problem}`);
    }
    if (e.keyId !== undefined && (typeof e.keyId !== "string" || !KEY_ID.test(e.keyId)))
      throw new Error(`${at(i, "keyId")} must be a key id (a GUID as the outputs list it)`);
    for (const field of ["heldByVendor", "awaitingHandover"]) {
      if (e[field] !== undefined && typeof e[field] !== "boolean")
        throw new Error(`${at(i, field)} must be true or false`);
    }
    return {
      rotation: e.rotation as number,
      keyId: String(e.keyId ?? ""),
      createdAt: e.createdAt as string,
      endDate: e.endDate as string,
      heldByVendor: e.heldByVendor === true,
      awaitingHandover: e.awaitingHandover === true,
      ...(vendorOwn ? { managed: false, listedForRemoval: e.listedForRemoval === true } : {}),
    };
  });
}

/** `generic.expiryWarningDays` of one integration: a whole number of days, else refused by name. */
export function warningDaysOf(name: string, out: IntegrationOutput, fallback: number): number {
  const value = out.generic.expiryWarningDays;
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 730) {
    throw new Error(
      `integration "${name}": generic.expiryWarningDays must be a whole number of days from 0 to 730, got ${JSON.stringify(value)?.slice(0, 40)}`,
    );
  }
  return value;
}
