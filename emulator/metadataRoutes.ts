import { HttpError, parseJson, select } from "./httpUtil";
import { KNOWN_TABLES } from "./privilegeSeed";
import type { RouteContext, RouteResult } from "./routes";

/** Table metadata: EntityDefinitions reads, full-definition PUTs (change tracking) and PublishXml. */
export function routeMetadata(
  ctx: RouteContext,
  collection: (ctx: RouteContext, rows: Record<string, unknown>[]) => RouteResult,
): RouteResult | undefined {
  const { method, path } = ctx;
  let m: RegExpExecArray | null;
  if (method === "GET" && path === "/EntityDefinitions") return collection(ctx, [...ctx.data.entities.values()]);
  if ((m = /^\/EntityDefinitions\(LogicalName='([a-z0-9_]+)'\)$/.exec(path))) {
    if (method === "GET") {
      const def = ctx.data.entities.get(m[1]);
      // The real wording is UNCONFIRMED; the emulator says it is an emulator, so a sandbox limit never reads as a typo.
      if (!def)
        throw new HttpError(
          404,
          "0x80040217",
          `Could not find an entity with name ${m[1]} [emulator: it knows only ${[...KNOWN_TABLES].join(", ")}${ctx.data.entities.size > KNOWN_TABLES.length ? " and test tables" : ""}; a real environment may have this table]`,
        );
      return {
        status: 200,
        body: {
          "@odata.context": `${ctx.apiRoot}/$metadata#EntityDefinitions/$entity`,
          ...select(def, ctx.query.get("$select") ?? undefined),
        },
      };
    }
    if (method === "PUT") return entityPut(ctx, m[1]);
    if (method === "PATCH")
      throw new HttpError(
        405,
        "0x80060888",
        "PATCH is not supported on metadata entities; use PUT with the full definition.",
      );
  }
  if (method === "POST" && path === "/PublishXml") return publishXml(ctx);
  return undefined;
}

function entityPut(ctx: RouteContext, logicalName: string): RouteResult {
  const current = ctx.data.entities.get(logicalName);
  if (!current) throw new HttpError(404, "0x80040217", `Could not find an entity with name ${logicalName}`);
  const body = parseJson(ctx.body);
  const missing = Object.keys(current).filter((k) => !k.startsWith("@odata") && !(k in body));
  if (missing.length) {
    throw new HttpError(
      400,
      "0x80048d19",
      `Update of entity metadata requires the full definition; missing: ${missing.join(", ")}`,
    );
  }
  if (
    body.ChangeTrackingEnabled === true &&
    (current.CanChangeTrackingBeEnabled as { Value: boolean }).Value === false
  ) {
    throw new HttpError(400, "0x80048d19", `Change tracking cannot be enabled for ${logicalName}.`);
  }
  if (current.ChangeTrackingEnabled && body.ChangeTrackingEnabled === false) {
    throw new HttpError(400, "0x80048d19", "Change tracking cannot be disabled once enabled.");
  }
  const next = {
    ...current,
    ...body,
    LogicalName: current.LogicalName,
    MetadataId: current.MetadataId,
  } as typeof current;
  delete next["@odata.context"];
  const apply = () => {
    ctx.data.entities.set(logicalName, next);
    ctx.data.unpublished.add(logicalName);
  };
  return { status: 204, waitMs: ctx.faults.nextMetadataWriteMs(), apply };
}

/**
 * Publishing runs server-side for `faults.publishMs`; the answer comes when it is done. It holds the environment's
 * customization lock meanwhile (customizationLock.ts), so a metadata write or another publish is refused with
 * the lock's answer until it ends.
 */
function publishXml(ctx: RouteContext): RouteResult {
  const xml = String(parseJson(ctx.body).ParameterXml ?? "");
  if (!/^<importexportxml>.*<\/importexportxml>$/s.test(xml))
    throw new HttpError(400, "0x80040216", "ParameterXml is not an importexportxml document.");
  const names = [...xml.matchAll(/<entity>([^<]+)<\/entity>/g)].map((m) => m[1]);
  const unknown = names.filter((n) => !ctx.data.entities.has(n));
  if (unknown.length) throw new HttpError(400, "0x80040216", `Cannot publish unknown entities: ${unknown.join(", ")}`);
  // Assumption (UNCONFIRMED): publishing tables with no unpublished change is quick; only real work takes publishMs.
  const work = names.some((n) => ctx.data.unpublished.has(n)) ? ctx.faults.publishMs : 0;
  const apply = () => {
    for (const n of names) ctx.data.unpublished.delete(n);
    ctx.data.publishes += 1;
  };
  return { status: 204, waitMs: work, apply };
}
