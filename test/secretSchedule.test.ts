import { describe, expect, it } from "vitest";
import { defaultRotateEveryDays, endDateOf, secretPlan, type SecretPolicy } from "../components/entra/secretSchedule";
import { ConfigError, parseStackConfig } from "../components/config";
import { simulate, type HandoverHabit } from "./helpers/secretSimulation";
import { TENANT, flatConfig } from "./helpers/stackConfig";
import { loadBuilt } from "./helpers/dist";
import type * as Evaluate from "../scripts/sandbox/evaluate";
import extract from "../components/validation/providerSchema.json";

const { evaluateStack } = loadBuilt<typeof Evaluate>("scripts/sandbox/evaluate.js");

const at = (s: string) => new Date(s);
const policy = (over: Partial<SecretPolicy> = {}): SecretPolicy => ({
  lifetimeMonths: 12,
  rotateEveryDays: 182,
  generation: 0,
  expiryWarningDays: 30,
  ...over,
});
const held = { rotation: 3, createdAt: "2026-01-10T08:00:00Z", generation: 0 };

describe("secret plan", () => {
  it("no handover recorded: exactly one secret, and a reminder to record the handover", () => {
    const plan = secretPlan(policy(), undefined, at("2026-03-01T00:00:00Z"));
    expect(plan.secrets).toEqual([{ rotation: 1, role: "initial" }]);
    expect(plan.handOut).toBe(1);
    expect(plan.warnings.join()).toMatch(/record-handover/);
  });

  it("ends a full lifetime after creation, in Graph's whole-second UTC form, never past 24 months", () => {
    expect(endDateOf("2026-01-31T10:20:30.999Z", 1)).toBe("2026-02-28T10:20:30Z");
    expect(endDateOf("2026-03-15T10:00:00Z", 24)).toBe("2028-03-15T10:00:00Z");
    expect(endDateOf("2026-03-15T10:00:00Z", 30)).toBe("2028-03-15T10:00:00Z");
  });

  it("keeps the held secret alone until the next one is due, then both until the handover or the end", () => {
    expect(secretPlan(policy(), held, at("2026-07-10T07:59:59Z")).secrets).toEqual([{ rotation: 3, role: "held" }]);
    const due = secretPlan(policy(), held, at("2026-07-11T08:00:00Z"));
    expect(due.secrets).toEqual([
      { rotation: 3, role: "held" },
      { rotation: 4, role: "pending" },
    ]);
    expect(due.handOut).toBe(4);
    expect(due.nextRotationAt).toBe("2026-07-11T08:00:00Z");
    const ended = secretPlan(policy(), held, at("2027-01-10T08:00:00Z"));
    expect(ended.secrets).toEqual([{ rotation: 4, role: "pending" }]);
    expect(ended.warnings.join()).toMatch(/ended on 2027-01-10T08:00:00Z/);
  });

  it("never schedules the next secret later than the start of the held one's warning window", () => {
    const plan = secretPlan(policy({ rotateEveryDays: 360, expiryWarningDays: 45 }), held, at("2026-12-01T00:00:00Z"));
    expect(plan.nextRotationAt).toBe("2026-11-26T08:00:00Z");
    expect(plan.secrets.map((s) => s.rotation)).toEqual([3, 4]);
  });

  it("an on-demand request creates the next secret at once and keeps the held one", () => {
    const plan = secretPlan(policy({ generation: 1 }), held, at("2026-02-01T00:00:00Z"));
    expect(plan.secrets).toEqual([
      { rotation: 3, role: "held" },
      { rotation: 4, role: "pending" },
    ]);
  });

  it("warns on the secret the vendor holds, not on the newest", () => {
    const plan = secretPlan(policy(), held, at("2026-12-20T00:00:00Z"));
    expect(plan.warnings).toEqual([
      expect.stringMatching(
        /the secret the vendor holds \(rotation 3\) ends in 21 days, on 2027-01-10T08:00:00Z: paste rotation 4/,
      ),
    ]);
  });

  it("previews between rotations see identical plans", () => {
    const days = Array.from({ length: 150 }, (_, d) =>
      secretPlan(policy(), held, new Date(Date.parse("2026-01-11T00:00:00Z") + d * 86_400_000)),
    );
    expect(new Set(days.map((p) => JSON.stringify({ ...p, heldDaysLeft: 0 }))).size).toBe(1);
  });
});

