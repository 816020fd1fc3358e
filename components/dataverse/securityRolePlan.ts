import type { CheckFailure } from "./inputs";
import { environmentUrlProblem, normalizeEnvironmentUrl } from "./inputs";

/** What an integration does with a table (Dataverse's eight table privileges). */
export const OPERATIONS = ["read", "create", "write", "delete", "append", "appendTo", "assign", "share"] as const;
export type Operation = (typeof OPERATIONS)[number];

/** How far a privilege reaches, in the config's words, narrowest first. */
export const DEPTHS = ["user", "businessUnit", "parentChild", "organization"] as const;
export type AccessDepth = (typeof DEPTHS)[number];

/**
 * The Web API's PrivilegeDepth members (Microsoft.Dynamics.CRM.PrivilegeDepth: Basic, Local, Deep, Global):
 * user = Basic, business unit = Local, parent: child business units = Deep, organization = Global
 * (learn.microsoft.com/power-apps/developer/data-platform/security-concepts, "access levels").
 */
export const API_DEPTH: Record<AccessDepth, PrivilegeDepth> = { user: "Basic", businessUnit: "Local", parentChild: "Deep", organization: "Global" };
export type PrivilegeDepth = "Basic" | "Local" | "Deep" | "Global";
const DEPTH_RANK: Record<PrivilegeDepth, number> = { Basic: 0, Local: 1, Deep: 2, Global: 3 };

export interface TableAccess {
  operations: Operation[];
  depth: AccessDepth;
}

export interface DeclaredPrivilege {
  /** e.g. `prvReadAccount`; matched case-insensitively, as Dataverse compares names. */
  name: string;
  depth: PrivilegeDepth;
  /** The table it is about, or "(base)" for the privileges every application user needs. */
  table: string;
  /** Why it is there: an operation on a table, or the base set. */
  reason: string;
}

/**
 * Privileges every application user needs to sign in and read its own context (WhoAmI, its business unit, the
 * organization). Taken from Microsoft's "minimum privileges for common tasks" guidance
 * (learn.microsoft.com/power-platform/admin/create-edit-security-role) as read for a non-interactive user; the exact
 * minimal set for server-to-server users is UNCONFIRMED, so it is shown in every preview and report.
 */
export const BASE_PRIVILEGES: DeclaredPrivilege[] = [
  { name: "prvReadUser", depth: "Basic", table: "(base)", reason: "read its own systemuser row (WhoAmI)" },
  { name: "prvReadBusinessUnit", depth: "Basic", table: "(base)", reason: "read its business unit" },
  // The organization table is organization-owned: its privileges exist only at Global depth.
  { name: "prvReadOrganization", depth: "Global", table: "(base)", reason: "read organization settings" },
];

const OPERATION_NAME: Record<Operation, string> = {
  read: "Read", create: "Create", write: "Write", delete: "Delete", append: "Append", appendTo: "AppendTo", assign: "Assign", share: "Share",
};

/** `prv<Operation><Table>`: the privilege name Dataverse gives a table operation (compared case-insensitively). */
export const privilegeName = (operation: Operation, table: string) => `prv${OPERATION_NAME[operation]}${table}`;

/** The privileges an access contract asks for, base set included, one per name (the widest depth wins). */
export function declaredPrivileges(access: Record<string, TableAccess> | { table: string; operations: Operation[]; depth: AccessDepth; reason?: string }[]): DeclaredPrivilege[] {
  const entries = Array.isArray(access) ? access : Object.entries(access).map(([table, a]) => ({ table, ...a, reason: undefined }));
  const byName = new Map<string, DeclaredPrivilege>();
  const add = (p: DeclaredPrivilege) => {
    const known = byName.get(p.name.toLowerCase());
    if (!known || DEPTH_RANK[p.depth] > DEPTH_RANK[known.depth]) byName.set(p.name.toLowerCase(), p);
  };
  BASE_PRIVILEGES.forEach(add);
  for (const a of entries) {
    for (const op of a.operations) add({ name: privilegeName(op, a.table), depth: API_DEPTH[a.depth], table: a.table, reason: `${op} ${a.table}${a.reason && a.reason !== "declared" ? ` (${a.reason})` : ""}` });
  }
  return [...byName.values()];
}

/** Broadening first: organization-wide before business unit before user; then by table and name. */
export function broadestFirst<T extends { depth: PrivilegeDepth; table?: string; name: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => DEPTH_RANK[b.depth] - DEPTH_RANK[a.depth] || (a.table ?? "").localeCompare(b.table ?? "") || a.name.localeCompare(b.name));
}

export interface HeldPrivilege {
  name: string;
  depth: PrivilegeDepth;
}

