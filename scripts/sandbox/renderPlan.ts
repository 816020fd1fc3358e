import { permissionById, permissionLabel } from "../../components/entra/permissions";
import { integrationIndex, TYPES } from "../../components/resourceTypes";
import { grantsByDepth } from "../../components/dataverse/securityRolePlan";
import type { RoleGrant } from "../../components/dataverse/privilegeResolution";
import type { PlannedResource } from "./mockCloud";
import type { Plan } from "./evaluate";
import { Secret } from "./resolve";

/** `azuread:index/application:Application` -> `azuread:Application`; dynamic `.../dataverse:X` -> `dataverse:X`. */
export function shortType(type: string): string {
  if (type.startsWith("pulumi:providers:")) return `provider:${type.slice("pulumi:providers:".length)}`;
  const dynamic = /^pulumi-nodejs:dynamic\/([^:]+):([^:]+)$/.exec(type);
  if (dynamic) return `${dynamic[1]}:${dynamic[2]}`;
  const m = /^([^:]+):[^:]*:([^:]+)$/.exec(type);
  return m ? `${m[1]}:${m[2]}` : type;
}

type Inputs = Record<string, unknown>;
type Describe = (inputs: Inputs, label: (id: unknown) => string) => string[];

const list = (values: unknown): string => {
  const items = (values as unknown[] | undefined) ?? [];
  return items.length ? items.join(", ") : "(none)";
};

const describers: Record<string, Describe> = {
  [TYPES.application]: (i) => {
    const access =
      (i.requiredResourceAccesses as { resourceAppId: string; resourceAccesses: { id: string }[] }[]) ?? [];
    const permissions = access.flatMap((r) =>
      r.resourceAccesses.map((a) => {
        const p = permissionById(r.resourceAppId, a.id);
        return p ? permissionLabel(p) : `${r.resourceAppId}: ${a.id} (not in catalog)`;
      }),
    );
    return [
      `displayName: ${i.displayName}`,
      `signInAudience: ${i.signInAudience}`,
      `API permissions: ${permissions.length ? "" : "(none)"}`,
      ...permissions.map((p) => `  - ${p}`),
      `redirect URIs, web: ${list((i.web as Inputs | undefined)?.redirectUris)}`,
      `redirect URIs, public client: ${list((i.publicClient as Inputs | undefined)?.redirectUris)}`,
      `redirect URIs, SPA: ${list((i.singlePageApplication as Inputs | undefined)?.redirectUris)}`,
    ];
  },
  [TYPES.servicePrincipal]: (i, label) => [`clientId: ${label(i.clientId)}`],
  [TYPES.password]: (i, label) => [
    `application: ${label(i.applicationId)}`,
    `displayName: ${i.displayName}`,
    `endDate: ${i.endDate} (the full lifetime from the creation moment kept in state)`,
  ],
  [TYPES.appRoleAssignment]: (i, label) => [
    `admin consent (application permission): ${label(i.appRoleId)}`,
    `to: ${label(i.principalObjectId)}`,
    `on: ${label(i.resourceObjectId)}`,
  ],
  [TYPES.delegatedGrant]: (i, label) => [
    `admin consent (delegated, all users): ${list(i.claimValues)}`,
    `to: ${label(i.servicePrincipalObjectId)}`,
    `on: ${label(i.resourceServicePrincipalObjectId)}`,
  ],
  [TYPES.applicationUser]: (i, label) => [
    `environment: ${i.environmentUrl}`,
    `application user for: ${label(i.applicationId)}`,
    `business unit: ${i.businessUnitId ?? "(root business unit)"}`,
    `security roles: ${list(((i.securityRoles as unknown[] | undefined) ?? []).map(label))}`,
  ],
  [TYPES.keyVaultSecret]: (i) => {
    // The whole properties block is secret on the wire (it holds the value); its other fields are not.
    const props = ((i.properties instanceof Secret ? i.properties.value : i.properties) ?? {}) as Inputs;
    const attributes = (props.attributes ?? {}) as Inputs;
    return [
      `vault: ${i.vaultName} (resource group ${i.resourceGroupName})`,
      `secret: ${i.secretName} (${props.contentType})`,
      `value: [secret]`,
      `expires: ${typeof attributes.expires === "number" ? new Date(attributes.expires * 1000).toISOString() : "(with the client secret)"}`,
    ];
  },
  [TYPES.securityRole]: (i) => [
    `role: ${i.roleName} (custom, root business unit, copied by Dataverse into child units; assigned to the application user)`,
    "privileges, broadest first (names as Microsoft records them; each resolved and checked against the table's own privilege metadata at deploy):",
    ...grantsByDepth((i.grants as RoleGrant[]) ?? []).map((line) => `  ${line}`),
    ...(typeof i.administrativeReason === "string"
      ? [`ADMINISTRATOR-LEVEL access opted in, reason: ${i.administrativeReason}`]
      : []),
  ],
  [TYPES.changeTracking]: (i) => [`environment: ${i.environmentUrl}`, `change tracking on: ${list(i.entities)}`],
};

function genericDescribe(inputs: Inputs): string[] {
  return Object.entries(inputs)
    .filter(([k]) => k !== "__provider")
    .map(
      ([k, v]) => `${k}: ${v instanceof Secret ? "[secret]" : typeof v === "object" ? JSON.stringify(v) : String(v)}`,
    );
}