describe("secret config", () => {
  const cfg = (secret: object) => ({ tenantId: TENANT, integrations: [{ name: "crm", profile: "custom", secret }] });
  const problems = (secret: object, now = at("2026-03-01T00:00:00Z")) => {
    try {
      parseStackConfig(cfg(secret), now);
      return "";
    } catch (err) {
      return (err as ConfigError).problems.join("\n");
    }
  };
  it("refuses a handover in the future, on-demand rotation before any handover, and windows as long as the lifetime", () => {
    expect(problems({ handedOver: { rotation: 1, createdAt: "2199-01-01T00:00:00Z" } })).toMatch(
      /secret\.handedOver\.createdAt: createdAt 2199-01-01T00:00:00Z is in the future/,
    );
    expect(problems({ generation: 1 })).toMatch(
      /secret\.generation: asks for an on-demand rotation, but no handover is recorded/,
    );
    expect(problems({ lifetimeMonths: 1, expiryWarningDays: 30 })).toMatch(
      /secret\.expiryWarningDays: must be shorter than the secret's lifetime/,
    );
    expect(problems({ lifetimeMonths: 12, rotateEveryDays: 400 })).toMatch(/secret\.rotateEveryDays: must be shorter/);
    expect(problems({ handedOver: { rotation: 0, createdAt: "2026-01-01T00:00:00Z" } })).toMatch(
      /handedOver\.rotation: must be 1 or more/,
    );
    expect(problems({ rotationAnchor: "2024-01-01T00:00:00Z" })).toMatch(/secret\.rotationAnchor: unknown setting/);
    expect(
      problems({ handedOver: { rotation: 2, createdAt: "2026-01-01T00:00:00Z", generation: 1 }, generation: 1 }),
    ).toBe("");
  });
});

describe("five years of daily runs", () => {
  const START = at("2026-01-05T06:30:00Z");
  const DAYS = 5 * 365 + 1;
  const policies: [string, SecretPolicy][] = [
    ["24 months, default schedule", policy({ lifetimeMonths: 24, rotateEveryDays: defaultRotateEveryDays(24) })],
    ["12 months every 300 days", policy({ lifetimeMonths: 12, rotateEveryDays: 300 })],
    [
      "6 months, default schedule",
      policy({ lifetimeMonths: 6, rotateEveryDays: defaultRotateEveryDays(6), expiryWarningDays: 14 }),
    ],
    ["2 months every 50 days", policy({ lifetimeMonths: 2, rotateEveryDays: 50, expiryWarningDays: 7 })],
  ];
  const habits: [string, HandoverHabit][] = [
    ["handover the day after", { kind: "onTime", daysAfterPending: 1 }],
    ["handover 5 days in", { kind: "onTime", daysAfterPending: 5 }],
    ["handover 20 days after the held secret ended", { kind: "late", daysAfterHeldEnds: 20 }],
    ["no handover ever", { kind: "never" }],
  ];
  const figures: string[] = [];

  for (const [label, p] of policies) {
    it.each(habits)(`${label}: %s`, (habitLabel, habit) => {
      const onDemand = habit.kind === "onTime" ? [400, 401, 900] : [];
      const r = simulate(p, habit, START, DAYS, onDemand);
      // The safety properties hold whatever the vendor does.
      expect(r.violations).toEqual([]);
      expect(r.unstableDays).toBe(0);
      expect(Math.max(...r.alivePerDay)).toBeLessThanOrEqual(2);
      expect(r.alivePerDay[0]).toBe(1);
      if (habit.kind === "onTime") {
        // Handovers within the warning window: the vendor never holds an ended secret, and rotation goes on.
        expect(r.outageDays).toBe(0);
        expect(r.created.length).toBeGreaterThan(DAYS / (p.rotateEveryDays + 20));
        expect(Math.min(...r.leadTimes)).toBeGreaterThanOrEqual(p.expiryWarningDays);
      } else {
        expect(r.outageDays).toBeGreaterThan(0);
      }
      const avg = r.alivePerDay.reduce((a, b) => a + b, 0) / r.alivePerDay.length;
      figures.push(
        `${label} | ${habitLabel} | secrets created ${r.created.length} | alive/day avg ${avg.toFixed(2)} max ${Math.max(...r.alivePerDay)} | lead time min ${r.leadTimes.length ? Math.min(...r.leadTimes) : "-"} d | outage days ${r.outageDays}`,
      );
    });
  }

  it("reports the measured figures", () => {
    expect(figures.length).toBe(policies.length * habits.length);
    console.log(`five-year simulation (${DAYS} daily runs each):\n${figures.join("\n")}`);
  });
});

