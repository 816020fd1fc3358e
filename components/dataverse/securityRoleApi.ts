import type { DataverseClient } from "./http/client";
import { throwIfPartFailed } from "./http/batch";
import { customizationRequest } from "./http/customizationLock";
import { isDataverseError, isNotFound } from "./http/errors";
import { quote, withQuery } from "./http/odata";
import { TABLE_NOT_FOUND, type TablePrivilege } from "./privilegeResolution";
import type { HeldPrivilege, PrivilegeDepth } from "./securityRolePlan";
import { normalizeDepth } from "./depths";

export interface RoleLookupRow {
  roleid: string;
  name: string;
  _businessunitid_value: string;
}

/** Dataverse's RoleAlreadyExists ("A role with the specified name '{0}' already exists on business unit {1} ..."). */
const ROLE_ALREADY_EXISTS = "0x80041403";

const definitionPath = (table: string) =>
  withQuery(`/EntityDefinitions(LogicalName=${quote(table)})`, { $select: "LogicalName,Privileges" });
const sameNamePath = (name: string, businessUnitId: string) =>
  withQuery("/roles", {
    $select: "roleid,name,_businessunitid_value",
    $filter: `name eq ${quote(name)} and _businessunitid_value eq ${businessUnitId}`,
  });

/**
 * Each table's privileges (EntityDefinitions(LogicalName='x')?$select=Privileges) and, when a role name is given,
 * the roles of that name in the business unit: one round trip ($batch of GETs). A table the environment does not
 * know answers 404 and is reported by resolveGrants, with every other problem.
 */
export async function tablePrivilegesAndNamesakes(
  client: DataverseClient,
  tables: string[],
  roleName?: string,
  businessUnitId?: string,
): Promise<{ tables: Map<string, TablePrivilege[] | typeof TABLE_NOT_FOUND>; namesakes: RoleLookupRow[] }> {
  const parts = await client.batch([
    ...tables.map((t) => ({ method: "GET" as const, path: definitionPath(t) })),
    ...(roleName && businessUnitId ? [{ method: "GET" as const, path: sameNamePath(roleName, businessUnitId) }] : []),
  ]);
  const map = new Map<string, TablePrivilege[] | typeof TABLE_NOT_FOUND>();
  tables.forEach((t, i) => {
    if (parts[i].status === 404) {
      map.set(t, TABLE_NOT_FOUND);
    } else {
      throwIfPartFailed(parts[i], "GET", definitionPath(t), `definition of table ${t}`);
      map.set(t, (parts[i].body as { Privileges?: TablePrivilege[] }).Privileges ?? []);
    }
  });
  let namesakes: RoleLookupRow[] = [];
  if (roleName && businessUnitId) {
    const part = parts[tables.length];
    throwIfPartFailed(part, "GET", "/roles", "roles of the same name");
    // Dataverse compares names case-insensitively; the emulator may not, so compare here as well.
    namesakes = (part.body as { value: RoleLookupRow[] }).value.filter(
      (r) => r.name.toLowerCase() === roleName.toLowerCase(),
    );
  }
  return { tables: map, namesakes };
}

/** Why a role of this name cannot be created: one this stack did not create already has it. */
export function collisionMessage(
  roleName: string,
  businessUnitId: string,
  environmentUrl: string,
  existing: string[],
): string {
  return (
    `a security role named "${roleName}" already exists in business unit ${businessUnitId} of ${environmentUrl} (role id ${existing.join(", ")}) and this stack did not create it. ` +
    "Resolve it by renaming or deleting that role in the Power Platform admin center (Settings > Users + permissions > Security roles) if it is a leftover, " +
    "or by giving this integration another name, so that the stack creates its own role; the stack never takes over a role it did not create."
  );
}

/** A custom role in the root business unit (only roles there can be edited and are copied into child units). */
export async function createRole(client: DataverseClient, name: string, businessUnitId: string): Promise<string> {
  try {
    const res = await client.request<{ roleid?: string }>(
      "POST",
      withQuery("/roles", { $select: "roleid" }),
      {
        name,
        "businessunitid@odata.bind": `/businessunits(${businessUnitId})`,
      },
      { Prefer: "return=representation" },
    );
    const id = res.data?.roleid ?? /\(([0-9a-f-]{36})\)$/i.exec(res.headers["odata-entityid"] ?? "")?.[1];
    if (!id) throw new Error(`Dataverse created role "${name}" but did not say its id`);
    return id;
  } catch (err) {
    // A namesake created between the check and the POST, where the service refuses duplicates (UNCONFIRMED that it does).
    if (isDataverseError(err) && err.code === ROLE_ALREADY_EXISTS) {
      const id = /Role id: ([0-9a-f-]{36})/i.exec(err.detail)?.[1] ?? "unknown";
      throw new Error(collisionMessage(name, businessUnitId, client.environmentUrl, [id]), { cause: err });
    }
    throw err;
  }
}

