import { randomUUID } from "node:crypto";

export interface BusinessUnit { businessunitid: string; name: string; _parentbusinessunitid_value: string | null }
export interface Role { roleid: string; name: string; _businessunitid_value: string; _roletemplateid_value: string | null }
export interface User {
  systemuserid: string;
  applicationid: string | null;
  isdisabled: boolean;
  accessmode: number;
  _businessunitid_value: string;
  fullname: string;
  roles: Set<string>;
}
export type EntityDefinition = Record<string, unknown> & { LogicalName: string; ChangeTrackingEnabled: boolean };

/** Standard role templates (REFERENCE.md §2.1); every business unit gets a copy with its own role id. */
export const ROLE_TEMPLATES: Record<string, string> = {
  "System Administrator": "627090ff-40a3-4053-8790-584edc5be201",
  "System Customizer": "119f245c-3cc8-4b62-b31c-d1a046ced15d",
  "Support User": "2d101bb3-5ced-4122-83f1-94d5efde4e3b",
  Delegate: "d892cc0b-28c7-4e88-bd92-72f2c366baed",
  "Basic User": "236750cd-45ae-4939-ab12-b24b920ced93",
};

const label = (text: string) => ({
  LocalizedLabels: [{ Label: text, LanguageCode: 1033, IsManaged: true }],
  UserLocalizedLabel: { Label: text, LanguageCode: 1033, IsManaged: true },
});

/** A table definition with the shape (and many of the properties) the Web API returns. */
export function entityDefinition(logicalName: string, options: { enabled?: boolean; eligible?: boolean } = {}): EntityDefinition {
  const schema = logicalName.replace(/(^|_)([a-z])/g, (_m, p, c) => `${p}${c.toUpperCase()}`);
  return {
    MetadataId: randomUUID(),
    LogicalName: logicalName,
    SchemaName: schema,
    EntitySetName: `${logicalName}s`,
    ObjectTypeCode: 10_000 + logicalName.length,
    OwnershipType: "UserOwned",
    IsCustomEntity: logicalName.includes("_"),
    IsActivity: false,
    DisplayName: label(schema),
    DisplayCollectionName: label(`${schema}s`),
    Description: label(`${schema} table`),
    ChangeTrackingEnabled: options.enabled ?? false,
    CanChangeTrackingBeEnabled: { Value: options.eligible ?? true, CanBeChanged: false, ManagedPropertyLogicalName: "canchangetrackingbeenabled" },
    IsCustomizable: { Value: true, CanBeChanged: true, ManagedPropertyLogicalName: "iscustomizable" },
    IsAuditEnabled: { Value: false, CanBeChanged: true, ManagedPropertyLogicalName: "canmodifyauditsettings" },
  };
}

export interface SeedOptions {
  /** Extra eligible tables named new_table001, new_table002, ... (for benchmarks). */
  extraTables?: number;
}

export function seed(options: SeedOptions = {}) {
  const root: BusinessUnit = { businessunitid: randomUUID(), name: "contoso", _parentbusinessunitid_value: null };
  const sales: BusinessUnit = { businessunitid: randomUUID(), name: "Sales", _parentbusinessunitid_value: root.businessunitid };
  const roles: Role[] = [];
  for (const bu of [root, sales]) {
    for (const [name, template] of Object.entries(ROLE_TEMPLATES)) {
      roles.push({ roleid: randomUUID(), name, _businessunitid_value: bu.businessunitid, _roletemplateid_value: template });
    }
    roles.push({ roleid: randomUUID(), name: "CRM Sync Integration", _businessunitid_value: bu.businessunitid, _roletemplateid_value: null });
  }
  const entities = new Map<string, EntityDefinition>();
  for (const name of ["account", "contact", "lead", "opportunity", "incident"]) entities.set(name, entityDefinition(name));
  entities.set("annotation", entityDefinition("annotation", { enabled: true }));
  entities.set("activitypointer", entityDefinition("activitypointer", { eligible: false }));
  for (let i = 1; i <= (options.extraTables ?? 0); i++) {
    const name = `new_table${String(i).padStart(3, "0")}`;
    entities.set(name, entityDefinition(name));
  }
  const admin: User = {
    systemuserid: randomUUID(), applicationid: null, isdisabled: false, accessmode: 0,
    _businessunitid_value: root.businessunitid, fullname: "Deployment Admin", roles: new Set(),
  };
  admin.roles.add(roles.find((r) => r.name === "System Administrator" && r._businessunitid_value === root.businessunitid)!.roleid);
  return {
    organizationId: randomUUID(),
    businessUnits: [root, sales],
    roles,
    users: new Map<string, User>([[admin.systemuserid, admin]]),
    adminUserId: admin.systemuserid,
    entities,
  };
}

export type EmulatorData = ReturnType<typeof seed>;

/** Adds a business unit under the root, with its own copy of every role (as Dataverse does for child units). */
export function addBusinessUnit(data: EmulatorData, businessUnitId: string, name: string): void {
  const id = businessUnitId.toLowerCase();
  if (data.businessUnits.some((b) => b.businessunitid === id)) return;
  const root = data.businessUnits[0];
  data.businessUnits.push({ businessunitid: id, name, _parentbusinessunitid_value: root.businessunitid });
  for (const role of data.roles.filter((r) => r._businessunitid_value === root.businessunitid)) {
    data.roles.push({ ...role, roleid: randomUUID(), _businessunitid_value: id });
  }
}
