import { createHash } from "node:crypto";
import sdkDocs from "./recorded/privileges/crm-sdk-docs_privileges_by_table.json";
import mockupFlags from "./recorded/privileges/xrmmockup_systemadministrator_canbe_flags.json";
import newRoleDefaults from "./recorded/privileges/powerapps-docs_new_role_default_privileges.json";
import accountDefinition from "./recorded/privileges/tf-power-platform_entitydefinition_account.json";
import contactDefinition from "./recorded/tf-power-platform/entitydefinition_contact.json";
import businessUnitDefinition from "./recorded/tf-power-platform/entitydefinition_businessunit.json";

/**
 * Table privileges as the emulator knows them, only from recorded material (provenance in recorded/README.md):
 * - account, contact, businessunit: the `Privileges` of their recorded EntityDefinitions bodies, verbatim;
 * - every other table: PrivilegeType and CanBe* flags from the XrmMockup System Administrator dumps, names and ids
 *   from the transcribed CRM SDK privilege pages, matched by PrivilegeType (never by a name formula).
 * A name or id the recordings lack is marked in `unconfirmed` and generated; no product code depends on it.
 */

/** SecurityPrivilegeMetadata as EntityDefinitions(...)?$select=Privileges returns it. */
export interface PrivilegeMetadata {
  CanBeBasic: boolean;
  CanBeLocal: boolean;
  CanBeDeep: boolean;
  CanBeGlobal: boolean;
  CanBeEntityReference: boolean;
  CanBeParentEntityReference: boolean;
  CanBeRecordFilter: boolean;
  Name: string;
  PrivilegeId: string;
  PrivilegeType: string;
}

interface SdkPrivilege {
  name: string;
  privilegeId: string | null;
  privilegeType: string;
}
interface SdkTable {
  stem?: string;
  sameAs?: string;
  privileges?: SdkPrivilege[];
}
interface MockupPrivilege {
  PrivilegeType: string;
  CanBeBasic: boolean;
  CanBeLocal: boolean;
  CanBeDeep: boolean;
  CanBeGlobal: boolean;
}

const SDK = (sdkDocs as unknown as { tables: Record<string, SdkTable> }).tables;
const MOCKUP = (mockupFlags as unknown as { tables: Record<string, { privileges: MockupPrivilege[] }> }).tables;
const RECORDED_DEFINITIONS: Record<string, { Privileges: PrivilegeMetadata[] }> = {
  account: accountDefinition as unknown as { Privileges: PrivilegeMetadata[] },
  contact: contactDefinition as unknown as { Privileges: PrivilegeMetadata[] },
  businessunit: businessUnitDefinition as unknown as { Privileges: PrivilegeMetadata[] },
};

/** The common Dynamics 365 tables the emulator knows, plus those it needs itself (organization, role, activitypointer). */
export const KNOWN_TABLES = [
  "account",
  "contact",
  "lead",
  "opportunity",
  "quote",
  "salesorder",
  "invoice",
  "incident",
  "phonecall",
  "email",
  "task",
  "appointment",
  "activitypointer",
  "annotation",
  "product",
  "systemuser",
  "businessunit",
  "team",
  "organization",
  "role",
] as const;

/** A stable stand-in id for a privilege whose id is not recorded (UNCONFIRMED). */
const standInId = (name: string) => {
  const h = createHash("sha256").update(`unrecorded-privilege:${name}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** What the seed had to make up, per privilege name: "name" and/or "id" (UNCONFIRMED), and special privileges' flags. */
export const unconfirmed = new Map<string, string[]>();
const mark = (name: string, what: string) => unconfirmed.set(name, [...(unconfirmed.get(name) ?? []), what]);

function sdkTable(table: string): SdkTable {
  const t = SDK[table];
  return t?.sameAs ? { ...SDK[t.sameAs], stem: t.stem } : t;
}

function tablePrivileges(table: string): PrivilegeMetadata[] {
  const recorded = RECORDED_DEFINITIONS[table];
  if (recorded) return structuredClone(recorded.Privileges);
  const sdk = sdkTable(table);
  const flags = MOCKUP[table]?.privileges ?? [];
  const typed = flags.map((f) => {
    const known = sdk?.privileges?.find((p) => p.privilegeType === f.PrivilegeType);
    const name = known?.name ?? `prv${f.PrivilegeType}${sdk?.stem ?? table}`;
    if (!known) mark(name, "name");
    if (!known?.privilegeId) mark(name, "id");
    return {
      CanBeBasic: f.CanBeBasic,
      CanBeLocal: f.CanBeLocal,
      CanBeDeep: f.CanBeDeep,
      CanBeGlobal: f.CanBeGlobal,
      CanBeEntityReference: false,
      CanBeParentEntityReference: false,
      CanBeRecordFilter: false,
      Name: name,
      PrivilegeId: known?.privilegeId ?? standInId(name),
      PrivilegeType: f.PrivilegeType,
    };
  });
  // Special privileges (type None, e.g. prvOverridePriceEngineOrder): named on the SDK pages; their CanBe* flags
  // are not in the dumps (UNCONFIRMED), so they are given Global only. They exist so that selection by type is tested.
  const special = (sdk?.privileges ?? [])
    .filter((p) => p.privilegeType === "None")
    .map((p) => {
      mark(p.name, "flags");
      if (!p.privilegeId) mark(p.name, "id");
      return {
        CanBeBasic: false,
        CanBeLocal: false,
        CanBeDeep: false,
        CanBeGlobal: true,
        CanBeEntityReference: false,
        CanBeParentEntityReference: false,
        CanBeRecordFilter: false,
        Name: p.name,
        PrivilegeId: p.privilegeId ?? standInId(p.name),
        PrivilegeType: "None",
      };
    });
  return [...typed, ...special];
}

/** Privileges per table logical name (activity tables share activitypointer's: one privilege, several tables). */
export function privilegesByTable(): Map<string, PrivilegeMetadata[]> {
  return new Map(KNOWN_TABLES.map((t) => [t, tablePrivileges(t)]));
}

/**
 * The nine privileges a role holds right after `POST roles` (recorded). Their depth is UNCONFIRMED (Global per a
 * third-party runbook); their CanBe* flags are not recorded, so they are given Global only.
 */
export const NEW_ROLE_DEFAULTS: { name: string; privilegeid: string }[] = (
  newRoleDefaults as { roleprivileges_association: { name: string; privilegeid: string }[] }
).roleprivileges_association.map((p) => ({ name: p.name, privilegeid: p.privilegeid }));

/** The SharePoint privileges among them, which two third-party reports say stay or come back (UNCONFIRMED). */
export const SHAREPOINT_DEFAULTS = NEW_ROLE_DEFAULTS.filter((p) => /SharePoint/.test(p.name));