export async function renameRole(client: DataverseClient, roleId: string, name: string): Promise<void> {
  await client.request("PATCH", `/roles(${roleId})`, { name }, { "If-Match": "*" });
}

/**
 * Sets exactly these privileges in one call: the bound action ReplacePrivilegesRole replaces the role's whole set
 * (AddPrivilegesRole only adds; learn.microsoft.com Web API reference, role EntityType actions). Depth goes as the
 * PrivilegeDepth member name, as in Microsoft's recorded AddPrivilegesRole sample.
 */
export async function replacePrivileges(
  client: DataverseClient,
  roleId: string,
  businessUnitId: string,
  privileges: { privilegeId: string; name: string; depth: PrivilegeDepth }[],
): Promise<void> {
  // Whether privilege writes take the environment's customization lock is UNCONFIRMED: they go through the
  // environment's customization queue (one at a time, lock answers waited out), which costs nothing if they do not.
  await customizationRequest(
    client,
    `privileges of security role ${roleId}`,
    "POST",
    `/roles(${roleId})/Microsoft.Dynamics.CRM.ReplacePrivilegesRole`,
    {
      Privileges: privileges.map((p) => ({
        PrivilegeId: p.privilegeId,
        Depth: p.depth,
        BusinessUnitId: businessUnitId,
        PrivilegeName: p.name,
      })),
    },
  );
}

/** The role's name and business unit and what it really holds, in one round trip; undefined when the role is gone. */
export async function readRole(
  client: DataverseClient,
  roleId: string,
): Promise<{ name: string; businessUnitId: string; privileges: HeldPrivilege[] } | undefined> {
  const [role, held] = await client.batch([
    { method: "GET", path: withQuery(`/roles(${roleId})`, { $select: "roleid,name,_businessunitid_value" }) },
    { method: "GET", path: `/RetrieveRolePrivilegesRole(RoleId=${roleId})` },
  ]);
  if (role.status === 404) return undefined;
  for (const part of [role, held]) throwIfPartFailed(part, "GET", `/roles(${roleId})`, "role");
  const r = role.body as { name: string; _businessunitid_value: string };
  const list =
    (held.body as { RolePrivileges?: { PrivilegeName: string; Depth: PrivilegeDepth | string }[] }).RolePrivileges ??
    [];
  return {
    name: r.name,
    businessUnitId: r._businessunitid_value,
    privileges: list.map((p) => ({ name: p.PrivilegeName, depth: normalizeDepth(p.Depth) })),
  };
}

/**
 * Takes the role away from every user who holds it or one of its child-unit copies, then deletes it; a role
 * already gone counts as deleted. (Whether Dataverse refuses to delete a held role is UNCONFIRMED: unassign first.)
 */
export async function unassignAndDeleteRole(
  client: DataverseClient,
  roleId: string,
): Promise<"deleted" | "already gone"> {
  try {
    const copies = await client.getAll<{ roleid: string }>(
      withQuery("/roles", { $select: "roleid", $filter: `_parentrootroleid_value eq ${roleId}` }),
    );
    const ids = [...new Set([roleId, ...copies.map((c) => c.roleid)])];
    const holders = await Promise.all(
      ids.map(async (id) => ({
        id,
        users: await client.getAll<{ systemuserid: string }>(
          withQuery(`/roles(${id})/systemuserroles_association`, { $select: "systemuserid" }),
        ),
      })),
    );
    await Promise.all(
      holders.flatMap(({ id, users }) =>
        users.map((u) =>
          client
            .request("DELETE", `/systemusers(${u.systemuserid})/systemuserroles_association(${id})/$ref`)
            .catch((err) => {
              if (!isNotFound(err)) throw err;
            }),
        ),
      ),
    );
    await client.request("DELETE", `/roles(${roleId})`);
    return "deleted";
  } catch (err) {
    if (isNotFound(err)) return "already gone";
    throw err;
  }
}
