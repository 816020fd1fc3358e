import { instantProblem } from "../../components/entra/secretExpiry";
import type { AuditReport } from "./report";

/** Values in an export or preview that would print as "NaN days": the report is refused, naming the field. */
export function reportProblems(report: AuditReport): string[] {
  const out: string[] = [];
  for (const f of report.integrations) {
    if (f.held) {
      const problem = instantProblem(f.held.endsAt);
      if (problem) out.push(`integration "${f.name}": heldEndsAt ${problem}`);
      if (!Number.isInteger(f.held.warningDays) || f.held.warningDays < 0)
        out.push(`integration "${f.name}": expiryWarningDays must be a whole number of days`);
    }
    f.secrets.forEach((s) => {
      const problem = s.endDate === "-" ? undefined : instantProblem(s.endDate);
      if (problem) out.push(`integration "${f.name}": client secret ${s.slot} endDate ${problem}`);
    });
  }
  return out;
}
