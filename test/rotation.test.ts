import { afterEach, describe, expect, it, vi } from "vitest";
import { rotationPlan, type RotationPolicy } from "../components/entra/rotation";
import { parseStackConfig } from "../components/config";
import { loadBuilt } from "./helpers/dist";
import { TENANT, flatConfig } from "./helpers/stackConfig";
import type * as Evaluate from "../scripts/sandbox/evaluate";

const { evaluateStack } = loadBuilt<typeof Evaluate>("scripts/sandbox/evaluate.js");
const policy = (over: Partial<RotationPolicy> = {}): RotationPolicy => ({
  lifetimeMonths: 12, rotateEveryDays: 90, generation: 0, anchor: "2026-01-01T00:00:00Z", ...over,
});
const at = (iso: string) => new Date(iso);

describe("rotation schedule", () => {
  it("gives the same plan anywhere inside one period: no perpetual diffs", () => {
    expect(rotationPlan(policy(), at("2026-04-02T00:00:00Z"))).toEqual(rotationPlan(policy(), at("2026-06-29T23:59:00Z")));
  });

  it("a new period replaces only the older slot and makes it active; the other slot is untouched", () => {
    const before = rotationPlan(policy(), at("2026-05-01T00:00:00Z"));
    const after = rotationPlan(policy(), at("2026-07-01T00:00:00Z"));
    expect(after.counter).toBe(before.counter + 1);
    expect(after.active.slot).toBe(before.previous.slot);
    expect(after.active.rotation).not.toBe(before.previous.rotation);
    expect(after.previous).toEqual({ ...before.active, active: false });
    expect(after.active).toMatchObject({ issuedAt: "2026-06-30T00:00:00Z", endDate: "2027-06-30T00:00:00Z" });
  });

  it("an on-demand rotation does the same within the period, and a second one replaces the other slot", () => {
    const base = rotationPlan(policy(), at("2026-05-01T00:00:00Z"));
    const once = rotationPlan(policy({ generation: 1, rotatedAt: "2026-05-02T08:00:00Z" }), at("2026-05-03T00:00:00Z"));
    expect(once.active.slot).toBe(base.previous.slot);
    expect(once.previous).toEqual({ ...base.active, active: false });
    const twice = rotationPlan(policy({ generation: 2, rotatedAt: "2026-05-20T08:00:00Z" }), at("2026-05-21T00:00:00Z"));
    expect(twice.active.slot).toBe(once.previous.slot);
    expect(twice.previous).toEqual({ ...once.active, active: false });
    // the next scheduled rotation keeps the on-demand secret as the previous one
    const tick = rotationPlan(policy({ generation: 2, rotatedAt: "2026-05-20T08:00:00Z" }), at("2026-07-02T00:00:00Z"));
    expect(tick.previous).toEqual({ ...twice.active, active: false });
  });

  it("rejects a schedule longer than the lifetime and a generation without its time", () => {
    const problems = (secret: object) => {
      try { parseStackConfig({ tenantId: TENANT, integrations: [{ name: "ab", profile: "custom", secret }] }); return ""; } catch (e) { return String(e); }
    };
    expect(problems({ lifetimeMonths: 3, rotateEveryDays: 120 })).toMatch(/secret\.rotateEveryDays: must be shorter than the secret's lifetime \(91 days/);
    expect(problems({ generation: 2 })).toMatch(/secret\.rotatedAt: is required once generation is above 0/);
    expect(problems({ generation: 1, rotatedAt: "yesterday" })).toMatch(/secret\.rotatedAt: must be an ISO 8601 time/);
  });
});

describe("rotation in the program", () => {
  const config = (secret: object) => flatConfig({ tenantId: TENANT, integrations: [{ name: "crm", profile: "custom", secret: { lifetimeMonths: 12, rotateEveryDays: 90, rotationAnchor: "2026-01-01T00:00:00Z", ...secret } }] });
  const run = async (now: string, secret: object = {}) => evaluateStack("rotation", { now: () => at(now), config: config(secret) });
  const passwords = (plan: Evaluate.Plan) => Object.fromEntries(plan.resources.filter((r) => r.type.endsWith("ApplicationPassword")).map((r) => [r.name, r.inputs]));
  const generic = (plan: Evaluate.Plan) => (plan.outputs.integrations as Record<string, { generic: Record<string, any> }>).crm.generic;
  afterEach(() => vi.restoreAllMocks());

  it("replaces one slot per rotation, switches the active output, and changes nothing between rotations", async () => {
    const p1 = await run("2026-04-05T00:00:00Z");
    const p1b = await run("2026-06-20T00:00:00Z");
    expect(passwords(p1b)).toEqual(passwords(p1));
    const p2 = await run("2026-07-05T00:00:00Z");
    const [a1, a2] = [passwords(p1), passwords(p2)];
    const changed = Object.keys(a1).filter((k) => JSON.stringify(a1[k]) !== JSON.stringify(a2[k]));
    expect(changed).toEqual([`crm-secret-${generic(p1).activeSecretSlot === "a" ? "b" : "a"}`]);
    expect(generic(p2).activeSecretSlot).not.toBe(generic(p1).activeSecretSlot);
    expect(generic(p2).secretSlots[generic(p1).activeSecretSlot]).toMatchObject({ active: false, expiresAt: generic(p1).secretExpiresAt });
    const p3 = await run("2026-07-06T00:00:00Z", { generation: 1, rotatedAt: "2026-07-06T00:00:00Z" });
    expect(generic(p3).activeSecretSlot).toBe(generic(p1).activeSecretSlot);
    expect(passwords(p3)[`crm-secret-${generic(p2).activeSecretSlot}`]).toEqual(passwords(p2)[`crm-secret-${generic(p2).activeSecretSlot}`]);
  });

  it("warns when the active secret is inside the expiry window, and not before", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const secret = { rotateEveryDays: 360, expiryWarningDays: 30 };
    await run("2026-02-01T00:00:00Z", secret);
    const early = [...warn.mock.calls, ...error.mock.calls].flat().join("\n");
    expect(early).not.toMatch(/ends in/);
    await run("2026-12-10T00:00:00Z", secret);
    const late = [...warn.mock.calls, ...error.mock.calls].flat().join("\n");
    expect(late).toMatch(/client secret of crm \(slot a\) ends in 22 days, on 2027-01-01T00:00:00Z/);
  });
});
