import { randomUUID } from "node:crypto";

/**
 * Graph's error body: { error: { code, message, innerError: { date, request-id, client-request-id } } }
 * (https://learn.microsoft.com/graph/errors). Codes used here are the ones Graph documents or is recorded sending
 * (each thrower cites its source); `details` carries the policy failure's detail array.
 */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: { code: string; target: string }[],
  ) {
    super(message);
  }
}

export function errorBody(e: GraphError, clientRequestId: string | undefined): Record<string, unknown> {
  const requestId = randomUUID();
  return {
    error: {
      code: e.code,
      message: e.message,
      ...(e.details ? { details: e.details } : {}),
      innerError: {
        date: new Date().toISOString().replace(/\.\d+Z$/, ""),
        "request-id": requestId,
        "client-request-id": clientRequestId ?? requestId,
      },
    },
  };
}

/**
 * 404 for a missing directory object: Request_ResourceNotFound, "Resource '<id>' does not exist or one of its queried
 * reference-property objects are not present." with innerError date / request-id, as recorded in pnp/cli-microsoft365's
 * tests (https://github.com/pnp/cli-microsoft365, e.g. the aad app tests); https://learn.microsoft.com/graph/errors
 * documents the 404 and the body's shape.
 */
export const notFound = (id: string) =>
  new GraphError(
    404,
    "Request_ResourceNotFound",
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

/** 400 for a query the emulator (and, for most, Graph) does not support. Wording UNCONFIRMED. */
export const unsupportedQuery = (detail: string) => new GraphError(400, "Request_UnsupportedQuery", detail);

export const badRequest = (detail: string) => new GraphError(400, "Request_BadRequest", detail);
