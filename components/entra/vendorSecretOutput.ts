import type { VendorSecretState } from "./vendorSecret";

/**
 * The vendor's own secret of an adopted integration as `generic.secrets` lists it: rotation 0 (it was never a
 * managed rotation), `managed: false`, its key id and end date; `createdAt` is unknown to the stack (Entra's
 * startDateTime is not recorded), so it is empty. `listedForRemoval` once a managed secret was handed over.
 */
export function vendorSecretEntry(v: VendorSecretState) {
  return {
    rotation: 0,
    keyId: v.keyId,
    createdAt: "",
    endDate: v.endDate,
    heldByVendor: v.status === "held",
    awaitingHandover: false,
    managed: false,
    ...(v.displayName ? { displayName: v.displayName } : {}),
    ...(v.status !== "held" ? { listedForRemoval: true, removalRequested: v.status === "removalRequested" } : {}),
  };
}
