import type { IntegrationOutput } from "../sync/stackOutputs";
import { daysUntil } from "../../components/entra/secretSchedule";
import { pulumiLine, recordHandoverLine } from "../cli/commandLine";
import { secretsOf, warningDaysOf } from "./secretOutputs";

export interface StatusRow {
  integration: string;
  rotation: number;
  keyId: string;
  createdAt: string;
  endDate: string;
  daysLeft: number;
  heldByVendor: boolean;
  awaitingHandover: boolean;
  /** false: the vendor's own secret of an adopted integration, not managed by the stack. */
  managed: boolean;
  listedForRemoval: boolean;
}

/** One row per live secret of every integration, as of `now`. */
export function statusRows(outputs: Record<string, IntegrationOutput>, now: Date): StatusRow[] {
  return Object.entries(outputs).flatMap(([integration, out]) =>
    secretsOf(integration, out).map((s) => ({
      integration,
      rotation: s.rotation,
      keyId: s.keyId,
      createdAt: s.createdAt,
      endDate: s.endDate,
      daysLeft: daysUntil(s.endDate, now),
      heldByVendor: s.heldByVendor,
      awaitingHandover: s.awaitingHandover,
      managed: s.managed !== false,
      listedForRemoval: s.listedForRemoval === true,
    })),
  );
}

export function renderStatus(rows: StatusRow[]): string {
  const head = ["integration", "rotation", "key id", "created", "ends", "days left", "vendor holds it"];
  const body = rows.map((r) => [
    r.integration,
    r.managed ? String(r.rotation) : "vendor's own (unmanaged)",
    r.keyId,
    r.createdAt || "unknown",
    r.endDate,
    String(r.daysLeft),
    r.heldByVendor
      ? "yes"
      : r.awaitingHandover
        ? "no: awaiting handover"
        : r.listedForRemoval
          ? "no: listed for removal"
          : "no",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(head), ...body.map(line)].join("\n");
}

/**
 * What a scheduled CI job must fail on: a held secret ending within `withinDays` (default: the integration's own
 * expiryWarningDays), or an integration whose handover was never recorded. Each line says what to do.
 */
export function statusFailures(
  outputs: Record<string, IntegrationOutput>,
  rows: StatusRow[],
  stack: string,
  withinDays?: number,
): string[] {
  const out: string[] = [];
  for (const [integration, o] of Object.entries(outputs)) {
    const mine = rows.filter((r) => r.integration === integration);
    const held = mine.find((r) => r.heldByVendor);
    const newest = mine[mine.length - 1];
    const limit = withinDays ?? warningDaysOf(integration, o, 30);
    if (!held) {
      out.push(
        `${integration}: no handover recorded. Paste rotation ${newest?.rotation ?? 1} into the vendor's settings, then: ${recordHandoverLine(stack, integration)}`,
      );
    } else if (held.daysLeft <= limit) {
      const next =
        newest && newest !== held
          ? `paste rotation ${newest.rotation} (export-sync-config) into the vendor's settings, then record it: ${recordHandoverLine(stack, integration)}`
          : `run \`${pulumiLine(["up", "-s", stack])}\` so the next secret is created, then hand it over and record it`;
      out.push(
        `${integration}: the secret the vendor holds (rotation ${held.rotation}) ends in ${held.daysLeft} days, on ${held.endDate}: ${next}`,
      );
    }
  }
  return out;
}
