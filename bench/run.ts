import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { settingsFromEnv } from "../components/dataverse/http/settings";
import { applicationUserCase, changeTrackingCase, securityRoleCase, type BenchCase } from "./cases";
import { sample } from "./measure";
import { REALISTIC, realisticRow, renderRealistic, type RealisticRow } from "./realistic";
import { renderAssumptions, renderTable, type Cell } from "./report";

const USAGE = `usage: npm run bench -- [--repeat <n>] [--latency <ms,...>] [--operation-cost <ms,...>] [--out <file>]

Measures our Dataverse providers against two naive scripts on the local emulator and prints a Markdown table.
  --repeat <n>               samples per cell, 1-50; the table shows medians (default 1; 3 for medians)
  --latency <ms,...>         network latency added to every answer (default 0,50,100)
  --operation-cost <ms,...>  server work per operation, once per $batch part (default 0,10)
  --realistic <n,...>        table counts of the realistic change-tracking profile (default 10,50,200; 0 skips it)
  --time-scale <factor>      wall time per simulated time in the realistic profile (default 0.1: 2 s cost 200 ms)
  --out <file>               where the report is written (default bench/results/latest.md, not tracked by git)`;

function numbers(flag: string, text: string, max: number): number[] {
  const list = text.split(",").map((v) => v.trim());
  if (!list.every((v) => /^\d{1,6}$/.test(v) && Number(v) <= max))
    throw new Error(`--${flag} must be whole numbers from 0 to ${max}, comma-separated, got "${text}"`);
  return list.map(Number);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      repeat: { type: "string", default: "1" },
      latency: { type: "string", default: "0,50,100" },
      "operation-cost": { type: "string", default: "0,10" },
      out: { type: "string", default: path.join("bench", "results", "latest.md") },
      realistic: { type: "string", default: "10,50,200" },
      "time-scale": { type: "string", default: "0.1" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [repeat] = numbers("repeat", values.repeat!, 50);
  if (repeat < 1) throw new Error("--repeat must be at least 1");
  const latencies = numbers("latency", values.latency!, 10_000);
  const costs = numbers("operation-cost", values["operation-cost"]!, 10_000);
  const realisticTables = numbers("realistic", values.realistic!, 1000).filter((n) => n > 0);
  const scale = Number(values["time-scale"]);
  if (!(scale > 0 && scale <= 1))
    throw new Error(`--time-scale must be a number above 0 and at most 1, got "${values["time-scale"]}"`);
  const cases: BenchCase[] = [
    changeTrackingCase(1),
    changeTrackingCase(10),
    changeTrackingCase(50),
    applicationUserCase(1),
    applicationUserCase(5),
    securityRoleCase(),
  ];

  const cells: Cell[] = [];
  for (const operationCostMs of costs) {
    for (const latencyMs of latencies) {
      for (const c of cases) {
        const cell: Cell = { case: c, conditions: { latencyMs, operationCostMs }, samples: [] };
        for (let i = 0; i < repeat; i++) cell.samples.push(await sample(c, cell.conditions));
        cells.push(cell);
        process.stderr.write(
          `${cells.length}/${cases.length * latencies.length * costs.length} ${c.name}, latency ${latencyMs} ms, op cost ${operationCostMs} ms\n`,
        );
      }
    }
  }
  const realistic: RealisticRow[] = [];
  if (realisticTables.length) await realisticRow(3, scale); // warm-up (JIT, first connections), not reported
  for (const n of realisticTables) {
    realistic.push(await realisticRow(n, scale));
    process.stderr.write(`realistic profile: ${n} tables done\n`);
  }
  const report = [
    `# Benchmark results`,
    ``,
    `\`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (${process.platform}, Node ${process.version}): the local emulator, ${repeat} sample(s) per cell, ` +
      `default client settings (concurrency cap ${settingsFromEnv().maxConcurrency}). "ours" is the provider's first run alone; "seq" the naive script one ` +
      `step at a time (publish after every table); "capped" the naive script with everything independent sent at once through the same cap ` +
      `(one publish). "op cost" is server work per operation, charged once per $batch part in order. Wall times are this machine's: compare ` +
      `ratios and counts.`,
    ``,
    renderTable(cells),
    ``,
    `Floors (lower bounds; wall time = stages x (latency + op cost)):`,
    renderAssumptions(cells),
    ``,
    ...(realistic.length
      ? [
          `## Realistic profile: change tracking under the customization lock`,
          ``,
          `${REALISTIC.metadataWriteMs / 1000} s per metadata write, ${REALISTIC.publishMs / 1000} s per publish, ${REALISTIC.latencyMs} ms latency, one customization operation at a time ` +
            `per environment (others refused with the lock's answer); simulated seconds, the emulator's clock scaled by ${scale} (every client timeout and backoff too). ` +
            `"careful naive": ${4} tables at a time, each GET then PUT, lock answers retried with backoff, one publish. Serial floor: N x write + publish + 3 latencies.`,
          ``,
          renderRealistic(realistic),
          ``,
        ]
      : []),
  ].join("\n");
  console.log(report);
  const out = path.resolve(values.out!);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, report);
  console.error(`written to ${path.relative(process.cwd(), out) || out}`);
}

main().catch((err) => {
  console.error(`${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
});
