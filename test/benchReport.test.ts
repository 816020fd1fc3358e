import { describe, expect, it } from "vitest";
import { changeTrackingCase } from "../bench/cases";
import type { Measured, Sample } from "../bench/measure";
import { floorMs, median, renderTable, type Cell } from "../bench/report";

const m = (wallMs: number, requests = 3): Measured => ({ requests, writes: 1, stages: 3, wallMs });
const sampleOf = (ours: number): Sample => ({
  ours: m(ours),
  rerun: { requests: 2, writes: 0, stages: 1 },
  sequential: m(900, 30),
  capped: m(300, 21),
});

describe("bench report", () => {
  it("takes the median of repeated samples", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("prices the floor as its stages times latency plus one operation's server work", () => {
    const cell: Cell = {
      case: changeTrackingCase(10),
      conditions: { latencyMs: 50, operationCostMs: 10 },
      samples: [],
    };
    expect(floorMs(cell)).toBe(3 * 60);
  });

  it("reports medians, the ratios to both naive scripts and to the floor, and the no-op rerun", () => {
    const cell: Cell = {
      case: changeTrackingCase(10),
      conditions: { latencyMs: 50, operationCostMs: 0 },
      samples: [sampleOf(200), sampleOf(100), sampleOf(150)],
    };
    const row = renderTable([cell]).split("\n")[2];
    expect(row).toBe(
      "| change tracking, 10 tables | 50 ms | 0 ms | 3 / 30 / 21 | 3 / 3 | 150 (100-200) / 900 / 300 | 6.0x | 2.0x | 1.0x | 2, 0 |",
    );
  });
});
