import { distance } from "fastest-levenshtein";
import { RESOURCE_APIS, type PermissionKind, type ResourceApi } from "./permissionCatalog";

/** One API permission resolved from its name, e.g. `Microsoft Graph: User.Read.All (application)`. */
export interface Permission {
  api: ResourceApi;
  /** Canonical permission value, e.g. `User.Read.All`. */
  value: string;
  kind: PermissionKind;
  /** App role id (application) or OAuth2 scope id (delegated) from the catalog. */
  id: string;
}

const PERMISSION_PATTERN = /^\s*(?<api>[^:]+?)\s*:\s*(?<value>\S+)\s*(?:\((?<kind>[^)]*)\))?\s*$/;
const KINDS: readonly PermissionKind[] = ["application", "delegated"];

export function permissionLabel(p: Pick<Permission, "api" | "value" | "kind">): string {
  return `${p.api.name}: ${p.value} (${p.kind})`;
}

/** Every permission name the catalog knows, in the form stack config uses. */
export function knownPermissionNames(): string[] {
  return RESOURCE_APIS.flatMap((api) =>
    KINDS.flatMap((kind) => Object.keys(api[kind]).map((value) => permissionLabel({ api, value, kind }))),
  );
}

function closest(candidates: string[], wanted: string, count = 3): string[] {
  const lower = wanted.toLowerCase();
  return candidates
    .map((c) => ({ c, d: distance(c.toLowerCase(), lower) }))
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, count)
    .map((x) => x.c);
}

function findApi(name: string): ResourceApi | undefined {
  const lower = name.toLowerCase();
  return RESOURCE_APIS.find((api) => [api.name, ...api.aliases].some((n) => n.toLowerCase() === lower));
}

/** Resolves a permission name; returns an error message (with the closest known names) when it is not known. */
export function parsePermission(text: string): Permission | { error: string } {
  const suggest = () =>
    `did you mean ${closest(knownPermissionNames(), text)
      .map((s) => `"${s}"`)
      .join(", ")}?`;
  const match = PERMISSION_PATTERN.exec(text);
  if (!match?.groups) {
    return { error: `"${text}" is not of the form "<API>: <permission> (application|delegated)"; ${suggest()}` };
  }
  const api = findApi(match.groups.api);
  if (!api) {
    const apis = RESOURCE_APIS.map((a) => `"${a.name}"`).join(", ");
    return { error: `unknown API "${match.groups.api}"; known APIs: ${apis}; ${suggest()}` };
  }
  const kind = match.groups.kind?.trim().toLowerCase();
  if (!kind || !KINDS.includes(kind as PermissionKind)) {
    return { error: `"${text}" must end with "(application)" or "(delegated)"; ${suggest()}` };
  }
  const table = api[kind as PermissionKind];
  const value = Object.keys(table).find((v) => v.toLowerCase() === match.groups!.value.toLowerCase());
  if (!value) {
    return { error: `${api.name} has no ${kind} permission "${match.groups.value}" in the catalog; ${suggest()}` };
  }
  return { api, value, kind: kind as PermissionKind, id: table[value] };
}

/** Looks a permission up by the id Entra stores, for rendering plans and reports by name. */
export function permissionById(resourceAppId: string, id: string): Permission | undefined {
  const api = RESOURCE_APIS.find((a) => a.appId === resourceAppId);
  if (!api) return undefined;
  for (const kind of KINDS) {
    const value = Object.keys(api[kind]).find((v) => api[kind][v] === id);
    if (value) return { api, value, kind, id };
  }
  return undefined;
}
