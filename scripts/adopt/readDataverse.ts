import type { DataverseClient } from "../../components/dataverse/http/client";
import { isLive, usersByApplicationId } from "../../components/dataverse/applicationUserApi";
import { trackingStates } from "../../components/dataverse/changeTrackingApi";
import { withQuery } from "../../components/dataverse/http/odata";
import type { DataverseSnapshot } from "./snapshot";

interface BusinessUnitRow {
  businessunitid: string;
  name?: string;
  _parentbusinessunitid_value: string | null;
}

/**
 * Reads the application user of an app (by its client id, soft-deleted rows ignored), its business unit and roles,
 * and which of `tables` have change tracking on: three GETs, nothing written.
 */
export async function readDataverse(
  client: DataverseClient,
  key: string,
  url: string,
  clientId: string,
  tables: string[],
): Promise<DataverseSnapshot> {
  const [users, units, tracking] = await Promise.all([
    usersByApplicationId(client, clientId),
    client.getAll<BusinessUnitRow>(
      withQuery("/businessunits", { $select: "businessunitid,name,_parentbusinessunitid_value" }),
    ),
    tables.length ? trackingStates(client, tables) : Promise.resolve([]),
  ]);
  const live = users.find(isLive);
  const trackedTables = tracking
    .filter((t) => t.ChangeTrackingEnabled)
    .map((t) => t.LogicalName)
    .sort();
  if (!live) return { key, url, trackedTables };
  const unit = units.find((u) => u.businessunitid.toLowerCase() === live._businessunitid_value.toLowerCase());
  return {
    key,
    url,
    trackedTables,
    user: {
      systemUserId: live.systemuserid,
      isDisabled: live.isdisabled,
      businessUnitId: live._businessunitid_value.toLowerCase(),
      ...(unit?.name ? { businessUnitName: unit.name } : {}),
      isRootBusinessUnit: unit ? unit._parentbusinessunitid_value === null : false,
      roles: (live.systemuserroles_association ?? []).map((r) => ({
        roleId: r.roleid,
        name: r.name,
        templateId: r._roletemplateid_value ?? null,
      })),
    },
  };
}
