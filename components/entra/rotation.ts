import { addMonthsUtc } from "./secretExpiry";

const DAY_MS = 86_400_000;
/** Warn when the active secret ends within this many days, unless the stack says otherwise. */
export const DEFAULT_EXPIRY_WARNING_DAYS = 30;
/** Schedules count periods from this instant unless the stack sets its own anchor. */
export const DEFAULT_ROTATION_ANCHOR = "2024-01-01T00:00:00Z";

export interface RotationPolicy {
  lifetimeMonths: number;
  /** Days between scheduled rotations. */
  rotateEveryDays: number;
  /** On-demand rotations so far (bumped by scripts/rotate-secret). */
  generation: number;
  /** When the latest on-demand rotation was asked for (written with the generation); required once generation > 0. */
  rotatedAt?: string;
  /** Start of period 0 of the schedule. */
  anchor: string;
}

export type SlotName = "a" | "b";

export interface SecretSlot {
  slot: SlotName;
  /** The rotation counter value this slot's secret belongs to; a new value replaces the secret. */
  rotation: number;
  /** Start of the schedule period the secret was issued in; its end date counts from here. */
  issuedAt: string;
  endDate: string;
  active: boolean;
}

export interface RotationPlan {
  /** Rotations so far: scheduled periods elapsed plus on-demand generations. */
  counter: number;
  active: SecretSlot;
  previous: SecretSlot;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * Which secret is active and what each of the two slots holds, at `now`. Everything is a function of the
 * schedule period `now` falls in and the on-demand generation, never of `now` itself: previews between two
 * rotations see identical inputs. A rotation (a new period, or a bumped generation) moves the counter by one,
 * which replaces only the slot of the older secret; the other slot keeps its key and end date, so the secret
 * the vendor still uses stays valid until its own end date.
 */
export function rotationPlan(policy: RotationPolicy, now: Date): RotationPlan {
  const anchor = Date.parse(policy.anchor);
  const period = policy.rotateEveryDays * DAY_MS;
  const p = Math.max(0, Math.floor((now.getTime() - anchor) / period));
  const periodStart = (index: number) => anchor + Math.max(0, index) * period;
  const counter = p + policy.generation;
  // The older secret was issued in this period too when an on-demand rotation happened in it.
  const rotatedThisPeriod = policy.generation > 0 && policy.rotatedAt !== undefined && Date.parse(policy.rotatedAt) >= periodStart(p);
  const slot = (rotation: number, issued: number, active: boolean): SecretSlot => ({
    slot: ((rotation % 2) + 2) % 2 === 0 ? "a" : "b",
    rotation,
    issuedAt: iso(issued),
    endDate: iso(addMonthsUtc(new Date(issued), policy.lifetimeMonths).getTime()),
    active,
  });
  return {
    counter,
    active: slot(counter, periodStart(p), true),
    previous: slot(counter - 1, rotatedThisPeriod ? periodStart(p) : periodStart(p - 1), false),
  };
}

/** Days from `now` until the end date. */
export function daysUntil(endDate: string, now: Date): number {
  return Math.floor((Date.parse(endDate) - now.getTime()) / DAY_MS);
}

/** A lifetime in months as whole days (365-day years), for comparing with day-based schedules. */
export function lifetimeDays(lifetimeMonths: number): number {
  return Math.floor((lifetimeMonths * 365) / 12);
}

/** Default schedule: rotate halfway through a secret's life, so the two slots always overlap. */
export function defaultRotateEveryDays(lifetimeMonths: number): number {
  return Math.floor(lifetimeDays(lifetimeMonths) / 2);
}
