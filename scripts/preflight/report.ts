import { blocks, type CheckResult } from "./types";

const LABEL: Record<CheckResult["status"], string> = {
  ok: "ok     ",
  fail: "FAIL   ",
  warn: "warn   ",
  unknown: "UNKNOWN",
};

export interface ReportExtras {
  /** Sandbox runs: the writes the emulators saw (there must be none). */
  writes?: { dataverse: number; graph: number };
  requests?: { dataverse: number; graph: number };
}

/** One line per check (with its fix under a failure, warning or unknown), then the verdict. */
export function renderText(stack: string, results: CheckResult[], extras: ReportExtras = {}): string {
  const lines = [`preflight for stack "${stack}": will \`pulumi up\` succeed here?`];
  for (const r of results) {
    lines.push(`${LABEL[r.status]} ${r.area}: ${r.check}: ${r.detail}`);
    if (r.fix && r.status !== "ok") lines.push(`        fix: ${r.fix}`);
  }
  const count = (s: CheckResult["status"]) => results.filter((r) => r.status === s).length;
  lines.push(
    "",
    `${results.length} checks: ${count("ok")} ok, ${count("fail")} failing, ${count("unknown")} not checkable, ${count("warn")} warnings.`,
  );
  if (extras.writes) {
    const w = extras.writes;
    lines.push(
      `Writes made: ${w.dataverse + w.graph} (Dataverse ${w.dataverse}, Microsoft Graph ${w.graph})${extras.requests ? `; requests: Dataverse ${extras.requests.dataverse}, Graph ${extras.requests.graph}` : ""}.`,
    );
  }
  lines.push(
    blocks(results)
      ? "`pulumi up` would not get through: fix the lines marked FAIL / UNKNOWN first."
      : "Nothing found that would stop `pulumi up`.",
  );
  return lines.join("\n");
}

export function renderJson(stack: string, results: CheckResult[], extras: ReportExtras = {}): string {
  return JSON.stringify({ stack, ok: !blocks(results), checks: results, ...extras }, null, 2);
}
