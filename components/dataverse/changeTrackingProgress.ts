import { formatDuration, type LockWaitListener } from "./http/customizationLock";

/**
 * Progress of one change-tracking wave, for a person watching `pulumi up`:
 * "change tracking in <env>: 17 of 50 tables written, waiting for another operation to finish (1 min 20 s)".
 * At most one line per DATAVERSE_PROGRESS_INTERVAL_MS, however often it is told something, plus the first and last.
 */
export class ChangeTrackingProgress implements LockWaitListener {
  private written = 0;
  private lastLineAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly log: (line: string) => void,
    private readonly environmentUrl: string,
    private readonly total: number,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.line(`${this.total} table${this.total === 1 ? "" : "s"} to write`, true);
  }

  wrote(count: number): void {
    if (count <= 0) return;
    this.written += count;
    this.line(this.counted(), this.written === this.total);
  }

  waiting(waitedMs: number): void {
    this.line(`${this.counted()}, waiting for another operation to finish (${formatDuration(waitedMs)})`);
  }

  settling(tables: number): void {
    this.line(
      `${this.counted()}, a request timed out: reading back ${tables} table${tables === 1 ? "" : "s"} it may still be writing`,
      true,
    );
  }

  private counted(): string {
    return `${this.written} of ${this.total} tables written`;
  }

  private line(text: string, always = false): void {
    const now = this.now();
    if (!always && now - this.lastLineAt < this.intervalMs) return;
    this.lastLineAt = now;
    this.log(`change tracking in ${this.environmentUrl}: ${text}`);
  }
}
