import type { DataverseClient } from "./http/client";
import { isDataverseError, isNotFound } from "./http/errors";
import { quote, withQuery } from "./http/odata";
import { isGuid } from "./inputs";
import { environmentCache } from "./environmentCache";

/** A security role row as the Web API returns it. */
export interface RoleRow {
  roleid: string;
  name: string;
  _businessunitid_value: string;
  _roletemplateid_value?: string | null;
  /** The root business unit's role this one is a copy of (a root role names itself). */
  _parentrootroleid_value?: string | null;
}

/** A systemuser row with its roles expanded. */
export interface SystemUserRow {
  systemuserid: string;
  applicationid: string | null;
  isdisabled: boolean;
  _businessunitid_value: string;
  fullname?: string;
  /** 0 live; otherwise soft-deleted (a first DELETE) and to be treated as absent (microsoft/terraform-provider-power-platform, internal/services/application). */
  deletedstate?: number;
  systemuserroles_association?: RoleRow[];
}

const USER_SELECT = "systemuserid,applicationid,isdisabled,deletedstate,_businessunitid_value,fullname";
const ROLE_SELECT = "roleid,name,_businessunitid_value,_roletemplateid_value,_parentrootroleid_value";
const EXPAND_ROLES = `systemuserroles_association($select=${ROLE_SELECT})`;
/** Dataverse's DuplicateRecord code, answered when a role is associated twice. */
const DUPLICATE_RECORD = "0x80040237";

/** A soft-deleted row is there, but for every purpose of this resource it is gone. */
export const isLive = (row: SystemUserRow) => (row.deletedstate ?? 0) === 0;
/** Every PATCH of an existing row: without it Dataverse treats a PATCH of a missing row as an upsert (a create). */
const ONLY_IF_EXISTS = { "If-Match": "*" };

/** A cached promise, shared by everyone who asks meanwhile; forgotten if it fails, so a later step asks again. */
function singleFlight<T>(map: Map<string, Promise<T>>, key: string, start: () => Promise<T>): Promise<T> {
  const known = map.get(key);
  if (known) return known;
  const p = start();
  map.set(key, p);
  p.catch(() => {
    if (map.get(key) === p) map.delete(key);
  });
  return p;
}

/**
 * The root business unit, and whether `wanted` exists (a business unit that does not exist fails at once, naming
 * it). Single flight per environment in the provider process: however many roles and users start at once, the
 * root is asked for once, and each wanted unit once.
 */
export async function businessUnits(client: DataverseClient, wanted?: string): Promise<{ root: string }> {
  const cache = environmentCache(client.environmentUrl);
  const root = singleFlight(cache.lookups, "root", () => lookupRoot(client));
  const exists = wanted
    ? singleFlight(cache.lookups, `bu:${wanted.toLowerCase()}`, () => lookupBusinessUnit(client, wanted))
    : undefined;
  const [id] = await Promise.all([root, exists]);
  return { root: id };
}

async function lookupRoot(client: DataverseClient): Promise<string> {
  const roots = await client.getAll<{ businessunitid: string }>(
    withQuery("/businessunits", {
      $select: "businessunitid,name",
      $filter: "_parentbusinessunitid_value eq null",
    }),
  );
  if (roots.length !== 1)
    throw new Error(`expected one root business unit in ${client.environmentUrl}, found ${roots.length}`);
  return roots[0].businessunitid;
}

async function lookupBusinessUnit(client: DataverseClient, wanted: string): Promise<string> {
  const rows = await client.getAll<{ businessunitid: string }>(
    withQuery("/businessunits", { $select: "businessunitid,name", $filter: `businessunitid eq ${wanted}` }),
  );
  if (rows.length === 0) {
    throw new Error(
      `business unit ${wanted} does not exist in ${client.environmentUrl}: set dataverse.businessUnitId to an existing business unit id, or remove it for the root business unit`,
    );
  }
  return rows[0].businessunitid;
}

export async function rootBusinessUnitId(client: DataverseClient): Promise<string> {
  return (await businessUnits(client)).root;
}

/** Every row for an Entra app, soft-deleted leftovers included, with roles. */
export async function usersByApplicationId(client: DataverseClient, applicationId: string): Promise<SystemUserRow[]> {
  return client.getAll<SystemUserRow>(
    withQuery("/systemusers", {
      $select: USER_SELECT,
      $filter: `applicationid eq ${applicationId}`,
      $expand: EXPAND_ROLES,
    }),
  );
}

/** The live application user of an Entra app (at most one per environment), with its roles. */
export async function findUserByApplicationId(
  client: DataverseClient,
  applicationId: string,
): Promise<SystemUserRow | undefined> {
  return (await usersByApplicationId(client, applicationId)).find(isLive);
}

