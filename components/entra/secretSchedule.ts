import { commandLine } from "../commandLine";
import { addMonthsUtc, MAX_SECRET_LIFETIME_MONTHS } from "./secretExpiry";

const DAY_MS = 86_400_000;
/** Warn when the secret the vendor holds ends within this many days, unless the stack says otherwise. */
export const DEFAULT_EXPIRY_WARNING_DAYS = 30;

export interface SecretPolicy {
  lifetimeMonths: number;
  /** Days after the held secret's creation when the next one is created for handover. */
  rotateEveryDays: number;
  /** On-demand rotations asked for so far (bumped by scripts/rotate-secret). */
  generation: number;
  /** Warn (and let CI fail) when the held secret ends within this many days. */
  expiryWarningDays: number;
}

/** What the stack file records about the secret the vendor holds (written by scripts/record-handover). */
export interface Handover {
  /** Rotation number of the secret pasted into the vendor's settings. */
  rotation: number;
  /** When that secret was created (its end date is this plus the lifetime). */
  createdAt: string;
  /** The on-demand generation already served by this secret; a higher `generation` asks for a new one. */
  generation: number;
  /**
   * Its end date as it was fixed at creation (recorded from the outputs). A lifetime changed later applies to the
   * next secret only; without it the end date is counted from createdAt with the current lifetime.
   */
  endDate?: string;
}

export type SecretRole = "held" | "pending" | "initial";

export interface PlannedSecret {
  /** 1, 2, 3, ...: names the resources (`<integration>-secret-<rotation>`); never reused. */
  rotation: number;
  /**
   * held: the vendor has it (recorded); pending: created for the next handover; initial: the first secret, not yet
   * recorded as handed over.
   */
  role: SecretRole;
}

export interface SecretPlan {
  /** The secrets that must exist now, oldest first: one, or two while a handover is under way. */
  secrets: PlannedSecret[];
  /** The secret to hand to the vendor: the newest one. */
  handOut: number;
  /** The held secret's end date, when a handover is recorded. */
  heldEndsAt?: string;
  /** When the next secret is (or was) scheduled for the held one; undefined before the first handover. */
  nextRotationAt?: string;
  /** Whole days until the held secret ends (negative once it has). */
  heldDaysLeft?: number;
  /** Human-readable warnings for the preview log, the status command and CI. */
  warnings: string[];
}

export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The end date of a secret created at `createdAt`: its full lifetime, in the whole-second UTC form Graph returns. */
export function endDateOf(createdAt: string, lifetimeMonths: number): string {
  const months = Math.min(lifetimeMonths, MAX_SECRET_LIFETIME_MONTHS);
  const created = new Date(Math.floor(Date.parse(createdAt) / 1000) * 1000);
  return iso(addMonthsUtc(created, months).getTime());
}

/** Days from `now` until `date`, rounded down. */
export function daysUntil(date: string, now: Date): number {
  return Math.floor((Date.parse(date) - now.getTime()) / DAY_MS);
}

/** A lifetime in months as whole days (365-day years), for comparing with day-based schedules. */
export function lifetimeDays(lifetimeMonths: number): number {
  return Math.floor((lifetimeMonths * 365) / 12);
}

/** Default warning window: 30 days, or a third of a shorter lifetime, so it always fits inside the secret's life. */
export function defaultExpiryWarningDays(lifetimeMonths: number): number {
  return Math.max(1, Math.min(DEFAULT_EXPIRY_WARNING_DAYS, Math.floor(lifetimeDays(lifetimeMonths) / 3)));
}

/** Default schedule: the next secret is created halfway through the held one's life. */
export function defaultRotateEveryDays(lifetimeMonths: number): number {
  return Math.floor(lifetimeDays(lifetimeMonths) / 2);
}

/**
 * Which secrets must exist at `now`, decided from the stack config alone (so every preview between two rotations
 * sees the same inputs):
 * - no handover recorded: one secret, rotation 1 (the first `pulumi up` creates exactly one);
 * - handover of H recorded: H stays until it ends; once the next rotation is due (H's creation + rotateEveryDays,
 *   but never later than the start of H's warning window, and at once for an on-demand request) secret H+1 is
 *   created beside it. H is removed only when a handover of H+1 is recorded or when H has ended: the secret the
 *   vendor holds is never deleted while it is valid. At most one secret waits for handover.
 */
export function secretPlan(
  policy: SecretPolicy,
  handover: Handover | undefined,
  now: Date,
  recordCommand = commandLine("record-handover"),
): SecretPlan {
  if (!handover) {
    return {
      secrets: [{ rotation: 1, role: "initial" }],
      handOut: 1,
      warnings: [
        `no handover is recorded: once the client secret is in the vendor's settings, record it with \`${recordCommand}\`, or it will never be rotated`,
      ],
    };
  }
  const H = handover.rotation;
  const heldEndsAt = handover.endDate
    ? iso(Date.parse(handover.endDate))
    : endDateOf(handover.createdAt, policy.lifetimeMonths);
  const warnFrom = Date.parse(heldEndsAt) - policy.expiryWarningDays * DAY_MS;
  const scheduled = Math.min(Date.parse(handover.createdAt) + policy.rotateEveryDays * DAY_MS, warnFrom);
  const onDemand = policy.generation > handover.generation;
  const due = onDemand || now.getTime() >= scheduled;
  const heldValid = now.getTime() < Date.parse(heldEndsAt);
  const secrets: PlannedSecret[] = [];
  if (heldValid) secrets.push({ rotation: H, role: "held" });
  if (due) secrets.push({ rotation: H + 1, role: "pending" });
  // An ended held secret with nothing due cannot happen (the rotation is due before the warning window starts);
  // keep the record's secret declared rather than none.
  if (secrets.length === 0) secrets.push({ rotation: H, role: "held" });
  const heldDaysLeft = daysUntil(heldEndsAt, now);
  const warnings: string[] = [];
  if (!heldValid) {
    warnings.push(
      `the secret the vendor holds (rotation ${H}) ended on ${heldEndsAt}: hand over rotation ${H + 1} now and record it (${commandLine("record-handover")})`,
    );
  } else if (heldDaysLeft <= policy.expiryWarningDays) {
    warnings.push(
      `the secret the vendor holds (rotation ${H}) ends in ${heldDaysLeft} days, on ${heldEndsAt}: paste rotation ${H + 1} into the vendor's settings and record the handover (${commandLine("record-handover")})`,
    );
  }
  return { secrets, handOut: due ? H + 1 : H, heldEndsAt, nextRotationAt: iso(scheduled), heldDaysLeft, warnings };
}

/** Why a recorded handover cannot be right at `now`, or undefined. */
export function handoverProblem(handover: Handover, now: Date): string | undefined {
  if (Date.parse(handover.createdAt) > now.getTime())
    return `createdAt ${handover.createdAt} is in the future: record the creation time the stack output shows`;
  if (handover.endDate && Date.parse(handover.endDate) <= Date.parse(handover.createdAt))
    return `endDate ${handover.endDate} is not after createdAt ${handover.createdAt}`;
  return undefined;
}
