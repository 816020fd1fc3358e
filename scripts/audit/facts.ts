import { DYNAMICS_CRM, MICROSOFT_GRAPH } from "../../components/entra/permissionCatalog";
import { permissionById, permissionLabel } from "../../components/entra/permissions";
import { integrationIndex, TYPES } from "../../components/resourceTypes";
import type { ResourceChange, ResourceState } from "./readState";
import type { ResolvedPrivilege, RoleGrant } from "../../components/dataverse/privilegeResolution";
import { recordedPrivilegeName } from "../../components/dataverse/privilegeCatalog";
import { administrativeGrant } from "../../components/dataverse/access";
import type { ProfileOrigins } from "../../components/sync/profileMerge";

export interface PermissionFact {
  label: string;
  kind: string;
  consented: boolean;
}
export interface IntegrationFacts {
  name: string;
  application?: { displayName: string; clientId: string; audience: string };
  permissions: PermissionFact[];
  redirectUris: { platform: string; uri: string }[];
  appUser?: { environmentUrl: string; businessUnit: string; roles: string[] };
  /**
   * The generated least-privilege role: its grants, the privileges they resolved to in the environment (state after
   * a deploy; absent in a preview of a new role) and the reason given for administrator-level grants.
   */
  role?: {
    name: string;
    environmentUrl: string;
    grants: RoleGrant[];
    resolved?: ResolvedPrivilege[];
    administrativeReason?: string;
  };
  tables: string[];
  /** Client secrets: `slot` is the resource suffix (a rotation number, or a/b for stacks of earlier versions). */
  secrets: { slot: string; rotation: string; endDate: string; active?: boolean; heldByVendor?: boolean }[];
  /** The secret the vendor holds, as the stack records it (IntegrationApp inputs), when a handover is recorded. */
  held?: { rotation: number; endsAt: string; warningDays: number };
  /** The vendor's own, unmanaged secret of an adopted integration (existing.vendorSecret). */
  vendorSecret?: { keyId: string; endsAt: string; status: string };
  /** Which entries of the merged lists came from the vendor profile and which from the user (SyncIntegration outputs). */
  profileEntries?: ProfileOrigins;
}

const API_BY_SLUG: Record<string, typeof MICROSOFT_GRAPH> = {
  [MICROSOFT_GRAPH.slug]: MICROSOFT_GRAPH,
  [DYNAMICS_CRM.slug]: DYNAMICS_CRM,
};
const PLATFORMS: [string, string][] = [
  ["web", "web"],
  ["publicClient", "public client"],
  ["singlePageApplication", "SPA"],
];

type Pick = (r: ResourceChange) => ResourceState | undefined;

/** Names of the integrations (their component resources). */
export function integrationNames(resources: ResourceChange[]): string[] {
  return resources.filter((r) => r.type === TYPES.integration).map((r) => r.name);
}

interface Grouped {
  owned: Map<string, ResourceChange[]>;
  apps: Map<string, ResourceChange>;
  stack?: ResourceChange;
}
const groupedCache = new WeakMap<ResourceChange[], Grouped>();

/** Resources by owning integration, integration components by name, and the stack, computed once per input in O(N). */
function grouped(resources: ResourceChange[]): Grouped {
  let g = groupedCache.get(resources);
  if (g) return g;
  const owner = integrationIndex(integrationNames(resources));
  g = { owned: new Map(), apps: new Map() };
  for (const r of resources) {
    if (r.type === TYPES.stack) g.stack = r;
    if (r.type === TYPES.integrationApp) g.apps.set(r.name, r);
    const o = r.custom ? owner(r.name) : undefined;
    if (o === undefined) continue;
    const list = g.owned.get(o);
    if (list) list.push(r);
    else g.owned.set(o, [r]);
  }
  groupedCache.set(resources, g);
  return g;
}

function ownedBy(resources: ResourceChange[], name: string): ResourceChange[] {
  return grouped(resources).owned.get(name) ?? [];
}

