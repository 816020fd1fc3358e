import type { DataverseClient } from "../components/dataverse/client";
import { quote, withQuery } from "../components/dataverse/odata";

/**
 * What people do today, by hand or in scripts: one table at a time (read, write back, publish) and one role at a
 * time (look it up, assign it). The benchmark's baseline; same client, same retries, no parallelism.
 */
export async function naiveChangeTracking(client: DataverseClient, tables: string[]): Promise<void> {
  for (const table of tables) {
    const path = `/EntityDefinitions(LogicalName=${quote(table)})`;
    const definition = await client.get<Record<string, unknown>>(path);
    if (definition.ChangeTrackingEnabled) continue;
    await client.request("PUT", path, { ...definition, ChangeTrackingEnabled: true }, { "MSCRM.MergeLabels": "true" });
    await client.request("POST", "/PublishXml", { ParameterXml: `<importexportxml><entities><entity>${table}</entity></entities></importexportxml>` });
  }
}

export async function naiveApplicationUser(client: DataverseClient, applicationId: string, roles: string[]): Promise<void> {
  const [root] = await client.getAll<{ businessunitid: string }>(withQuery("/businessunits", { $select: "businessunitid", $filter: "_parentbusinessunitid_value eq null" }));
  const existing = await client.getAll<{ systemuserid: string }>(withQuery("/systemusers", { $select: "systemuserid", $filter: `applicationid eq ${applicationId}` }));
  let id = existing[0]?.systemuserid;
  if (!id) {
    const res = await client.request<{ systemuserid: string }>("POST", withQuery("/systemusers", { $select: "systemuserid" }),
      { applicationid: applicationId, "businessunitid@odata.bind": `/businessunits(${root.businessunitid})` }, { Prefer: "return=representation" });
    id = res.data.systemuserid;
  }
  for (const name of roles) {
    const [role] = await client.getAll<{ roleid: string }>(withQuery("/roles", { $select: "roleid", $filter: `name eq ${quote(name)} and _businessunitid_value eq ${root.businessunitid}` }));
    await client.request("POST", `/systemusers(${id})/systemuserroles_association/$ref`, { "@odata.id": `${client.apiRoot}/roles(${role.roleid})` });
  }
}

/** A naive role script: the root unit, one privilege lookup and one AddPrivilegesRole per privilege, one after the other. */
export async function naiveSecurityRole(client: DataverseClient, name: string, privileges: { name: string; depth: string }[]): Promise<void> {
  const root = (await client.get<{ value: { businessunitid: string }[] }>("/businessunits?$select=businessunitid&$filter=_parentbusinessunitid_value eq null")).value[0].businessunitid;
  const role = await client.request<{ roleid: string }>("POST", "/roles?$select=roleid", { name, "businessunitid@odata.bind": `/businessunits(${root})` }, { Prefer: "return=representation" });
  for (const p of privileges) {
    const row = (await client.get<{ value: { privilegeid: string }[] }>(`/privileges?$select=privilegeid&$filter=name eq '${p.name}'`)).value[0];
    await client.request("POST", `/roles(${role.data.roleid})/Microsoft.Dynamics.CRM.AddPrivilegesRole`, { Privileges: [{ PrivilegeId: row.privilegeid, Depth: p.depth, BusinessUnitId: root }] });
  }
}
