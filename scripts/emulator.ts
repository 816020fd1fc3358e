import { startEmulator } from "../emulator/server";
import { out, runCommand, UsageError } from "./cli/command";

/** Flag bounds: a value outside them is refused before anything starts (100000000 tables would exhaust memory). */
const BOUNDS: Record<string, [number, number]> = {
  port: [0, 65535],
  latency: [0, 60_000],
  "page-size": [1, 5000],
  tables: [0, 5000],
};

runCommand({
  name: "emulator",
  usage: (self) => `${self} [--port <n>] [--latency <ms>] [--page-size <n>] [--tables <n>]

Starts the local Dataverse Web API emulator on 127.0.0.1 until Ctrl-C. Point the providers at it with
DATAVERSE_ACCESS_TOKEN=<printed token> and environment URL <printed url>.
  --port <n>       0-65535 (default 0: a free port)
  --latency <ms>   0-60000, added to every answer (default 0)
  --page-size <n>  1-5000 rows per page (default 5000)
  --tables <n>     0-5000 extra tables new_table001... (default 0)`,
  options: {
    port: { type: "string", default: "0" },
    latency: { type: "string", default: "0" },
    "page-size": { type: "string", default: "5000" },
    tables: { type: "string", default: "0" },
  },
  run: async (values) => {
    for (const [flag, [min, max]] of Object.entries(BOUNDS)) {
      const text = String(values[flag as keyof typeof values]);
      if (!/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max)
        throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got "${text}"`);
    }
    const emulator = await startEmulator({
      port: Number(values.port),
      pageSize: Number(values["page-size"]) || 5000,
      extraTables: Number(values.tables),
    });
    emulator.faults.latencyMs = Number(values.latency);
    out(`Dataverse emulator listening (local only, in-memory)
  environment URL:         ${emulator.url}
  DATAVERSE_ACCESS_TOKEN:  ${emulator.token}
  root business unit:      ${emulator.data.businessUnits[0].businessunitid}
Ctrl-C to stop.`);
    // Runs until Ctrl-C: the command's exit code comes after the emulator has closed.
    await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
    await emulator.close();
  },
});
