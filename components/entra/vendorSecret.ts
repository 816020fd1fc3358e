import { daysUntil, iso, secretPlan, type Handover, type SecretPlan, type SecretPolicy } from "./secretSchedule";

const DAY_MS = 86_400_000;

/** The client secret an adopted integration's vendor holds now: made by hand, unmanaged, known by key id only. */
export interface VendorSecret {
  keyId: string;
  endDate: string;
  displayName?: string;
  /** The user asked the program to remove it (honoured only after a managed secret was handed over). */
  remove: boolean;
}

/**
 * held: the vendor still uses it; replaced: a managed secret was handed over, so it is listed for removal;
 * removalRequested: replaced, and the user asked for it to be removed.
 */
export type VendorSecretStatus = "held" | "replaced" | "removalRequested";

export interface VendorSecretState {
  keyId: string;
  endDate: string;
  displayName?: string;
  status: VendorSecretStatus;
  daysLeft: number;
}

export interface AdoptedSecretPlan extends SecretPlan {
  vendorSecret: VendorSecretState;
}

/**
 * The secret schedule of an adopted integration. Until a managed secret is handed over, the vendor's own secret is
 * the held one: no managed secret exists (`handOut` 0) until a rotation is due, which is the start of the warning
 * window before the vendor secret's end date, or at once for an on-demand rotation (`generation` above 0). Then
 * managed rotation 1 is created, awaiting handover. Once a handover is recorded the normal schedule takes over and
 * the vendor's secret is only listed for removal; it is never deleted by a schedule.
 */
export function adoptedSecretPlan(
  policy: SecretPolicy,
  vendor: VendorSecret,
  handover: Handover | undefined,
  now: Date,
  recordCommand?: string,
): AdoptedSecretPlan {
  const daysLeft = daysUntil(vendor.endDate, now);
  const state = (status: VendorSecretStatus): VendorSecretState => ({
    keyId: vendor.keyId,
    endDate: vendor.endDate,
    ...(vendor.displayName ? { displayName: vendor.displayName } : {}),
    status,
    daysLeft,
  });
  if (handover) {
    const plan = secretPlan(policy, handover, now, recordCommand);
    const status = vendor.remove ? "removalRequested" : "replaced";
    const warnings =
      status === "replaced"
        ? [
            ...plan.warnings,
            `the vendor's former secret (key id ${vendor.keyId}, unmanaged) is no longer in use since rotation ${handover.rotation} was handed over: it is listed for removal; set existing.vendorSecret.remove: true to remove it`,
          ]
        : plan.warnings;
    return { ...plan, warnings, vendorSecret: state(status) };
  }
  const warnFrom = Date.parse(vendor.endDate) - policy.expiryWarningDays * DAY_MS;
  const due = policy.generation > 0 || now.getTime() >= warnFrom;
  const ended = now.getTime() >= Date.parse(vendor.endDate);
  const warnings: string[] = [];
  if (ended) {
    warnings.push(
      `the vendor's own secret (key id ${vendor.keyId}, unmanaged) ended on ${vendor.endDate}: paste managed rotation 1 into the vendor's settings now and record it (npm run -s record-handover)`,
    );
  } else if (due) {
    warnings.push(
      `the vendor's own secret (key id ${vendor.keyId}, unmanaged) ends in ${daysLeft} days, on ${vendor.endDate}: paste managed rotation 1 into the vendor's settings and record the handover (npm run -s record-handover)`,
    );
  }
  return {
    secrets: due ? [{ rotation: 1, role: "pending" }] : [],
    handOut: due ? 1 : 0,
    heldEndsAt: vendor.endDate,
    nextRotationAt: iso(warnFrom),
    heldDaysLeft: daysLeft,
    warnings,
    vendorSecret: state("held"),
  };
}
