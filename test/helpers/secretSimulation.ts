import { endDateOf, iso, secretPlan, type Handover, type SecretPolicy } from "../../components/entra/secretSchedule";

const DAY = 86_400_000;

/** When the vendor's people paste the pending secret and record the handover. */
export type HandoverHabit =
  { kind: "onTime"; daysAfterPending: number } | { kind: "late"; daysAfterHeldEnds: number } | { kind: "never" };

export interface SimulationResult {
  days: number;
  /** Secrets alive in Entra per day. */
  alivePerDay: number[];
  /** Rotations created, with the day. */
  created: { day: number; rotation: number; createdAt: string; endDate: string }[];
  /** Violations of the safety properties; empty when the run is safe. */
  violations: string[];
  /** Days on which the vendor's secret had ended (an outage). */
  outageDays: number;
  /** For each held secret that got a successor: days between the successor's creation and the held secret's end. */
  leadTimes: number[];
  /** For each held secret: days between the first expiry warning and its end (or the handover). */
  warningLeads: number[];
  /** Days on which no secret was created or deleted but some secret input changed. */
  unstableDays: number;
  /** Per day: the config and state a run started from, and the secrets it left (for replaying through the program). */
  runs: SimulatedRun[];
}

export interface SimulatedRun {
  day: number;
  now: Date;
  handover?: Handover;
  generation: number;
  /** Secrets in state before the run, by rotation. */
  before: Record<number, { createdAt: string; endDate: string }>;
  /** Secrets in state after the run. */
  after: Record<number, { createdAt: string; endDate: string }>;
}

/**
 * Walks one integration through `days` daily runs of `pulumi up` through the planner's clock seam: each run
 * plans from the stack config (policy + recorded handover) as of that day, creates what is missing (a new secret
 * is created "now" and ends a full lifetime later), deletes what is no longer declared, and lets the vendor hand
 * over by habit. `onDemand` lists days on which someone bumps `generation`.
 */
export function simulate(
  policy: SecretPolicy,
  habit: HandoverHabit,
  start: Date,
  days: number,
  onDemand: number[] = [],
): SimulationResult {
  const state = new Map<number, { createdAt: string; endDate: string }>();
  let handover: Handover | undefined;
  let vendorHolds: number | undefined;
  let generation = policy.generation;
  const result: SimulationResult = {
    days,
    alivePerDay: [],
    created: [],
    violations: [],
    outageDays: 0,
    leadTimes: [],
    warningLeads: [],
    unstableDays: 0,
    runs: [],
  };
  let previousInputs = "";
  let pendingSince: number | undefined;
  let firstWarning: number | undefined;
  for (let day = 0; day < days; day += 1) {
    const now = new Date(start.getTime() + day * DAY);
    if (onDemand.includes(day) && handover) generation += 1;
    const plan = secretPlan({ ...policy, generation }, handover, now);
    const run: SimulatedRun = { day, now, handover, generation, before: Object.fromEntries(state), after: {} };
    const wanted = new Set(plan.secrets.map((s) => s.rotation));
    let changed = false;
    for (const { rotation } of plan.secrets) {
      if (state.has(rotation)) continue;
      const createdAt = iso(Math.floor(now.getTime() / 1000) * 1000);
      const endDate = endDateOf(createdAt, policy.lifetimeMonths);
      if (Date.parse(endDate) <= now.getTime())
        result.violations.push(`day ${day}: rotation ${rotation} created already ended (${endDate})`);
      if (Date.parse(endDate) > now.getTime() + 731 * DAY)
        result.violations.push(`day ${day}: rotation ${rotation} ends beyond 24 months (${endDate})`);
      state.set(rotation, { createdAt, endDate });
      result.created.push({ day, rotation, createdAt, endDate });
      if (handover && rotation > handover.rotation) {
        pendingSince = day;
        result.leadTimes.push(Math.floor((Date.parse(state.get(handover.rotation)!.endDate) - now.getTime()) / DAY));
      }
      changed = true;
    }
    for (const rotation of [...state.keys()]) {
      if (wanted.has(rotation)) continue;
      const s = state.get(rotation)!;
      if (rotation === vendorHolds && Date.parse(s.endDate) > now.getTime())
        result.violations.push(
          `day ${day}: deleted rotation ${rotation}, which the vendor holds and which is still valid`,
        );
      state.delete(rotation);
      changed = true;
    }
    const inputs = JSON.stringify(
      [...state.entries()].map(([r, s]) => [r, `managed by Pulumi, rotation ${r}`, s.endDate]),
    );
    if (!changed && day > 0 && inputs !== previousInputs) result.unstableDays += 1;
    previousInputs = inputs;
    result.alivePerDay.push(state.size);
    run.after = Object.fromEntries(state);
    result.runs.push(run);
    if (plan.warnings.some((w) => w.includes("the vendor holds")) && firstWarning === undefined) firstWarning = day;

    // The vendor: first setup on day 0, then by habit.
    const newest = Math.max(...state.keys());
    const handOver = () => {
      if (handover && firstWarning !== undefined)
        result.warningLeads.push(
          Math.floor(
            (Date.parse(state.get(handover.rotation)?.endDate ?? now.toISOString()) -
              (start.getTime() + firstWarning * DAY)) /
              DAY,
          ),
        );
      vendorHolds = newest;
      handover = { rotation: newest, createdAt: state.get(newest)!.createdAt, generation };
      pendingSince = undefined;
      firstWarning = undefined;
    };
    if (day === 0) handOver();
    else if (handover && newest > handover.rotation && habit.kind !== "never") {
      const heldEnd = Date.parse(endDateOf(handover.createdAt, policy.lifetimeMonths));
      if (habit.kind === "onTime" && pendingSince !== undefined && day >= pendingSince + habit.daysAfterPending)
        handOver();
      if (habit.kind === "late" && now.getTime() >= heldEnd + habit.daysAfterHeldEnds * DAY) handOver();
    }
    const held = vendorHolds === undefined ? undefined : state.get(vendorHolds);
    if (vendorHolds !== undefined && (!held || Date.parse(held.endDate) <= now.getTime())) result.outageDays += 1;
  }
  return result;
}
