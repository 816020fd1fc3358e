/** Entra's portal offers at most 24 months; our policy holds the same line for secrets created by API. */
export const MAX_SECRET_LIFETIME_MONTHS = 24;

/** Adds whole months in UTC, clamping to the month's last day (Jan 31 + 1 month = Feb 28/29). */
export function addMonthsUtc(start: Date, months: number): Date {
  const target = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(start.getUTCDate(), lastDay));
  target.setUTCHours(start.getUTCHours(), start.getUTCMinutes(), start.getUTCSeconds(), 0);
  return target;
}

/** Years an instant in a stack file, an output or a flag may lie in: a year such as 9999 is a typo, not a plan. */
export const INSTANT_YEARS = { min: 2000, max: 2199 } as const;

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2})))?$/;

/**
 * Why `text` is not a real ISO 8601 calendar instant (a date, or a date and time with a zone), or undefined.
 * Date.parse alone accepts February 30 (rolling it into March) and any year; this does not.
 */
export function instantProblem(text: unknown): string | undefined {
  const example = "e.g. 2027-06-01 or 2027-06-01T00:00:00Z";
  if (typeof text !== "string") return `must be an ISO 8601 time (${example})`;
  const m = ISO_INSTANT.exec(text);
  if (!m) return `"${text.length > 40 ? `${text.slice(0, 40)}...` : text}" is not an ISO 8601 time (${example})`;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12) return `"${text}" has no month ${m[2]}`;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > lastDay) return `"${text}" is not a calendar date: ${m[1]}-${m[2]} has ${lastDay} days`;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59))
    return `"${text}" is not a time of day (hours 00-23, minutes and seconds 00-59)`;
  if (m[8] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return `"${text}" has an impossible zone offset`;
  if (year < INSTANT_YEARS.min || year > INSTANT_YEARS.max)
    return `"${text}" lies outside ${INSTANT_YEARS.min}-${INSTANT_YEARS.max}`;
  return undefined;
}

/** The instant of a valid ISO 8601 text (see instantProblem), or an Error naming `label`. */
export function parseInstant(text: unknown, label: string): Date {
  const problem = instantProblem(text);
  if (problem) throw new Error(`${label}: ${problem}`);
  return new Date(Date.parse(text as string));
}
