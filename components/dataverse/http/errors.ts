/**
 * The one error type the Dataverse client throws. It carries what a person needs to act
 * (operation, status, Dataverse's code and message) and never request headers or tokens.
 */
export class DataverseError extends Error {
  constructor(
    readonly method: string,
    /** Path relative to the Web API root, query included (no secrets are ever put in URLs). */
    readonly path: string,
    /** HTTP status; undefined for network failures and timeouts. */
    readonly status: number | undefined,
    /** Dataverse error code such as `0x80040216`, often empty. */
    readonly code: string,
    readonly detail: string,
    /** How many attempts were made before giving up. */
    readonly attempts = 1,
    /** The service's Retry-After, for 429 and 503 answers. */
    readonly retryAfterMs?: number,
  ) {
    const what = status === undefined ? "network error" : `HTTP ${status}${code ? ` ${code}` : ""}`;
    const tries = attempts > 1 ? ` after ${attempts} attempts` : "";
    const message = `Dataverse ${method} ${path} failed${tries}: ${what}: ${detail}`;
    super(message);
    // Pulumi's closure serialization rewrites `super(message)` for classes extending Error so that it no longer
    // sets the message; without this line the engine would report an empty error from the provider host.
    this.message = message;
    this.name = "DataverseError";
  }

  withAttempts(attempts: number): DataverseError {
    return new DataverseError(this.method, this.path, this.status, this.code, this.detail, attempts, this.retryAfterMs);
  }
}

export function isDataverseError(err: unknown): err is DataverseError {
  return err instanceof Error && err.name === "DataverseError";
}

/** Dataverse's generic "An unexpected error occurred." */
export const GENERIC_ERROR_CODE = "0x80040216";

/** The row (or table, or role) is not there. */
export const isNotFound = (err: unknown): boolean => isDataverseError(err) && err.status === 404;

/** The status prefix a gRPC error carries into its message ("2 UNKNOWN: ..."), which means nothing to a user. */
const GRPC_PREFIX = /^(?:\d+ [A-Z_]+: )+/;

export const withoutGrpcPrefix = (message: string) => message.replace(GRPC_PREFIX, "");

/**
 * Runs a provider step so that any failure names the resource and the environment, once, without gRPC noise:
 * `security role "CRM sync x (prod)" in https://contoso.crm4.dynamics.com: <what went wrong>`.
 */
export async function inResource<T>(what: string, environmentUrl: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const message = withoutGrpcPrefix(err instanceof Error ? err.message : String(err));
    const prefix = `${what} in ${environmentUrl}: `;
    if (message.startsWith(prefix)) throw err;
    const wrapped = new Error(`${prefix}${message}`);
    // Pulumi's closure serialization can drop what super(message) set (see DataverseError).
    wrapped.message = `${prefix}${message}`;
    throw wrapped;
  }
}
