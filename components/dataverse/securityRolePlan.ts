import type { CheckFailure } from "./inputs";
import { environmentUrlProblem, normalizeEnvironmentUrl } from "./inputs";
import { administrativeGrant } from "./access";
import type { ResolvedPrivilege, RoleGrant } from "./privilegeResolution";
import { recordedPrivilegeName } from "./privilegeCatalog";

/** What an integration does with a table (Dataverse's eight table privilege types). */
export const OPERATIONS = ["read", "create", "write", "delete", "append", "appendTo", "assign", "share"] as const;
export type Operation = (typeof OPERATIONS)[number];

import { API_DEPTH, DEPTH_RANK, PRIVILEGE_DEPTHS, type AccessDepth, type PrivilegeDepth } from "./depths";
export { API_DEPTH, DEPTHS, type AccessDepth, type PrivilegeDepth } from "./depths";

export interface TableAccess {
  operations: Operation[];
  depth: AccessDepth;
}

/**
 * What every application user needs to sign in and read its own context (WhoAmI, its business unit, the
 * organization), each at the narrowest depth the environment's privilege allows: prvReadBusinessUnit has no Basic
 * (recorded businessunit definition), systemuser's privileges start at Local, organization's are Global only.
 * No Microsoft page lists a minimum for application users (MicrosoftDocs/power-platform issue 1477), so the set is
 * shown in every preview and report.
 */
export const BASE_GRANTS: RoleGrant[] = [
  { table: "systemuser", operation: "read", depth: "narrowest", reason: "base: read its own user row (WhoAmI)" },
  { table: "businessunit", operation: "read", depth: "narrowest", reason: "base: read its business unit" },
  { table: "organization", operation: "read", depth: "narrowest", reason: "base: read organization settings" },
];

const grantRank = (d: RoleGrant["depth"]) => (d === "narrowest" ? -1 : DEPTH_RANK[d]);

/** The grants an access contract asks for, base set included, one per table and operation (the widest depth wins). */
export function declaredGrants(
  entries: { table: string; operations: Operation[]; depth: AccessDepth; reason?: string }[],
): RoleGrant[] {
  const byKey = new Map<string, RoleGrant>();
  const add = (g: RoleGrant) => {
    const key = `${g.table}|${g.operation}`;
    const known = byKey.get(key);
    if (!known || grantRank(g.depth) > grantRank(known.depth)) byKey.set(key, g);
  };
  BASE_GRANTS.forEach(add);
  for (const e of entries)
    for (const operation of e.operations)
      add({ table: e.table, operation, depth: API_DEPTH[e.depth], reason: e.reason ?? "declared" });
  return [...byKey.values()];
}

export interface HeldPrivilege {
  name: string;
  depth: PrivilegeDepth;
}

/** How the role's privileges differ from the declared set: each list names privileges, lowercased. */
export function privilegeDrift(
  declared: HeldPrivilege[],
  held: HeldPrivilege[],
  ignoredWhenAdded: string[] = [],
): { added: string[]; widened: string[]; missing: string[]; narrowed: string[] } {
  const want = new Map(declared.map((p) => [p.name.toLowerCase(), p.depth]));
  const have = new Map(held.map((p) => [p.name.toLowerCase(), p.depth]));
  const ignored = new Set(ignoredWhenAdded.map((n) => n.toLowerCase()));
  const added = [...have.keys()].filter((n) => !want.has(n) && !ignored.has(n));
  const missing = [...want.keys()].filter((n) => !have.has(n));
  const widened = [...have].filter(([n, d]) => want.has(n) && DEPTH_RANK[d] > DEPTH_RANK[want.get(n)!]).map(([n]) => n);
  const narrowed = [...have]
    .filter(([n, d]) => want.has(n) && DEPTH_RANK[d] < DEPTH_RANK[want.get(n)!])
    .map(([n]) => n);
  return { added, widened, missing, narrowed };
}

export interface SecurityRoleInputs {
  environmentUrl: string;
  roleName: string;
  /** Table operations at depths; resolved to privileges through each table's metadata at deploy. */
  grants: RoleGrant[];
  /** Why administrator-level grants are acceptable; required when there are any (access.ts). */
  administrativeReason?: string;
}

export interface SecurityRoleState extends SecurityRoleInputs {
  roleId: string;
  businessUnitId: string;
  /** The grants as resolved in the environment: real privilege names, ids and depths. */
  privileges: ResolvedPrivilege[];
  /** What the role really holds (read back), for drift. */
  heldPrivileges: HeldPrivilege[];
  /** Privileges the platform kept or re-added on its own right after the role was set: never drift. */
  platformKept: string[];
}

/**
 * SharePoint privileges of a new role's recorded defaults (emulator/recorded/privileges/powerapps-docs_new_role_default_privileges.json)
 * that two third-party reports say stay or come back where server-based SharePoint integration is on (UNCONFIRMED):
 * the platform maintains them, so holding them is never drift (README, "What the role manages").
 */
export const PLATFORM_MAINTAINED = [
  "prvReadSharePointData",
  "prvWriteSharePointData",
  "prvCreateSharePointData",
  "prvReadSharePointDocument",
];

const TABLE = /^[a-z][a-z0-9_]{0,63}$/;

