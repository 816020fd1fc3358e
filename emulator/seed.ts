import { randomUUID } from "node:crypto";
import recordedDefinition from "./recorded/tf-power-platform/entitydefinition_contact.json";
import { seedAdministratorPrivileges } from "./privilegeRoutes";
import { KNOWN_TABLES, NEW_ROLE_DEFAULTS, privilegesByTable } from "./privilegeSeed";

export interface BusinessUnit {
  businessunitid: string;
  name: string;
  _parentbusinessunitid_value: string | null;
}
/**
 * `_parentrootroleid_value`: a root role's own id; a child unit's copy names the root role (recorded roles collection,
 * recorded/tf-power-platform/roles_collection.json: every root role names itself).
 */
export interface Role {
  roleid: string;
  name: string;
  _businessunitid_value: string;
  _roletemplateid_value: string | null;
  _parentrootroleid_value: string;
}
export interface User {
  systemuserid: string;
  applicationid: string | null;
  isdisabled: boolean;
  accessmode: number;
  _businessunitid_value: string;
  fullname: string;
  roles: Set<string>;
  /** 0 live, 1 soft-deleted (a first DELETE); a second DELETE purges the row (Microsoft's Power Platform provider deletes application users twice). */
  deletedstate: number;
  /** Row version, answered as `@odata.etag: W/"<versionnumber>"` like the recorded rows. */
  versionnumber: number;
}
export type EntityDefinition = Record<string, unknown> & { LogicalName: string; ChangeTrackingEnabled: boolean };
/** A privilege and the depths it can be granted at (privilege EntityType: canbebasic, canbelocal, canbedeep, canbeglobal). */
export interface PrivilegeRow {
  privilegeid: string;
  name: string;
  canbebasic: boolean;
  canbelocal: boolean;
  canbedeep: boolean;
  canbeglobal: boolean;
}

/**
 * The privilege rows (`GET privileges`) of every known table, one per privilege (activity tables share theirs), and
 * the recorded defaults a new role holds. All from recorded material (privilegeSeed.ts); defaults' flags UNCONFIRMED.
 */
function privilegesFor(entities: Map<string, EntityDefinition>): PrivilegeRow[] {
  const rows = new Map<string, PrivilegeRow>();
  for (const e of entities.values()) {
    for (const p of (e.Privileges as
      | {
          PrivilegeId: string;
          Name: string;
          CanBeBasic: boolean;
          CanBeLocal: boolean;
          CanBeDeep: boolean;
          CanBeGlobal: boolean;
        }[]
      | undefined) ?? []) {
      rows.set(p.PrivilegeId, {
        privilegeid: p.PrivilegeId,
        name: p.Name,
        canbebasic: p.CanBeBasic,
        canbelocal: p.CanBeLocal,
        canbedeep: p.CanBeDeep,
        canbeglobal: p.CanBeGlobal,
      });
    }
  }
  for (const d of NEW_ROLE_DEFAULTS) {
    if (!rows.has(d.privilegeid))
      rows.set(d.privilegeid, {
        privilegeid: d.privilegeid,
        name: d.name,
        canbebasic: false,
        canbelocal: false,
        canbedeep: false,
        canbeglobal: true,
      });
  }
  return [...rows.values()];
}

/** Standard role templates (learn.microsoft.com .../security-roles, role template ids); every business unit gets a copy with its own role id. */
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
  const l = labels as {
    LocalizedLabels: Record<string, unknown>[];
    UserLocalizedLabel: Record<string, unknown> | null;
  };
  return {
    ...l,
    LocalizedLabels: l.LocalizedLabels.map((x) => ({ ...x, Label: text, MetadataId: randomUUID() })),
    UserLocalizedLabel: l.UserLocalizedLabel
      ? { ...l.UserLocalizedLabel, Label: text, MetadataId: randomUUID() }
      : null,
  };
};