/** The row as stored, soft-deleted or not; undefined when purged or never there. */
async function getRow(client: DataverseClient, systemUserId: string): Promise<SystemUserRow | undefined> {
  try {
    return await client.get<SystemUserRow>(
      withQuery(`/systemusers(${systemUserId})`, { $select: USER_SELECT, $expand: EXPAND_ROLES }),
    );
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The live user; a soft-deleted one counts as absent (deleted in the admin center, or half-way through a delete). */
export async function getUser(client: DataverseClient, systemUserId: string): Promise<SystemUserRow | undefined> {
  const row = await getRow(client, systemUserId);
  return row && isLive(row) ? row : undefined;
}

/** Creates the application user; answers its id. Dataverse fills name and e-mail from Entra. */
export async function createUser(
  client: DataverseClient,
  applicationId: string,
  businessUnitId: string,
): Promise<string> {
  const res = await client.request<SystemUserRow>(
    "POST",
    withQuery("/systemusers", { $select: "systemuserid" }),
    {
      applicationid: applicationId,
      "businessunitid@odata.bind": `/businessunits(${businessUnitId})`,
      accessmode: 4, // non-interactive, as Microsoft's Power Platform provider sends
      isdisabled: false,
    },
    { Prefer: "return=representation" },
  );
  if (res.data?.systemuserid) return res.data.systemuserid;
  const entityId = res.headers["odata-entityid"];
  const id = entityId ? /\(([0-9a-f-]{36})\)$/i.exec(entityId)?.[1] : undefined;
  if (!id) throw new Error(`Dataverse created an application user for ${applicationId} but did not say its id`);
  return id;
}

/** Changes enabled state and/or business unit in one PATCH. Dataverse drops a user's roles when the business unit changes. */
export async function updateUser(
  client: DataverseClient,
  systemUserId: string,
  change: { isdisabled?: boolean; businessUnitId?: string },
): Promise<void> {
  const body: Record<string, unknown> = {};
  if (change.isdisabled !== undefined) body.isdisabled = change.isdisabled;
  if (change.businessUnitId) body["businessunitid@odata.bind"] = `/businessunits(${change.businessUnitId})`;
  await client.request("PATCH", `/systemusers(${systemUserId})`, body, ONLY_IF_EXISTS);
}

/**
 * Removes the user for good: disable (only disabled application users can be deleted), DELETE (soft delete),
 * DELETE again (purge), as Microsoft's provider does (microsoft/terraform-provider-power-platform, internal/services/application). A soft-deleted row gets only the
 * purge. A row gone at any step counts as deleted.
 */
export async function purgeUser(client: DataverseClient, systemUserId: string): Promise<"deleted" | "already gone"> {
  try {
    const row = await getRow(client, systemUserId);
    if (!row) return "already gone";
    if (isLive(row)) {
      if (!row.isdisabled) await updateUser(client, systemUserId, { isdisabled: true });
      await client.request("DELETE", `/systemusers(${systemUserId})`);
    }
    await client.request("DELETE", `/systemusers(${systemUserId})`);
    return "deleted";
  } catch (err) {
    if (isNotFound(err)) return "already gone";
    throw err;
  }
}

/**
 * The roles of a business unit, one query per environment and unit in this provider process (single flight);
 * `fresh` reads them again (a role created since, such as a generated one).
 */
export async function rolesOfBusinessUnit(
  client: DataverseClient,
  businessUnitId: string,
  fresh = false,
): Promise<RoleRow[]> {
  const cache = environmentCache(client.environmentUrl).roles;
  const key = businessUnitId.toLowerCase();
  if (fresh || !cache.has(key)) {
    const query = client.getAll<RoleRow>(
      withQuery("/roles", { $select: ROLE_SELECT, $filter: `_businessunitid_value eq ${businessUnitId}` }),
    );
    cache.set(key, query);
    query.catch(() => cache.delete(key));
  }
  return cache.get(key)!;
}

/** All roles of one business unit matching any of the names or template ids, in one query. */
export async function findRoles(client: DataverseClient, businessUnitId: string, refs: string[]): Promise<RoleRow[]> {
  if (refs.length === 0) return [];
  const clauses = refs.map((ref) =>
    isGuid(ref) ? `_roletemplateid_value eq ${ref} or roleid eq ${ref}` : `name eq ${quote(ref)}`,
  );
  return client.getAll<RoleRow>(
    withQuery("/roles", {
      $select: ROLE_SELECT,
      $filter: `_businessunitid_value eq ${businessUnitId} and (${clauses.join(" or ")})`,
    }),
  );
}

/** Role names of a business unit, for suggestions when a name matches nothing. */
export async function roleNames(client: DataverseClient, businessUnitId: string): Promise<string[]> {
  const rows = await client.getAll<RoleRow>(
    withQuery("/roles", { $select: "name", $filter: `_businessunitid_value eq ${businessUnitId}` }),
  );
  return rows.map((r) => r.name);
}

export async function addRole(client: DataverseClient, systemUserId: string, roleId: string): Promise<void> {
  try {
    await client.request("POST", `/systemusers(${systemUserId})/systemuserroles_association/$ref`, {
      "@odata.id": `${client.apiRoot}/roles(${roleId})`,
    });
  } catch (err) {
    // A retried POST whose first attempt landed: the role is there, which is what we wanted.
    if (isDataverseError(err) && err.code === DUPLICATE_RECORD) return;
    throw err;
  }
}

export async function removeRole(client: DataverseClient, systemUserId: string, roleId: string): Promise<void> {
  try {
    await client.request("DELETE", `/systemusers(${systemUserId})/systemuserroles_association(${roleId})/$ref`);
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
}