/** What one integration grants, read from the old or the new state of its resources. */
export function integrationFacts(resources: ResourceChange[], name: string, pick: Pick): IntegrationFacts {
  const mine = ownedBy(resources, name)
    .map((r) => ({ r, s: pick(r) }))
    .filter((x) => x.s);
  const of = (type: string) => mine.filter((x) => x.r.type === type);
  const facts: IntegrationFacts = { name, permissions: [], redirectUris: [], tables: [], secrets: [] };
  const consentedRoles = new Set(of(TYPES.appRoleAssignment).map((x) => String(x.s!.inputs.appRoleId)));
  const consentedScopes = new Set(
    of(TYPES.delegatedGrant).flatMap((x) => {
      const api = API_BY_SLUG[x.r.name.slice(x.r.name.lastIndexOf("-grant-") + 7)];
      return ((x.s!.inputs.claimValues as string[]) ?? []).map((c) => `${api?.appId}:${c}`);
    }),
  );
  const app = of(TYPES.application)[0]?.s;
  if (app) {
    facts.application = {
      displayName: String(app.inputs.displayName),
      clientId: String(app.outputs.clientId ?? "(assigned at creation)"),
      audience: app.inputs.signInAudience === "AzureADMultipleOrgs" ? "multi-tenant" : "single tenant",
    };
    for (const access of (app.inputs.requiredResourceAccesses as {
      resourceAppId: string;
      resourceAccesses: { id: string; type: string }[];
    }[]) ?? []) {
      for (const a of access.resourceAccesses) {
        const p = permissionById(access.resourceAppId, a.id);
        const label = p
          ? permissionLabel(p).replace(/ \((application|delegated)\)$/, "")
          : `${access.resourceAppId}: ${a.id}`;
        const kind = a.type === "Role" ? "application" : "delegated";
        const consented =
          kind === "application"
            ? consentedRoles.has(a.id)
            : !!p && consentedScopes.has(`${access.resourceAppId}:${p.value}`);
        facts.permissions.push({ label, kind, consented });
      }
    }
    for (const [key, platform] of PLATFORMS) {
      for (const uri of (app.inputs[key] as { redirectUris?: string[] } | undefined)?.redirectUris ?? [])
        facts.redirectUris.push({ platform, uri });
    }
  }
  const user = of(TYPES.applicationUser)[0]?.s;
  if (user) {
    facts.appUser = {
      environmentUrl: String(user.inputs.environmentUrl),
      businessUnit: String(user.outputs.businessUnitId ?? user.inputs.businessUnitId ?? "root business unit"),
      roles: (user.inputs.securityRoles as string[]) ?? [],
    };
  }
  const role = of(TYPES.securityRole)[0]?.s;
  if (role) {
    facts.role = {
      name: String(role.inputs.roleName),
      environmentUrl: String(role.inputs.environmentUrl),
      grants: (role.inputs.grants as RoleGrant[]) ?? [],
      resolved: Array.isArray(role.outputs.privileges) ? (role.outputs.privileges as ResolvedPrivilege[]) : undefined,
      administrativeReason:
        typeof role.inputs.administrativeReason === "string" ? role.inputs.administrativeReason : undefined,
    };
  }
  facts.tables = of(TYPES.changeTracking).flatMap((x) => (x.s!.inputs.entities as string[]) ?? []);
  const stack = grouped(resources).stack;
  const generic = (
    pick(stack ?? ({} as ResourceChange))?.outputs?.integrations as
      Record<string, { generic?: { activeSecretSlot?: string } }> | undefined
  )?.[name]?.generic;
  const integration = resources.find((r) => r.type === TYPES.integration && r.name === name);
  const entries = (integration && pick(integration)?.outputs?.profileEntries) as ProfileOrigins | undefined;
  if (entries && Object.keys(entries).length) facts.profileEntries = entries;
  const component = grouped(resources).apps.get(name);
  const appInputs = component && pick(component)?.inputs;
  if (appInputs && typeof appInputs.heldRotation === "number" && typeof appInputs.heldEndsAt === "string") {
    facts.held = {
      rotation: appInputs.heldRotation,
      endsAt: appInputs.heldEndsAt,
      warningDays: Number(appInputs.expiryWarningDays ?? 30),
    };
  }
  if (appInputs && typeof appInputs.vendorSecretKeyId === "string") {
    facts.vendorSecret = {
      keyId: appInputs.vendorSecretKeyId,
      endsAt: String(appInputs.vendorSecretEndsAt),
      status: String(appInputs.vendorSecretStatus),
    };
  }
  facts.secrets = of(TYPES.password)
    .map((x) => {
      const slot = /-secret-(\d+|[ab])$/.exec(x.r.name)?.[1] ?? "-";
      const numbered = /^\d+$/.test(slot);
      return {
        slot,
        rotation: numbered
          ? slot
          : String((x.s!.inputs.rotateWhenChanged as { rotation?: string } | undefined)?.rotation ?? "-"),
        endDate: String(x.s!.inputs.endDate ?? x.s!.outputs.endDate ?? "-"),
        active: !numbered && generic?.activeSecretSlot ? generic.activeSecretSlot === slot : undefined,
        heldByVendor: numbered && facts.held ? Number(slot) === facts.held.rotation : undefined,
      };
    })
    .sort((a, b) => a.slot.localeCompare(b.slot, "en", { numeric: true }));
  return facts;
}

