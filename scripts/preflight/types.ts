/** One line of the preflight report. */
export interface CheckResult {
  /** entra, or dataverse <environment key>. */
  area: string;
  /** What was checked, e.g. "deployer privileges". */
  check: string;
  /**
   * ok: `pulumi up` will get past this; fail: it will not; warn: it will, but something deserves a look; unknown: the
   * check could not be made (preflight's own read rights, an unreachable service): counted as a failure.
   */
  status: "ok" | "fail" | "warn" | "unknown";
  /** What holds, or what will fail and why. */
  detail: string;
  /** How to fix it (fail, warn, unknown). */
  fix?: string;
}

export const ok = (area: string, check: string, detail: string): CheckResult => ({ area, check, status: "ok", detail });
export const fail = (area: string, check: string, detail: string, fix: string): CheckResult => ({
  area,
  check,
  status: "fail",
  detail,
  fix,
});
export const warn = (area: string, check: string, detail: string, fix: string): CheckResult => ({
  area,
  check,
  status: "warn",
  detail,
  fix,
});
export const unknown = (area: string, check: string, detail: string, fix: string): CheckResult => ({
  area,
  check,
  status: "unknown",
  detail,
  fix,
});

/** Whether `pulumi up` would stop: any failure, or anything that could not be checked. */
export const blocks = (results: CheckResult[]) => results.some((r) => r.status === "fail" || r.status === "unknown");
