import { randomUUID } from "node:crypto";
import recordedDefinition from "./recorded/tf-power-platform/entitydefinition_contact.json";
import { seedAdministratorPrivileges } from "./privilegeRoutes";

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
  /** 0 live, 1 soft-deleted (a first DELETE); a second DELETE purges the row (REFERENCE.md 1.6, 1.8). */
  deletedstate: number;
  /** Row version, answered as `@odata.etag: W/"<versionnumber>"` like the recorded rows. */
  versionnumber: number;
}
export type EntityDefinition = Record<string, unknown> & { LogicalName: string; ChangeTrackingEnabled: boolean };
/** A privilege and the depths it can be granted at (privilege EntityType: canbebasic, canbelocal, canbedeep, canbeglobal). */
export interface PrivilegeRow { privilegeid: string; name: string; canbebasic: boolean; canbelocal: boolean; canbedeep: boolean; canbeglobal: boolean }

const TABLE_OPERATIONS = ["Create", "Read", "Write", "Delete", "Append", "AppendTo", "Assign", "Share"];

/** prv<Operation><SchemaName> for every table: user-owned tables take every depth; organization-owned ones only Global. */
function privilegesFor(entities: Map<string, EntityDefinition>): PrivilegeRow[] {
  const row = (name: string, orgOwned = false): PrivilegeRow => ({
    privilegeid: randomUUID(), name, canbebasic: !orgOwned, canbelocal: !orgOwned, canbedeep: !orgOwned, canbeglobal: true,
  });
  const rows = [...entities.values()].flatMap((e) => TABLE_OPERATIONS.map((op) => row(`prv${op}${e.SchemaName as string}`)));
  return [...rows, row("prvReadUser"), row("prvReadBusinessUnit"), row("prvReadOrganization", true), row("prvWriteOrganization", true)];
}

/** Standard role templates (REFERENCE.md §2.1); every business unit gets a copy with its own role id. */
export const ROLE_TEMPLATES: Record<string, string> = {
  "System Administrator": "627090ff-40a3-4053-8790-584edc5be201",
  "System Customizer": "119f245c-3cc8-4b62-b31c-d1a046ced15d",
  "Support User": "2d101bb3-5ced-4122-83f1-94d5efde4e3b",
  Delegate: "d892cc0b-28c7-4e88-bd92-72f2c366baed",
  "Basic User": "236750cd-45ae-4939-ab12-b24b920ced93",
};

/**
 * A whole table definition as a GET of EntityDefinitions(LogicalName='contact') returns it, recorded from a real
 * environment (recorded/tf-power-platform/entitydefinition_contact.json; provenance in recorded/README.md). Every
 * emulated table is this body with its own names and ids, so PUT must send back ~110 properties, as the real service
 * requires.
 */
const RECORDED = recordedDefinition as Record<string, unknown>;

const relabel = (labels: unknown, text: string) => {
  const l = labels as { LocalizedLabels: Record<string, unknown>[]; UserLocalizedLabel: Record<string, unknown> | null };
  return {
    ...l,
    LocalizedLabels: l.LocalizedLabels.map((x) => ({ ...x, Label: text, MetadataId: randomUUID() })),
    UserLocalizedLabel: l.UserLocalizedLabel ? { ...l.UserLocalizedLabel, Label: text, MetadataId: randomUUID() } : null,
  };
};

/** A table definition in the recorded shape, with this table's names, ids and tracking flags. */
export function entityDefinition(logicalName: string, options: { enabled?: boolean; eligible?: boolean } = {}): EntityDefinition {
  const schema = logicalName.replace(/(^|_)([a-z])/g, (_m, p, c) => `${p}${c.toUpperCase()}`);
  const { "@odata.context": _context, ...body } = RECORDED;
  return {
    ...structuredClone(body),
    MetadataId: randomUUID(),
    LogicalName: logicalName,
    SchemaName: schema,
    EntitySetName: `${logicalName}s`,
    LogicalCollectionName: `${logicalName}s`,
    CollectionSchemaName: `${schema}s`,
    PrimaryIdAttribute: `${logicalName}id`,
    ReportViewName: `Filtered${schema}`,
    ObjectTypeCode: 10_000 + logicalName.length,
    IsCustomEntity: logicalName.includes("_"),
    DisplayName: relabel(body.DisplayName, schema),
    DisplayCollectionName: relabel(body.DisplayCollectionName, `${schema}s`),
    Description: relabel(body.Description, `${schema} table`),
    ChangeTrackingEnabled: options.enabled ?? false,
    CanChangeTrackingBeEnabled: { ...(body.CanChangeTrackingBeEnabled as object), Value: options.eligible ?? true },
  } as EntityDefinition;
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
  for (const name of ["account", "contact", "lead", "opportunity", "incident", "phonecall"]) entities.set(name, entityDefinition(name));
  entities.set("annotation", entityDefinition("annotation", { enabled: true }));
  entities.set("activitypointer", entityDefinition("activitypointer", { eligible: false }));
  for (let i = 1; i <= (options.extraTables ?? 0); i++) {
    const name = `new_table${String(i).padStart(3, "0")}`;
    entities.set(name, entityDefinition(name));
  }
  const admin: User = {
    systemuserid: randomUUID(), applicationid: null, isdisabled: false, accessmode: 0,
    _businessunitid_value: root.businessunitid, fullname: "Deployment Admin", roles: new Set(), deletedstate: 0, versionnumber: 1_000_000,
  };
  admin.roles.add(roles.find((r) => r.name === "System Administrator" && r._businessunitid_value === root.businessunitid)!.roleid);
  const data = {
    organizationId: randomUUID(),
    businessUnits: [root, sales],
    roles,
    users: new Map<string, User>([[admin.systemuserid, admin]]),
    adminUserId: admin.systemuserid,
    entities,
    privileges: privilegesFor(entities),
    /** Per role: privilege id -> depth. */
    rolePrivileges: new Map<string, Map<string, "Basic" | "Local" | "Deep" | "Global">>(),
    /** PublishXml calls that finished their work (for tests and the bench). */
    publishes: 0,
    /** Tables changed by a PUT since they were last published. */
    unpublished: new Set<string>(),
    /** Row versions grow with every write, as versionnumber does. */
    nextVersion: 1_000_001,
  };
  // The deploying admin's System Administrator role holds every privilege (what preflight reads back).
  seedAdministratorPrivileges(data);
  return data;
}

export type EmulatorData = ReturnType<typeof seed>;

/** Puts an application user into the data (tests and the sandbox seed users this way), with the row defaults filled. */
export function addApplicationUser(data: EmulatorData, user: Pick<User, "applicationid" | "_businessunitid_value"> & Partial<User>): User {
  const full: User = {
    systemuserid: randomUUID(), isdisabled: false, accessmode: 4, fullname: `# app ${String(user.applicationid).slice(0, 8)}`,
    roles: new Set(), deletedstate: 0, versionnumber: data.nextVersion++, ...user,
  };
  data.users.set(full.systemuserid, full);
  return full;
}

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