export interface Privilege {
  rank: number;
  text: string;
}

/** Everything an integration is allowed or exposed to, most powerful first, as comparable lines. */
export function privileges(f: IntegrationFacts): Privilege[] {
  const out: Privilege[] = [];
  for (const p of f.permissions) {
    if (p.consented)
      out.push({ rank: p.kind === "application" ? 0 : 1, text: `admin consent, ${p.kind} permission ${p.label}` });
    else out.push({ rank: 3, text: `${p.kind} permission ${p.label} (declared, no consent)` });
  }
  for (const role of f.appUser?.roles ?? []) {
    // A generated role is listed by its privileges below, not by an id.
    if (f.role && /^[0-9a-f-]{36}$/i.test(role)) continue;
    out.push({ rank: 2, text: `Dataverse security role "${role}" in ${f.appUser!.environmentUrl}` });
  }
  const DEPTH_RANK: Record<string, number> = { Global: 0, Deep: 0.1, Local: 0.2, Basic: 0.3 };
  const DEPTH_WORD: Record<string, string> = {
    Global: "organization",
    Deep: "parent: child business units",
    Local: "business unit",
    Basic: "user",
  };
  for (const g of f.role ? roleGrantLines(f.role) : []) {
    out.push({
      rank: 2 + (DEPTH_RANK[g.depth] ?? 0.35),
      text: `Dataverse privilege ${g.name}: ${g.operation} ${g.table} at ${DEPTH_WORD[g.depth] ? `${DEPTH_WORD[g.depth]} depth` : "the narrowest depth the environment allows"} (role "${f.role!.name}")${g.admin ? ` ADMINISTRATOR-LEVEL (${g.admin}; reason given: ${f.role!.administrativeReason ?? "none"})` : ""}`,
    });
  }
  for (const r of f.redirectUris) out.push({ rank: 4, text: `redirect URI (${r.platform}) ${r.uri}` });
  for (const t of f.tables) out.push({ rank: 5, text: `change tracking on ${t}` });
  if (f.vendorSecret) {
    const v = f.vendorSecret;
    const state =
      v.status === "held"
        ? "held by the vendor"
        : v.status === "removalRequested"
          ? "no longer used, removal requested"
          : "no longer used, listed for removal";
    out.push({ rank: 6, text: `client secret ${v.keyId} (the vendor's own, unmanaged), ends ${v.endsAt}: ${state}` });
  }
  for (const s of f.secrets) {
    out.push({
      rank: 6,
      text: /^\d+$/.test(s.slot)
        ? `client secret rotation ${s.rotation}, ends ${s.endDate}`
        : `client secret slot ${s.slot}, rotation ${s.rotation}, ends ${s.endDate}`,
    });
  }
  return out;
}

/**
 * Each grant with its privilege's real name: as resolved in the environment (state), else as Microsoft's pages
 * record it, else said to be resolved at deploy (never a made-up name).
 */
export function roleGrantLines(
  role: NonNullable<IntegrationFacts["role"]>,
): { name: string; operation: string; table: string; depth: string; admin?: string }[] {
  const rank: Record<string, number> = { Global: 0, Deep: 1, Local: 2, Basic: 3, narrowest: 4 };
  const lines = role.grants.map((g) => {
    const resolved = role.resolved?.find((p) => p.operations?.includes(`${g.operation} ${g.table}`));
    const recorded = recordedPrivilegeName(g.table, g.operation);
    const name =
      resolved?.name ??
      (recorded ? `${recorded} (recorded name)` : "(name resolved from the table's metadata at deploy)");
    return {
      name,
      operation: g.operation,
      table: g.table,
      depth: resolved?.depth ?? g.depth,
      admin: administrativeGrant(g.table, g.operation),
    };
  });
  // Broadest first, then by table: what a reviewer should read first.
  return lines.sort(
    (a, b) =>
      (rank[a.depth] ?? 5) - (rank[b.depth] ?? 5) ||
      a.table.localeCompare(b.table) ||
      a.operation.localeCompare(b.operation),
  );
}

/** What a preview adds and removes, per integration, new privileges first. */
export function grantsAndRevokes(
  before: IntegrationFacts,
  after: IntegrationFacts,
): { grants: Privilege[]; revokes: Privilege[] } {
  const [old, neu] = [privileges(before), privileges(after)];
  const has = (list: Privilege[], p: Privilege) => list.some((x) => x.text === p.text);
  const byRank = (a: Privilege, b: Privilege) => a.rank - b.rank || a.text.localeCompare(b.text);
  return {
    grants: neu.filter((p) => !has(old, p)).sort(byRank),
    revokes: old.filter((p) => !has(neu, p)).sort(byRank),
  };
}
