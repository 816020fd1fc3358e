import type { DataverseClient } from "./client";
import { throwIfPartFailed } from "./batch";
import { environmentCache } from "./environmentCache";
import { isNotFound } from "./errors";
import { quote, withQuery } from "./odata";
import type { HeldPrivilege, PrivilegeDepth } from "./securityRolePlan";

/** A privilege row: which depths it can be granted at. */
export interface PrivilegeRow {
  privilegeid: string;
  name: string;
  canbebasic: boolean;
  canbelocal: boolean;
  canbedeep: boolean;
  canbeglobal: boolean;
}

const PRIVILEGE_SELECT = "privilegeid,name,canbebasic,canbelocal,canbedeep,canbeglobal";

const privilegeQuery = (names: string[]) => withQuery("/privileges", {
  $select: PRIVILEGE_SELECT,
  $filter: names.map((n) => `name eq ${quote(n)}`).join(" or "),
});

/** Resolves privilege names to rows (Dataverse compares the names case-insensitively), refusing unknown names and unsupported depths. */
export function resolvePrivileges(wanted: HeldPrivilege[], rows: PrivilegeRow[]): { privilegeId: string; name: string; depth: PrivilegeDepth }[] {
  const byName = new Map(rows.map((r) => [r.name.toLowerCase(), r]));
  const problems: string[] = [];
  const unknown = wanted.filter((w) => !byName.has(w.name.toLowerCase())).map((w) => w.name);
  if (unknown.length) problems.push(`${unknown.join(", ")} ${unknown.length > 1 ? "do" : "does"} not exist in this environment (a table that is not there or not spelled as its logical name, or an operation the table does not have)`);
  const out = wanted.map((w) => {
    const row = byName.get(w.name.toLowerCase());
    if (!row) return undefined;
    const allowed = { Basic: row.canbebasic, Local: row.canbelocal, Deep: row.canbedeep, Global: row.canbeglobal }[w.depth];
    if (!allowed) {
      const can = (["Basic", "Local", "Deep", "Global"] as const).filter((d) => ({ Basic: row.canbebasic, Local: row.canbelocal, Deep: row.canbedeep, Global: row.canbeglobal })[d]);
      problems.push(`${row.name} cannot be granted at depth ${w.depth} (it can be: ${can.join(", ") || "none"})`);
    }
    return { privilegeId: row.privilegeid, name: row.name, depth: w.depth };
  });
  if (problems.length) throw new Error(`the role's privileges cannot be set: ${problems.join("; ")}`);
  return out as { privilegeId: string; name: string; depth: PrivilegeDepth }[];
}

/** The root business unit and the privilege rows, in one round trip ($batch of two GETs). */
export async function rootAndPrivileges(client: DataverseClient, names: string[]): Promise<{ root: string; rows: PrivilegeRow[] }> {
  const [bu, privileges] = await client.batch([
    { method: "GET", path: withQuery("/businessunits", { $select: "businessunitid", $filter: "_parentbusinessunitid_value eq null" }) },
    { method: "GET", path: privilegeQuery(names) },
  ]);
  throwIfPartFailed(bu, "GET", "/businessunits", "root business unit");
  throwIfPartFailed(privileges, "GET", "/privileges", "privileges");
  const roots = (bu.body as { value: { businessunitid: string }[] }).value;
  if (roots.length !== 1) throw new Error(`expected one root business unit in ${client.environmentUrl}, found ${roots.length}`);
  // The application users of this environment need the same root: they need not ask again.
  environmentCache(client.environmentUrl).root ??= Promise.resolve(roots[0].businessunitid);
  return { root: roots[0].businessunitid, rows: (privileges.body as { value: PrivilegeRow[] }).value };
}

/** The privilege rows alone (an update knows its business unit). Privilege names fit in one query. */
export async function privilegeRows(client: DataverseClient, names: string[]): Promise<PrivilegeRow[]> {
  return client.getAll<PrivilegeRow>(privilegeQuery(names));
}

/** A custom role in the root business unit (only roles there can be edited and are inherited by child units). */
export async function createRole(client: DataverseClient, name: string, businessUnitId: string): Promise<string> {
  const res = await client.request<{ roleid?: string }>("POST", withQuery("/roles", { $select: "roleid" }), {
    name, "businessunitid@odata.bind": `/businessunits(${businessUnitId})`,
  }, { Prefer: "return=representation" });
  const id = res.data?.roleid ?? /\(([0-9a-f-]{36})\)$/i.exec(res.headers["odata-entityid"] ?? "")?.[1];
  if (!id) throw new Error(`Dataverse created role "${name}" but did not say its id`);
  return id;
}

export async function renameRole(client: DataverseClient, roleId: string, name: string): Promise<void> {
  await client.request("PATCH", `/roles(${roleId})`, { name }, { "If-Match": "*" });
}

/**
 * Sets exactly these privileges in one call: the bound action ReplacePrivilegesRole replaces the role's whole set
 * (its counterpart AddPrivilegesRole only adds; learn.microsoft.com Web API reference, role EntityType actions).
 * Round trips do not grow with the number of privileges.
 */
export async function replacePrivileges(client: DataverseClient, roleId: string, businessUnitId: string, privileges: { privilegeId: string; depth: PrivilegeDepth }[]): Promise<void> {
  await client.request("POST", `/roles(${roleId})/Microsoft.Dynamics.CRM.ReplacePrivilegesRole`, {
    Privileges: privileges.map((p) => ({ PrivilegeId: p.privilegeId, Depth: p.depth, BusinessUnitId: businessUnitId })),
  });
}

/** The role's name and business unit and what it really holds, in one round trip; undefined when the role is gone. */
export async function readRole(client: DataverseClient, roleId: string): Promise<{ name: string; businessUnitId: string; privileges: HeldPrivilege[] } | undefined> {
  const [role, held] = await client.batch([
    { method: "GET", path: withQuery(`/roles(${roleId})`, { $select: "roleid,name,_businessunitid_value" }) },
    { method: "GET", path: `/RetrieveRolePrivilegesRole(RoleId=${roleId})` },
  ]);
  if (role.status === 404) return undefined;
  for (const part of [role, held]) throwIfPartFailed(part, "GET", `/roles(${roleId})`, "role");
  const r = role.body as { name: string; _businessunitid_value: string };
  const list = (held.body as { RolePrivileges?: { PrivilegeName: string; Depth: PrivilegeDepth }[] }).RolePrivileges ?? [];
  return { name: r.name, businessUnitId: r._businessunitid_value, privileges: list.map((p) => ({ name: p.PrivilegeName, depth: p.Depth })) };
}

/** Takes the role away from every user who has it, then deletes it; a role already gone counts as deleted. */
export async function unassignAndDeleteRole(client: DataverseClient, roleId: string): Promise<"deleted" | "already gone"> {
  try {
    const users = await client.getAll<{ systemuserid: string }>(withQuery(`/roles(${roleId})/systemuserroles_association`, { $select: "systemuserid" }));
    await Promise.all(users.map((u) => client.request("DELETE", `/systemusers(${u.systemuserid})/systemuserroles_association(${roleId})/$ref`).catch((err) => {
      if (!isNotFound(err)) throw err;
    })));
    await client.request("DELETE", `/roles(${roleId})`);
    return "deleted";
  } catch (err) {
    if (isNotFound(err)) return "already gone";
    throw err;
  }
}
