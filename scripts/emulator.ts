import { parseArgs } from "node:util";
import { startEmulator } from "../emulator/server";

const USAGE = `usage: npm run emulator -- [--port <n>] [--latency <ms>] [--page-size <n>] [--tables <n>]

Starts the local Dataverse Web API emulator on 127.0.0.1 until Ctrl-C. Point the providers at it with
DATAVERSE_ACCESS_TOKEN=<printed token> and environment URL <printed url>.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      latency: { type: "string", default: "0" },
      "page-size": { type: "string", default: "5000" },
      tables: { type: "string", default: "0" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) { console.log(USAGE); return; }
  const numbers = { port: Number(values.port), latency: Number(values.latency), pageSize: Number(values["page-size"]), tables: Number(values.tables) };
  for (const [name, n] of Object.entries(numbers)) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${n}`);
  }
  const emulator = await startEmulator({ port: numbers.port, pageSize: numbers.pageSize || 5000, extraTables: numbers.tables });
  emulator.faults.latencyMs = numbers.latency;
  console.log(`Dataverse emulator listening (local only, in-memory)
  environment URL:         ${emulator.url}
  DATAVERSE_ACCESS_TOKEN:  ${emulator.token}
  root business unit:      ${emulator.data.businessUnits[0].businessunitid}
Ctrl-C to stop.`);
  process.on("SIGINT", () => { void emulator.close().then(() => process.exit(0)); });
}

main().catch((err) => { console.error(`${(err as Error).message}\n\n${USAGE}`); process.exit(2); });