describe("the program replays the simulation through its clock seam", () => {
  it("registers exactly the planned secrets, with the end dates the state implies, on every run that changes something and monthly", async () => {
    const p = policy({ lifetimeMonths: 12, rotateEveryDays: 300 });
    const sim = simulate(p, { kind: "onTime", daysAfterPending: 3 }, at("2026-01-05T06:30:00Z"), 2 * 365, [400]);
    const changing = sim.runs.filter(
      (r, i) => i === 0 || i % 30 === 0 || JSON.stringify(r.before) !== JSON.stringify(r.after),
    );
    expect(changing.length).toBeGreaterThan(25);
    for (const run of changing) {
      const secret = {
        lifetimeMonths: p.lifetimeMonths,
        rotateEveryDays: p.rotateEveryDays,
        expiryWarningDays: p.expiryWarningDays,
        generation: run.generation,
        ...(run.handover ? { handedOver: run.handover } : {}),
      };
      const config = flatConfig({ tenantId: TENANT, integrations: [{ name: "crm", profile: "custom", secret }] });
      const createdAt = Object.fromEntries(
        Object.entries(run.before).map(([r, s]) => [`crm-secret-${r}-created`, s.createdAt]),
      );
      const plan = await evaluateStack("replay", { now: () => run.now, config, createdAt });
      const passwords = plan.resources.filter(
        (r) => r.type === "azuread:index/applicationPassword:ApplicationPassword",
      );
      const expected = Object.entries(run.after).map(([r, s]) => [`crm-secret-${r}`, s.endDate]);
      expect(
        passwords.map((r) => [r.name, r.inputs.endDate]),
        `day ${run.day}`,
      ).toEqual(expected);
    }
  }, 120_000);
});

describe("a secret's end date is fixed when it is created", () => {
  const schema = (
    extract as unknown as {
      resources: Record<string, { inputProperties: Record<string, { willReplaceOnChanges?: boolean }> }>;
    }
  ).resources;
  /** The inputs whose change makes the provider replace the resource (willReplaceOnChanges in its published schema). */
  const replacingChanges = (type: string, before: Record<string, unknown>, after: Record<string, unknown>) =>
    Object.entries(schema[type].inputProperties)
      .filter(([key, p]) => p.willReplaceOnChanges && JSON.stringify(before[key]) !== JSON.stringify(after[key]))
      .map(([key]) => key);

  it("a shorter lifetime applies to the next secret: the one the vendor holds is not replaced", async () => {
    const now = at("2026-09-01T00:00:00Z");
    const recorded = { rotation: 3, createdAt: "2026-01-10T08:00:00Z", generation: 0, endDate: "2028-01-10T08:00:00Z" };
    const createdAt = { "crm-secret-3-created": recorded.createdAt };
    const run = async (lifetimeMonths: number) => {
      const config = flatConfig({
        tenantId: TENANT,
        integrations: [{ name: "crm", profile: "custom", secret: { lifetimeMonths, handedOver: recorded } }],
      });
      const plan = await evaluateStack("fixed-end", { now: () => now, config, createdAt });
      return plan.resources.filter((r) => r.type === "azuread:index/applicationPassword:ApplicationPassword");
    };
    const before = await run(24);
    const after = await run(12);
    const held = (list: typeof before) => list.find((r) => r.name === "crm-secret-3")!;
    expect(held(before).inputs.endDate).toBe("2028-01-10T08:00:00Z");
    expect(held(after).inputs.endDate).toBe("2028-01-10T08:00:00Z");
    expect(
      replacingChanges(
        "azuread:index/applicationPassword:ApplicationPassword",
        held(before).inputs,
        held(after).inputs,
      ),
    ).toEqual([]);
    // The rule the test relies on: an endDate that moved would replace the vendor's secret.
    expect(
      replacingChanges("azuread:index/applicationPassword:ApplicationPassword", held(before).inputs, {
        ...held(after).inputs,
        endDate: "2027-01-10T08:00:00Z",
      }),
    ).toEqual(["endDate"]);
    // With 12 months the next rotation is due (half of 365 days after 2026-01-10): the new secret counts 12 months.
    const next = after.find((r) => r.name === "crm-secret-4");
    expect(next?.inputs.endDate).toBe("2027-09-01T00:00:00Z");
  }, 120_000);

  it("the plan counts the held secret's end from its recorded end date, not from today's lifetime", () => {
    const recorded = { ...held, endDate: "2028-01-10T08:00:00Z" };
    expect(
      secretPlan(
        policy({ lifetimeMonths: 1, rotateEveryDays: 15, expiryWarningDays: 10 }),
        recorded,
        at("2026-09-01T00:00:00Z"),
      ).heldEndsAt,
    ).toBe("2028-01-10T08:00:00Z");
    expect(
      secretPlan(
        policy({ lifetimeMonths: 1, rotateEveryDays: 15, expiryWarningDays: 10 }),
        held,
        at("2026-09-01T00:00:00Z"),
      ).heldEndsAt,
    ).toBe("2026-02-10T08:00:00Z");
  });

  it("defaults adapt to a short lifetime the user chose", () => {
    const cfg = parseStackConfig({
      tenantId: TENANT,
      integrations: [{ name: "crm", profile: "custom", secret: { lifetimeMonths: 1 } }],
    });
    expect(cfg.integrations[0].secret).toMatchObject({ lifetimeMonths: 1, expiryWarningDays: 10, rotateEveryDays: 15 });
  });
});
