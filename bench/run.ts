import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { makeApplicationUserProvider } from "../components/dataverse/applicationUser";
import { makeChangeTrackingProvider } from "../components/dataverse/changeTracking";
import { DataverseClient } from "../components/dataverse/client";
import { settingsFromEnv } from "../components/dataverse/settings";
import { countStages, isWrite, roundTrips } from "../emulator/requestLog";
import { ROLE_TEMPLATES } from "../emulator/seed";
import { startEmulator, type Emulator } from "../emulator/server";
import { naiveApplicationUser, naiveChangeTracking, naiveSecurityRole } from "./naive";
import { makeSecurityRoleProvider } from "../components/dataverse/securityRole";

const LATENCIES = [0, 50, 100];
const TABLE_COUNTS = [1, 10, 50];
const ROLE_COUNTS = [1, 5];
/**
 * Sequential round trips of the ideal plan: change tracking = state query | definitions | writes | publish;
 * application user = lookups | create + role query | assignments.
 */
const FLOOR_STAGES = { tracking: 4, user: 3, role: 3 };
/** 40 privileges: the eight table operations on five tables, organization-wide. */
const FORTY = ["account", "contact", "lead", "opportunity", "incident"].flatMap((t) => ["Create", "Read", "Write", "Delete", "Append", "AppendTo", "Assign", "Share"].map((op) => ({ name: `prv${op}${t}`, depth: "Global" as const })));
const ROLES = [...Object.keys(ROLE_TEMPLATES), "CRM Sync Integration"];

interface Measured { requests: number; writes: number; stages: number; wallMs: number }

async function measure(latencyMs: number, tables: number, work: (emulator: Emulator, client: () => DataverseClient) => Promise<void>): Promise<Measured> {
  const emulator = await startEmulator({ extraTables: tables });
  try {
    emulator.faults.latencyMs = latencyMs;
    const settings = settingsFromEnv();
    const client = () => new DataverseClient(emulator.url, { tokenSource: async () => emulator.token, settings, log: () => {} });
    const started = performance.now();
    await work(emulator, client);
    const wallMs = performance.now() - started;
    return { requests: roundTrips(emulator.log).length, writes: emulator.log.filter(isWrite).length, stages: countStages(emulator.log), wallMs };
  } finally {
    await emulator.close();
  }
}

const tableNames = (n: number) => Array.from({ length: n }, (_, i) => `new_table${String(i + 1).padStart(3, "0")}`);

interface Row { case: string; latency: number; ours: Measured; naive: Measured; floorMs: number; noOpWrites: number }

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const latency of LATENCIES) {
    for (const n of TABLE_COUNTS) {
      let noOpWrites = 0;
      const ours = await measure(latency, n, async (emulator, client) => {
        const provider = makeChangeTrackingProvider({ clientFactory: client, log: () => {} });
        await provider.create!({ environmentUrl: emulator.url, entities: tableNames(n) });
        const before = emulator.log.length;
        await provider.create!({ environmentUrl: emulator.url, entities: tableNames(n) }); // a second, no-op run
        noOpWrites = emulator.log.slice(before).filter(isWrite).length;
        emulator.log.splice(before);
      });
      const naive = await measure(latency, n, (_e, client) => naiveChangeTracking(client(), tableNames(n)));
      rows.push({ case: `change tracking, N=${n}`, latency, ours, naive, floorMs: FLOOR_STAGES.tracking * latency, noOpWrites });
    }
    for (const r of ROLE_COUNTS) {
      const roles = ROLES.slice(0, r);
      let noOpWrites = 0;
      const ours = await measure(latency, 0, async (emulator, client) => {
        const provider = makeApplicationUserProvider({ clientFactory: client, log: () => {} });
        const inputs = { environmentUrl: emulator.url, applicationId: randomUUID(), securityRoles: roles };
        const { id, outs } = await provider.create!(inputs);
        const before = emulator.log.length;
        const read = await provider.read!(id, outs);
        const diff = await provider.diff!(id, read.props, inputs);
        if (diff.changes) await provider.update!(id, read.props, inputs);
        noOpWrites = emulator.log.slice(before).filter(isWrite).length;
        emulator.log.splice(before);
      });
      const naive = await measure(latency, 0, (_e, client) => naiveApplicationUser(client(), randomUUID(), roles));
      rows.push({ case: `application user, R=${r}`, latency, ours, naive, floorMs: FLOOR_STAGES.user * latency, noOpWrites });
    }
    let roleNoOpWrites = 0;
    const roleOurs = await measure(latency, 0, async (emulator, client) => {
      const provider = makeSecurityRoleProvider({ clientFactory: client, log: () => {} });
      const inputs = { environmentUrl: emulator.url, roleName: "bench role", privileges: FORTY };
      const { id, outs } = await provider.create!(inputs);
      const before = emulator.log.length;
      const read = await provider.read!(id, outs);
      if ((await provider.diff!(id, read.props, inputs)).changes) await provider.update!(id, read.props, inputs);
      roleNoOpWrites = emulator.log.slice(before).filter(isWrite).length;
      emulator.log.splice(before);
    });
    const roleNaive = await measure(latency, 0, (_e, client) => naiveSecurityRole(client(), "bench role", FORTY));
    rows.push({ case: "security role, 40 privileges", latency, ours: roleOurs, naive: roleNaive, floorMs: FLOOR_STAGES.role * latency, noOpWrites: roleNoOpWrites });
  }
  const table = render(rows);
  console.log(table);
  const out = path.resolve(__dirname, "../../bench/RESULTS.md");
  fs.writeFileSync(out, `# Benchmark results\n\nProduced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (${process.platform}, Node ${process.version}), ` +
    `against the local emulator with injected latency per request, default client settings (concurrency cap ${settingsFromEnv().maxConcurrency}).\n` +
    `Wall times are this machine's; the ratios and request/stage counts are what to compare.\n\n${table}\n`);
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
}

const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)}x` : "-");

function render(rows: Row[]): string {
  const head = "| case | latency | requests (ours / naive) | stages (ours / naive / floor) | wall ms (ours / naive) | faster than naive | vs floor | no-op writes |";
  const lines = [head, "|---|---|---|---|---|---|---|---|"];
  for (const r of rows) {
    const floorStages = r.case.startsWith("change") ? FLOOR_STAGES.tracking : r.case.startsWith("security") ? FLOOR_STAGES.role : FLOOR_STAGES.user;
    lines.push(`| ${r.case} | ${r.latency} ms | ${r.ours.requests} / ${r.naive.requests} | ${r.ours.stages} / ${r.naive.stages} / ${floorStages} | ` +
      `${r.ours.wallMs.toFixed(0)} / ${r.naive.wallMs.toFixed(0)} | ${ratio(r.naive.wallMs, r.ours.wallMs)} | ${r.latency ? ratio(r.ours.wallMs, r.floorMs) : "-"} | ${r.noOpWrites} |`);
  }
  return lines.join("\n");
}

main().catch((err) => { console.error(err); process.exit(1); });
