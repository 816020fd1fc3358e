import type { DataverseClient } from "../components/dataverse/http/client";
import { quote, withQuery } from "../components/dataverse/http/odata";

/**
 * What people do today, by hand or in scripts, in two flavours: `sequential` (one table, one role, one privilege at
 * a time; publish after every table) and `capped` (everything that does not depend on something else sent at once,
 * through the same client and therefore the same concurrency cap as ours; one publish). Same client, same retries.
 */
export type NaiveFlavour = "sequential" | "capped";

const each = async <T>(flavour: NaiveFlavour, items: T[], work: (item: T) => Promise<void>): Promise<void> => {
  if (flavour === "capped") {
    await Promise.all(items.map(work));
    return;
  }
  for (const item of items) await work(item);
};

const publish = (client: DataverseClient, tables: string[]) =>
  client.request("POST", "/PublishXml", {
    ParameterXml: `<importexportxml><entities>${tables.map((t) => `<entity>${t}</entity>`).join("")}</entities></importexportxml>`,
  });

export async function naiveChangeTracking(
  client: DataverseClient,
  tables: string[],
  flavour: NaiveFlavour,
): Promise<void> {
  const written: string[] = [];
  await each(flavour, tables, async (table) => {
    const path = `/EntityDefinitions(LogicalName=${quote(table)})`;
    const definition = await client.get<Record<string, unknown>>(path);
    if (definition.ChangeTrackingEnabled) return;
    await client.request("PUT", path, { ...definition, ChangeTrackingEnabled: true }, { "MSCRM.MergeLabels": "true" });
    if (flavour === "sequential") await publish(client, [table]);
    else written.push(table);
  });
  if (written.length) await publish(client, written);
}

async function rootBusinessUnit(client: DataverseClient): Promise<string> {
  const [root] = await client.getAll<{ businessunitid: string }>(
    withQuery("/businessunits", { $select: "businessunitid", $filter: "_parentbusinessunitid_value eq null" }),
  );
  return root.businessunitid;
}

export async function naiveApplicationUser(
  client: DataverseClient,
  applicationId: string,
  roles: string[],
  flavour: NaiveFlavour,
): Promise<void> {
  const [root, existing] = await Promise.all([
    rootBusinessUnit(client),
    client.getAll<{ systemuserid: string }>(
      withQuery("/systemusers", { $select: "systemuserid", $filter: `applicationid eq ${applicationId}` }),
    ),
  ]);
  let id = existing[0]?.systemuserid;
  if (!id) {
    const res = await client.request<{ systemuserid: string }>(
      "POST",
      withQuery("/systemusers", { $select: "systemuserid" }),
      { applicationid: applicationId, "businessunitid@odata.bind": `/businessunits(${root})` },
      { Prefer: "return=representation" },
    );
    id = res.data.systemuserid;
  }
  await each(flavour, roles, async (name) => {
    const [role] = await client.getAll<{ roleid: string }>(
      withQuery("/roles", {
        $select: "roleid",
        $filter: `name eq ${quote(name)} and _businessunitid_value eq ${root}`,
      }),
    );
    await client.request("POST", `/systemusers(${id})/systemuserroles_association/$ref`, {
      "@odata.id": `${client.apiRoot}/roles(${role.roleid})`,
    });
  });
}

/** The root unit, the role, then per privilege a lookup and an AddPrivilegesRole. */
export async function naiveSecurityRole(
  client: DataverseClient,
  name: string,
  privileges: { name: string; depth: string }[],
  flavour: NaiveFlavour,
): Promise<void> {
  const root = await rootBusinessUnit(client);
  const role = await client.request<{ roleid: string }>(
    "POST",
    "/roles?$select=roleid",
    { name, "businessunitid@odata.bind": `/businessunits(${root})` },
    { Prefer: "return=representation" },
  );
  await each(flavour, privileges, async (p) => {
    const [row] = await client.getAll<{ privilegeid: string }>(
      withQuery("/privileges", { $select: "privilegeid", $filter: `name eq ${quote(p.name)}` }),
    );
    await client.request("POST", `/roles(${role.data.roleid})/Microsoft.Dynamics.CRM.AddPrivilegesRole`, {
      Privileges: [{ PrivilegeId: row.privilegeid, Depth: p.depth, BusinessUnitId: root }],
    });
  });
}