/** How the role's privileges differ from the declared set: each list names privileges, lowercased. */
export function privilegeDrift(declared: HeldPrivilege[], held: HeldPrivilege[]): { added: string[]; widened: string[]; missing: string[]; narrowed: string[] } {
  const want = new Map(declared.map((p) => [p.name.toLowerCase(), p.depth]));
  const have = new Map(held.map((p) => [p.name.toLowerCase(), p.depth]));
  const added = [...have.keys()].filter((n) => !want.has(n));
  const missing = [...want.keys()].filter((n) => !have.has(n));
  const widened = [...have].filter(([n, d]) => want.has(n) && DEPTH_RANK[d] > DEPTH_RANK[want.get(n)!]).map(([n]) => n);
  const narrowed = [...have].filter(([n, d]) => want.has(n) && DEPTH_RANK[d] < DEPTH_RANK[want.get(n)!]).map(([n]) => n);
  return { added, widened, missing, narrowed };
}

export interface SecurityRoleInputs {
  environmentUrl: string;
  roleName: string;
  privileges: HeldPrivilege[];
}

export interface SecurityRoleState extends SecurityRoleInputs {
  roleId: string;
  businessUnitId: string;
  /** What the role really holds (read back), for drift. */
  heldPrivileges: HeldPrivilege[];
}

const PRIVILEGE_NAME = /^prv[A-Za-z][A-Za-z0-9_]{1,120}$/;

export function checkSecurityRole(news: Record<string, unknown>): { inputs: SecurityRoleInputs; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const urlProblem = environmentUrlProblem(news.environmentUrl);
  if (urlProblem) failures.push({ property: "environmentUrl", reason: urlProblem });
  const roleName = typeof news.roleName === "string" ? news.roleName.trim() : "";
  if (!roleName || roleName.length > 100) failures.push({ property: "roleName", reason: "must be a role name of 1-100 characters" });
  const list = Array.isArray(news.privileges) ? news.privileges : [];
  if (!Array.isArray(news.privileges) || list.length === 0) failures.push({ property: "privileges", reason: "must list at least one privilege" });
  const seen = new Set<string>();
  list.forEach((p: { name?: unknown; depth?: unknown }, i: number) => {
    if (typeof p?.name !== "string" || !PRIVILEGE_NAME.test(p.name)) failures.push({ property: `privileges[${i}].name`, reason: `must be a privilege name such as prvReadAccount, got ${JSON.stringify(p?.name)}` });
    else if (seen.has(p.name.toLowerCase())) failures.push({ property: `privileges[${i}].name`, reason: `${p.name} is listed twice` });
    else seen.add(p.name.toLowerCase());
    if (!["Basic", "Local", "Deep", "Global"].includes(p?.depth as string)) failures.push({ property: `privileges[${i}].depth`, reason: `must be Basic, Local, Deep or Global, got ${JSON.stringify(p?.depth)}` });
  });
  const inputs = {
    environmentUrl: urlProblem ? String(news.environmentUrl) : normalizeEnvironmentUrl(String(news.environmentUrl)),
    roleName,
    privileges: list.map((p: HeldPrivilege) => ({ name: p.name, depth: p.depth })),
  };
  return { inputs, failures };
}

/** Replace on a new environment; the name and the privileges change in place; drift found by read is repaired. */
export function diffSecurityRole(olds: SecurityRoleState, news: SecurityRoleInputs): { changes: boolean; replaces: string[] } {
  const replaces = olds.environmentUrl !== news.environmentUrl ? ["environmentUrl"] : [];
  const drift = privilegeDrift(news.privileges, olds.heldPrivileges ?? olds.privileges ?? []);
  const changes = replaces.length > 0 || olds.roleName !== news.roleName || Object.values(drift).some((l) => l.length > 0);
  return { changes, replaces };
}

const DEPTH_WORDS: Record<PrivilegeDepth, string> = { Global: "organization", Deep: "parent: child business units", Local: "business unit", Basic: "user" };

/** `prvAppendToAccount` -> { operation: "appendTo", table: "account" }; undefined for non-table privileges. */
export function parsePrivilegeName(name: string): { operation: string; table: string } | undefined {
  const m = /^prv(AppendTo|Append|Create|Read|Write|Delete|Assign|Share)(.+)$/.exec(name);
  if (!m || BASE_PRIVILEGES.some((b) => b.name.toLowerCase() === name.toLowerCase())) return undefined;
  return { operation: m[1][0].toLowerCase() + m[1].slice(1), table: m[2].toLowerCase() };
}

/**
 * Privileges as a reviewer reads them: by depth, broadest first, then by table with its operations
 * ("organization: account (read, write); contact (read)"). Base privileges show under "(base)".
 */
export function privilegesByDepth(privileges: HeldPrivilege[]): string[] {
  const order: PrivilegeDepth[] = ["Global", "Deep", "Local", "Basic"];
  return order.flatMap((depth) => {
    const tables = new Map<string, string[]>();
    for (const p of privileges.filter((x) => x.depth === depth)) {
      const parsed = parsePrivilegeName(p.name);
      const table = parsed?.table ?? "(base)";
      tables.set(table, [...(tables.get(table) ?? []), parsed?.operation ?? p.name]);
    }
    if (tables.size === 0) return [];
    return [`${DEPTH_WORDS[depth]}: ${[...tables].sort(([a], [b]) => a.localeCompare(b)).map(([t, ops]) => `${t} (${ops.join(", ")})`).join("; ")}`];
  });
}