export function checkSecurityRole(news: Record<string, unknown>): {
  inputs: SecurityRoleInputs;
  failures: CheckFailure[];
} {
  const failures: CheckFailure[] = [];
  const urlProblem = environmentUrlProblem(news.environmentUrl);
  if (urlProblem) failures.push({ property: "environmentUrl", reason: urlProblem });
  const roleName = typeof news.roleName === "string" ? news.roleName.trim() : "";
  if (!roleName || roleName.length > 100)
    failures.push({ property: "roleName", reason: "must be a role name of 1-100 characters" });
  const list = (Array.isArray(news.grants) ? news.grants : []) as Partial<RoleGrant>[];
  if (!Array.isArray(news.grants) || list.length === 0)
    failures.push({ property: "grants", reason: "must list at least one table operation" });
  const seen = new Set<string>();
  const reason =
    typeof news.administrativeReason === "string" && news.administrativeReason.trim()
      ? news.administrativeReason.trim()
      : undefined;
  list.forEach((g, i) => {
    if (typeof g?.table !== "string" || !TABLE.test(g.table))
      failures.push({
        property: `grants[${i}].table`,
        reason: `must be a table logical name such as account, got ${JSON.stringify(g?.table)}`,
      });
    if (!OPERATIONS.includes(g?.operation as Operation))
      failures.push({
        property: `grants[${i}].operation`,
        reason: `must be one of ${OPERATIONS.join(", ")}, got ${JSON.stringify(g?.operation)}`,
      });
    if (![...PRIVILEGE_DEPTHS, "narrowest"].includes(g?.depth as string))
      failures.push({
        property: `grants[${i}].depth`,
        reason: `must be Basic, Local, Deep, Global or narrowest, got ${JSON.stringify(g?.depth)}`,
      });
    const key = `${g?.table}|${g?.operation}`;
    if (seen.has(key))
      failures.push({ property: `grants[${i}]`, reason: `${g?.operation} on ${g?.table} is listed twice` });
    seen.add(key);
    const admin = typeof g?.table === "string" ? administrativeGrant(g.table, g.operation as Operation) : undefined;
    if (admin && !reason)
      failures.push({
        property: `grants[${i}]`,
        reason: `${g?.operation} on ${g?.table} is administrator-level access (${admin}): give administrativeReason to grant it`,
      });
  });
  const inputs: SecurityRoleInputs = {
    environmentUrl: urlProblem ? String(news.environmentUrl) : normalizeEnvironmentUrl(String(news.environmentUrl)),
    roleName,
    grants: list.map((g) => ({
      table: String(g?.table),
      operation: g?.operation as Operation,
      depth: g?.depth as RoleGrant["depth"],
      reason: String(g?.reason ?? "declared"),
    })),
    ...(reason ? { administrativeReason: reason } : {}),
  };
  return { inputs, failures };
}

const grantKey = (grants: RoleGrant[] = []) =>
  JSON.stringify([...grants].map((g) => `${g.table}|${g.operation}|${g.depth}`).sort());

/** Replace on a new environment; name, grants and drift found by read change in place. */
export function diffSecurityRole(
  olds: SecurityRoleState,
  news: SecurityRoleInputs,
): { changes: boolean; replaces: string[] } {
  const replaces = olds.environmentUrl !== news.environmentUrl ? ["environmentUrl"] : [];
  const declared = (olds.privileges ?? []).map((p) => ({ name: p.name, depth: p.depth }));
  const drift = privilegeDrift(declared, olds.heldPrivileges ?? declared, [
    ...PLATFORM_MAINTAINED,
    ...(olds.platformKept ?? []),
  ]);
  const changes =
    replaces.length > 0 ||
    olds.roleName !== news.roleName ||
    grantKey(olds.grants) !== grantKey(news.grants) ||
    (olds.administrativeReason ?? "") !== (news.administrativeReason ?? "") ||
    Object.values(drift).some((l) => l.length > 0);
  return { changes, replaces };
}

const DEPTH_TEXT: Record<PrivilegeDepth, string> = {
  Global: "organization",
  Deep: "parent: child business units",
  Local: "business unit",
  Basic: "user",
};
const ORDER: PrivilegeDepth[] = ["Global", "Deep", "Local", "Basic"];

const byTable = <T>(items: T[], table: (t: T) => string) => {
  const map = new Map<string, T[]>();
  for (const item of items) map.set(table(item), [...(map.get(table(item)) ?? []), item]);
  return [...map].sort(([a], [b]) => a.localeCompare(b));
};

/**
 * Grants as a reviewer reads them before deploy, one line per depth and table, broadest first, each operation with
 * the privilege name where Microsoft's pages record it ("organization, phonecall: read prvReadActivity"); a name not
 * recorded says it is resolved from the table's metadata at deploy, and so does a "narrowest" depth.
 */
export function grantsByDepth(grants: RoleGrant[]): string[] {
  const named = (g: RoleGrant) =>
    `${g.operation} ${recordedPrivilegeName(g.table, g.operation) ?? "(privilege name resolved from the table's metadata at deploy)"}`;
  const words = { ...DEPTH_TEXT, narrowest: "narrowest depth the environment allows" } as Record<
    RoleGrant["depth"],
    string
  >;
  return ([...ORDER, "narrowest"] as RoleGrant["depth"][]).flatMap((depth) =>
    byTable(
      grants.filter((g) => g.depth === depth),
      (g) => g.table,
    ).map(([table, at]) => `${words[depth]}, ${table}: ${at.map(named).join(", ")}`),
  );
}

/** Resolved privileges (from state), one line per depth and table: "organization, phonecall: prvReadActivity (read phonecall, read email)". */
export function privilegesByDepth(
  privileges: (HeldPrivilege & { grants?: string; operations?: string[] })[],
): string[] {
  return ORDER.flatMap((depth) =>
    byTable(
      privileges.filter((p) => p.depth === depth),
      (p) => p.operations?.[0]?.split(" ")[1] ?? "(other)",
    ).map(
      ([table, at]) =>
        `${DEPTH_TEXT[depth]}, ${table}: ${at.map((p) => (p.grants ? `${p.name} (${p.grants})` : p.name)).join(", ")}`,
    ),
  );
}