/** A table definition in the recorded shape, with this table's names, ids and tracking flags. */
export function entityDefinition(
  logicalName: string,
  options: { enabled?: boolean; eligible?: boolean; privileges?: unknown[] } = {},
): EntityDefinition {
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
    // A custom table's privileges are prv<Type> + SchemaName (recorded sample: prvReadsample_BankAccount).
    Privileges:
      options.privileges ??
      ["Create", "Read", "Write", "Delete", "Assign", "Share", "Append", "AppendTo"].map((type) => ({
        CanBeBasic: true,
        CanBeLocal: true,
        CanBeDeep: true,
        CanBeGlobal: true,
        CanBeEntityReference: false,
        CanBeParentEntityReference: false,
        CanBeRecordFilter: false,
        Name: `prv${type}${schema}`,
        PrivilegeId: randomUUID(),
        PrivilegeType: type,
      })),
  } as EntityDefinition;
}

export interface SeedOptions {
  /** Extra eligible tables named new_table001, new_table002, ... (for benchmarks). */
  extraTables?: number;
}

export function seed(options: SeedOptions = {}) {
  const root: BusinessUnit = { businessunitid: randomUUID(), name: "contoso", _parentbusinessunitid_value: null };
  const sales: BusinessUnit = {
    businessunitid: randomUUID(),
    name: "Sales",
    _parentbusinessunitid_value: root.businessunitid,
  };
  const roles: Role[] = [];
  for (const bu of [root, sales]) {
    const rootRole = (name: string) =>
      roles.find((r) => r.name === name && r._businessunitid_value === root.businessunitid)?.roleid;
    for (const [name, template] of Object.entries(ROLE_TEMPLATES)) {
      const id = randomUUID();
      roles.push({
        roleid: id,
        name,
        _businessunitid_value: bu.businessunitid,
        _roletemplateid_value: template,
        _parentrootroleid_value: rootRole(name) ?? id,
      });
    }
    const id = randomUUID();
    roles.push({
      roleid: id,
      name: "CRM Sync Integration",
      _businessunitid_value: bu.businessunitid,
      _roletemplateid_value: null,
      _parentrootroleid_value: rootRole("CRM Sync Integration") ?? id,
    });
  }
  const entities = new Map<string, EntityDefinition>();
  const privileges = privilegesByTable();
  // Change tracking: annotation starts enabled, activitypointer is not eligible (test scenarios, not recorded facts).
  for (const name of KNOWN_TABLES) {
    entities.set(
      name,
      entityDefinition(name, {
        privileges: privileges.get(name),
        enabled: name === "annotation",
        eligible: name !== "activitypointer",
      }),
    );
  }
  for (let i = 1; i <= (options.extraTables ?? 0); i++) {
    const name = `new_table${String(i).padStart(3, "0")}`;
    entities.set(name, entityDefinition(name));
  }
  const admin: User = {
    systemuserid: randomUUID(),
    applicationid: null,
    isdisabled: false,
    accessmode: 0,
    _businessunitid_value: root.businessunitid,
    fullname: "Deployment Admin",
    roles: new Set(),
    deletedstate: 0,
    versionnumber: 1_000_000,
  };
  admin.roles.add(
    roles.find((r) => r.name === "System Administrator" && r._businessunitid_value === root.businessunitid)!.roleid,
  );
  const data = {
    organizationId: randomUUID(),
    businessUnits: [root, sales],
    roles,
    users: new Map<string, User>([[admin.systemuserid, admin]]),
    adminUserId: admin.systemuserid,
    entities,
    privileges: privilegesFor(entities),
    /** Child-unit copies of new root roles not visible yet (see roleRoutes.ts, copies lag). */
    pendingRoleCopies: [] as { readsLeft: number; copies: Role[] }[],
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
export function addApplicationUser(
  data: EmulatorData,
  user: Pick<User, "applicationid" | "_businessunitid_value"> & Partial<User>,
): User {
  const full: User = {
    systemuserid: randomUUID(),
    isdisabled: false,
    accessmode: 4,
    fullname: `# app ${String(user.applicationid).slice(0, 8)}`,
    roles: new Set(),
    deletedstate: 0,
    versionnumber: data.nextVersion++,
    ...user,
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
    data.roles.push({ ...role, roleid: randomUUID(), _businessunitid_value: id, _parentrootroleid_value: role.roleid });
  }
}
