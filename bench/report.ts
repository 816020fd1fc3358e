import type { BenchCase } from "./cases";
import type { Conditions, Measured, Sample } from "./measure";

export interface Cell {
  case: BenchCase;
  conditions: Conditions;
  samples: Sample[];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const ratio = (a: number, b: number) =>
  Number.isNaN(a) || Number.isNaN(b) ? "failed" : b > 0 ? `${(a / b).toFixed(1)}x` : "-";
const ms = (v: number) => (Number.isNaN(v) ? "failed" : v.toFixed(0));
const wall = (samples: Sample[], pick: (s: Sample) => Measured) => median(samples.map((s) => pick(s).wallMs));
const range = (samples: Sample[], pick: (s: Sample) => Measured) => {
  const values = samples.map((s) => pick(s).wallMs);
  return `${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)}`;
};

/** The floor's wall time: its stages, each one latency plus one operation's server work (operations in parallel). */
export const floorMs = (cell: Cell) =>
  cell.case.floor.stages * (cell.conditions.latencyMs + cell.conditions.operationCostMs);

/** A Markdown table: medians of the repeated samples (request and stage counts do not vary between samples). */
export function renderTable(cells: Cell[]): string {
  const lines = [
    "| case | latency | op cost | requests: ours / seq / capped | stages: ours / floor | wall ms median: ours (range) / seq / capped | seq / ours | capped / ours | ours / floor | no-op rerun: requests, writes |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const cell of cells) {
    const [s] = cell.samples;
    const ours = wall(cell.samples, (x) => x.ours);
    const floor = floorMs(cell);
    lines.push(
      `| ${cell.case.name} | ${cell.conditions.latencyMs} ms | ${cell.conditions.operationCostMs} ms | ${s.ours.requests} / ${s.sequential.requests} / ${s.capped.requests} | ` +
        `${s.ours.stages} / ${cell.case.floor.stages} | ${ours.toFixed(0)} (${range(cell.samples, (x) => x.ours)}) / ${ms(wall(cell.samples, (x) => x.sequential))} / ${ms(wall(cell.samples, (x) => x.capped))} | ` +
        `${ratio(
          wall(cell.samples, (x) => x.sequential),
          ours,
        )} | ${ratio(
          wall(cell.samples, (x) => x.capped),
          ours,
        )} | ${floor ? ratio(ours, floor) : "-"} | ${s.rerun.requests}, ${s.rerun.writes} |`,
    );
  }
  return lines.join("\n");
}

export function renderAssumptions(cells: Cell[]): string {
  const seen = new Map(cells.map((c) => [c.case.name.replace(/, \d+ .*$/, ""), c.case.floor]));
  return [...seen].map(([name, floor]) => `- ${name}: floor ${floor.stages} stages; ${floor.assumptions}.`).join("\n");
}
