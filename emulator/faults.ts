/** What the emulator does to a matching request instead of (or before) answering it normally. */
export type FaultAction =
  | { kind: "status"; status: number; retryAfterSeconds?: number; code?: string; message?: string }
  /** Answers with this body instead of the real one (e.g. a stale replica's empty collection). */
  | { kind: "respond"; status: number; body: unknown }
  | { kind: "drop" }
  /** Does the work and applies it, then never answers: the caller times out on a write that succeeded. */
  | { kind: "succeedSilently" }
  | { kind: "delay"; ms: number };

export interface FaultRule {
  /** HTTP method to match; any when omitted. */
  method?: string;
  /** Matched against the path below /api/data/v9.2 (query excluded); any when omitted. */
  path?: RegExp;
  /** Matched against the request body text; any when omitted. */
  body?: RegExp;
  /** How many matching requests it applies to. */
  times: number;
  action: FaultAction;
}

import { CustomizationLock } from "./customizationLock";

export class Faults {
  private rules: FaultRule[] = [];
  /** The environment's customization lock (one metadata write or publish at a time); see customizationLock.ts. */
  readonly lock = new CustomizationLock();
  /**
   * Wall-clock ms per simulated ms for the cost model (latencyMs, operationCostMs, metadataWriteMs, publishMs):
   * 0.01 makes "2 s" of server work cost 20 ms, so a bench of realistic durations runs in minutes. Fault delays
   * (kind "delay") are wall time, unscaled.
   */
  timeScale = 1;
  /**
   * Server work of one metadata write (PUT EntityDefinitions), on top of operationCostMs; it holds the customization
   * lock meanwhile and takes effect when it ends. Real durations are not published (UNCONFIRMED; field reports say
   * seconds); 0 by default, the bench's realistic profile sets 2 s.
   */
  metadataWriteMs = 0;
  /** From the given write on (1-based, counted over the emulator's life), metadata writes cost `ms` instead: an environment that slows down. */
  slowMetadataWrites?: { fromWrite: number; ms: number };
  private metadataWrites = 0;

  /** The server work of the next metadata write. */
  nextMetadataWriteMs(): number {
    this.metadataWrites += 1;
    const slow = this.slowMetadataWrites;
    return slow && this.metadataWrites >= slow.fromWrite ? slow.ms : this.metadataWriteMs;
  }
  /** Added to every answer, to emulate network distance. */
  latencyMs = 0;
  /**
   * Server work per operation: a request alone costs it once, a $batch once per part, one part after the other
   * ("Dataverse performs these operations sequentially in the order you specify":
   * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api).
   * So batching saves round trips, not the server's work. 0 by default; the bench sets it.
   */
  operationCostMs = 0;
  /**
   * How long a PublishXml runs before it answers. Publishing can take minutes on a real environment
   * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-update-entity-definitions-using-web-api); a client whose request timeout is shorter gives up while the publish goes on.
   */
  publishMs = 0;
  /**
   * Whether metadata writes (PUT EntityDefinitions) are accepted inside $batch. UNCONFIRMED for the real service
   * (see components/dataverse/changeTrackingApi.ts), so the emulator can play every answer: accepted (default),
   * each such part refused on its own, or the whole batch refused.
   */
  metadataInBatch: "accepted" | "refusedPerPart" | "refusedWhole" = "accepted";
  /** Whether POST roles refuses a name already used in the business unit (RoleAlreadyExists); UNCONFIRMED, so both are played. */
  refuseDuplicateRoleName = false;
  /** Whether ReplacePrivilegesRole leaves the SharePoint defaults on the role (reported by third parties; UNCONFIRMED). */
  keepSharePointPrivileges = false;
  /** Reads of the roles collection before a new root role's child-unit copies appear (copies lag; UNCONFIRMED how long). */
  roleCopyLagReads = 0;
  /** Application ids whose service principal "replicates" only at the given time (ms since epoch). */
  readonly replicationReadyAt = new Map<string, number>();

  /** The wall-clock ms that `simulatedMs` of the cost model take. */
  wallMs(simulatedMs: number): number {
    return simulatedMs * this.timeScale;
  }

  add(rule: FaultRule): this {
    this.rules.push({ ...rule });
    return this;
  }

  /** Makes the app unknown to the environment for `ms` from now, like a service principal still replicating. */
  replicationLag(applicationId: string, ms: number): this {
    this.replicationReadyAt.set(applicationId.toLowerCase(), Date.now() + ms);
    return this;
  }

  isReplicated(applicationId: string): boolean {
    return (this.replicationReadyAt.get(applicationId.toLowerCase()) ?? 0) <= Date.now();
  }

  /** The action for this request, consuming one use of the first matching rule. */
  take(method: string, path: string, body = ""): FaultAction | undefined {
    const rule = this.rules.find(
      (r) =>
        r.times > 0 &&
        (!r.method || r.method === method) &&
        (!r.path || r.path.test(path)) &&
        (!r.body || r.body.test(body)),
    );
    if (!rule) return undefined;
    rule.times -= 1;
    return rule.action;
  }

  clear(): void {
    this.rules = [];
    this.latencyMs = 0;
    this.operationCostMs = 0;
    this.publishMs = 0;
    this.metadataInBatch = "accepted";
    this.refuseDuplicateRoleName = false;
    this.keepSharePointPrivileges = false;
    this.roleCopyLagReads = 0;
    this.replicationReadyAt.clear();
    this.timeScale = 1;
    this.metadataWriteMs = 0;
    this.slowMetadataWrites = undefined;
    this.metadataWrites = 0;
    this.lock.reset();
  }
}
