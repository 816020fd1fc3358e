import { HttpError } from "./httpUtil";

/**
 * The environment-wide customization lock: one solution/customization operation at a time per environment.
 * "In the platform, we only allow one solution operation at a time." — Microsoft support, Concurrent solution
 * operation failures (KB 4343228): https://learn.microsoft.com/troubleshoot/power-platform/dataverse/working-with-solutions/concurrent-solution-operation-failures
 * (source: https://github.com/MicrosoftDocs/SupportArticles-docs, support/power-platform/dataverse/working-with-solutions/concurrent-solution-operation-failures.md).
 * The refusal's code 0x80071151 (-2147020463) and its text "Microsoft.Crm.ObjectModel.CustomizationLockException:
 * Cannot start the requested operation [PublishAll] because there is another [Import] running" come from that
 * article; `[EntityCustomization]` as the running operation from https://github.com/microsoft/powerplatform-build-tools/issues/1384.
 * The HTTP status is UNCONFIRMED: the lock has been seen as 429 (held for minutes, no service-protection code) and as
 * 503, so the emulator answers either (`status`) and the tests run both. Retry-After on it is UNCONFIRMED too:
 * none by default (`retryAfterSeconds`).
 */
export const LOCK_CODE = "0x80071151";

export type CustomizationOperation = "EntityCustomization" | "PublishXml" | "PublishAll" | "RolePrivileges" | "Import";

export interface CustomizationRecord {
  operation: CustomizationOperation;
  /** A request to this emulator, or an operation some other tool started (holdFor). */
  source: "request" | "external";
  /** Wall-clock ms (performance.now) when it took the lock and when it let go. */
  startedAt: number;
  endedAt: number;
}

export class CustomizationLock {
  /** false: no lock at all (every operation runs, overlapping ones too). */
  enabled = true;
  /** Status of the refusal: both are seen in the field (UNCONFIRMED which one a given environment sends). */
  status: 429 | 503 = 429;
  /** Retry-After seconds on the refusal; UNCONFIRMED that the service sends one, so none by default. */
  retryAfterSeconds?: number;
  /**
   * Whether a security role's privilege changes take the lock. UNCONFIRMED (REFERENCE: third-party notes put role
   * deployment among metadata operations), so off by default and switchable.
   */
  rolePrivilegesTakeLock = false;

  /** The operations that held the lock, in order of ending. */
  readonly held: CustomizationRecord[] = [];
  /** Customization requests answered with the lock refusal. */
  refusals = 0;
  /** Most customization requests in flight at once (arrival to the end of the server's work), refused ones included. */
  maxInFlight = 0;

  private holder?: { operation: CustomizationOperation; source: CustomizationRecord["source"]; startedAt: number };
  private inFlight = 0;
  private externalTimer?: NodeJS.Timeout;

  /** A customization request arrived; call the answer when its answer is sent and its server work is over. */
  arrive(): () => void {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let left = false;
    return () => {
      if (!left) {
        left = true;
        this.inFlight -= 1;
      }
    };
  }

  /** Takes the lock for `operation` or throws the service's refusal; the answer lets go of it. */
  take(operation: CustomizationOperation, source: CustomizationRecord["source"] = "request"): () => void {
    if (!this.enabled) return () => undefined;
    if (this.holder) {
      this.refusals += 1;
      const headers: Record<string, string> =
        this.retryAfterSeconds !== undefined ? { "Retry-After": String(this.retryAfterSeconds) } : {};
      throw new HttpError(
        this.status,
        LOCK_CODE,
        `Microsoft.Crm.ObjectModel.CustomizationLockException: Cannot start the requested operation [${operation}] because there is another [${this.holder.operation}] running at this moment. Please try again later.`,
        headers,
      );
    }
    const holder = { operation, source, startedAt: performance.now() };
    this.holder = holder;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (this.holder === holder) this.holder = undefined;
      this.held.push({ ...holder, endedAt: performance.now() });
    };
  }

  /** Another tool (an import, a maker in the portal) holds the lock for `wallMs` from now. */
  holdFor(wallMs: number, operation: CustomizationOperation = "Import"): void {
    const release = this.take(operation, "external");
    this.externalTimer = setTimeout(release, wallMs);
  }

  /** Another tool holds the lock until the answered function is called (tests release it once they saw a refusal). */
  holdUntilReleased(operation: CustomizationOperation = "Import"): () => void {
    return this.take(operation, "external");
  }

  /** The most operations that held the lock at the same time (1 while the lock is enabled). */
  maxConcurrentHolders(): number {
    const edges = this.held
      .flatMap((r) => [
        { t: r.startedAt, d: 1 },
        { t: r.endedAt, d: -1 },
      ])
      .sort((a, b) => a.t - b.t || a.d - b.d);
    let now = 0;
    let max = 0;
    for (const e of edges) {
      now += e.d;
      max = Math.max(max, now);
    }
    return max;
  }

  reset(): void {
    if (this.externalTimer) clearTimeout(this.externalTimer);
    this.externalTimer = undefined;
    this.holder = undefined;
    this.held.length = 0;
    this.refusals = 0;
    this.maxInFlight = 0;
    this.inFlight = 0;
    this.enabled = true;
    this.status = 429;
    this.retryAfterSeconds = undefined;
    this.rolePrivilegesTakeLock = false;
  }
}

/** The customization operation a request starts, if any (a $batch by its parts). */
export function customizationOperationOf(
  method: string,
  path: string,
  body: string,
  lock: CustomizationLock,
): CustomizationOperation | undefined {
  if (method !== "GET" && /^\/EntityDefinitions\(/.test(path)) return "EntityCustomization";
  if (method === "POST" && path === "/PublishXml") return "PublishXml";
  if (method === "POST" && path === "/PublishAllXml") return "PublishAll";
  if (
    lock.rolePrivilegesTakeLock &&
    method === "POST" &&
    /^\/roles\([^)]*\)\/Microsoft\.Dynamics\.CRM\.(Add|Replace|Remove)PrivilegesRole$/.test(path)
  )
    return "RolePrivileges";
  if (method === "POST" && path === "/$batch" && /^(PUT|POST|PATCH|DELETE) \S*\/EntityDefinitions\(/m.test(body))
    return "EntityCustomization";
  return undefined;
}