function labeller(plan: Plan): (id: unknown) => string {
  const permissionNames = new Map<string, string>();
  for (const r of plan.resources) {
    for (const access of (r.inputs.requiredResourceAccesses as
      { resourceAppId: string; resourceAccesses: { id: string }[] }[] | undefined) ?? []) {
      for (const a of access.resourceAccesses) {
        const p = permissionById(access.resourceAppId, a.id);
        if (p) permissionNames.set(a.id, permissionLabel(p));
      }
    }
  }
  return (id) => {
    if (id instanceof Secret) return "[secret]";
    const text = String(id);
    const role = plan.generatedRoles?.get(text);
    if (role)
      return `role "${role.roleName}" (generated by dataverse:SecurityRole "${role.resource}"${role.placeholder ? ", its id is known once created" : `, ${text}`})`;
    const known = plan.labels.get(text.replace(/^\/applications\//, "")) ?? permissionNames.get(text);
    return known ? `${known} (${text})` : text;
  };
}

function describe(resource: PlannedResource, label: (id: unknown) => string): string[] {
  const d = describers[resource.type];
  return d ? d(resource.inputs, label) : genericDescribe(resource.inputs);
}

/** Order in which a reader expects an integration's parts: app first, then what hangs off it. */
const TYPE_ORDER: string[] = [
  TYPES.application,
  TYPES.servicePrincipal,
  TYPES.password,
  TYPES.appRoleAssignment,
  TYPES.delegatedGrant,
  TYPES.securityRole,
  TYPES.applicationUser,
  TYPES.changeTracking,
  TYPES.keyVaultSecret,
];

function byReadingOrder(a: PlannedResource, b: PlannedResource): number {
  const rank = (r: PlannedResource) => (TYPE_ORDER.indexOf(r.type) + TYPE_ORDER.length + 1) % (TYPE_ORDER.length + 1);
  return rank(a) - rank(b);
}

/** Cloud resources grouped under the integration whose name prefixes theirs, in reading order. */
export function groupByIntegration(
  resources: PlannedResource[],
): { integration?: string; resources: PlannedResource[] }[] {
  const names = resources.filter((r) => r.type === TYPES.integration).map((r) => r.name);
  const owner = integrationIndex(names);
  const byOwner = new Map<string | undefined, PlannedResource[]>(names.map((n) => [n, []]));
  const rest: PlannedResource[] = [];
  for (const r of resources) {
    if (r.component) continue;
    const o = owner(r.name);
    (o === undefined ? rest : byOwner.get(o)!).push(r);
  }
  const groups = names.map((integration) => ({
    integration,
    resources: byOwner.get(integration)!.sort(byReadingOrder),
  }));
  return rest.length ? [...groups, { resources: rest }] : groups;
}

/** The plan as text for a person: every resource with its key inputs by name, secrets masked (no outputs: see renderOutputs.ts). */
export function renderPlanText(plan: Plan): string {
  const label = labeller(plan);
  const lines = [`Plan for stack "${plan.stack}": what \`pulumi up\` would create`];
  for (const group of groupByIntegration(plan.resources)) {
    lines.push("", group.integration ? `Integration "${group.integration}"` : "Other resources");
    for (const r of group.resources) {
      lines.push(
        r.import
          ? `  = ${shortType(r.type)} "${r.name}" (import ${r.import}: taken over as it is, nothing replaced)`
          : `  + ${shortType(r.type)} "${r.name}"`,
      );
      for (const line of describe(r, label)) lines.push(`      ${line}`);
    }
  }
  const tally = (rs: PlannedResource[]) => {
    const counts = new Map<string, number>();
    for (const r of rs) counts.set(shortType(r.type), (counts.get(shortType(r.type)) ?? 0) + 1);
    return `${rs.length} (${[...counts].map(([t, n]) => `${n} ${t}`).join(", ")})`;
  };
  const cloud = plan.resources.filter((x) => !x.component);
  const imported = cloud.filter((r) => r.import);
  lines.push("", `Resources to create: ${tally(cloud.filter((r) => !r.import))}`);
  if (imported.length) lines.push(`Resources to import (adopted as they are, none replaced): ${tally(imported)}`);
  return lines.join("\n");
}

/** What follows the resources in the JSON document; nothing for the plan alone (`--plan-only`). */
export interface PlanJsonParts {
  /** The Dataverse run: what it created (with the ids), its counts, or why it failed. */
  dataverse?: unknown;
  /** Stack outputs; null when they are not available. */
  outputs?: Record<string, unknown> | null;
  /** Why `outputs` is null. */
  outputsNotAvailable?: string;
}

/** The plan as one JSON document, with the parts given (default: the plan's outputs); secrets are replaced by "[secret]". */
export function planJson(plan: Plan, parts: PlanJsonParts = { outputs: plan.outputs }): string {
  // A generated role's id exists only once Dataverse creates it: the mock runtime's placeholder is not shown as one.
  const unknownIds = new Map(
    [...(plan.generatedRoles ?? [])]
      .filter(([, r]) => r.placeholder)
      .map(([id, r]) => [
        id,
        `(id of dataverse:SecurityRole "${r.resource}", role "${r.roleName}": known once created)`,
      ]),
  );
  return JSON.stringify(
    {
      stack: plan.stack,
      resources: plan.resources.map(({ type, name, inputs, import: importId }) => ({
        type,
        name,
        ...(importId ? { import: importId } : {}),
        inputs: stripProvider(inputs),
      })),
      ...parts,
    },
    (_key, value: unknown) => (typeof value === "string" ? (unknownIds.get(value) ?? value) : value),
    2,
  );
}

function stripProvider(inputs: Inputs): Inputs {
  const { __provider: _ignored, ...rest } = inputs;
  return rest;
}
