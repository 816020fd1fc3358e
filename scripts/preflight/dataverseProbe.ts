import type { DataverseClient } from "../../components/dataverse/http/client";
import { rolesOfBusinessUnit, type RoleRow } from "../../components/dataverse/applicationUserApi";
import { withQuery } from "../../components/dataverse/http/odata";
import type { PrivilegeDepth } from "../../components/dataverse/securityRolePlan";
import { deployerRequirements, type BusinessUnitRow } from "./deployerPrivileges";
import { tablesOf, type EnvironmentNeeds } from "./needs";
import { resolveGeneratedRole, type RoleResolution } from "./rolePrivileges";

/** What preflight read from one environment; every field is a read, nothing here writes. */
export interface DataverseObservation {
  /** Set when the environment could not be reached or WhoAmI failed; nothing else was read. */
  unreachable?: string;
  whoAmI?: { UserId: string; BusinessUnitId: string };
  units: (BusinessUnitRow & { name?: string })[];
  /** Roles by business unit id (lowercased); a string is the error reading them. */
  roles: Map<string, RoleRow[] | string>;
  /** Per table: its flags, 404 (missing), or the error reading it. */
  tables: Map<string, { exists: true; tracked: boolean; trackable: boolean } | { exists: false } | { error: string }>;
  /** Per generated role (by integration name): how its privileges resolve in this environment. */
  generatedRoles: Map<string, RoleResolution>;
  /** The deployer's effective privileges (lowercased name -> widest depth), or the error reading them. */
  held: Map<string, PrivilegeDepth> | string;
  /** Solution operations without an end time, or the error reading them. */
  running: { msdyn_name: string; msdyn_operation?: unknown; msdyn_starttime?: string }[] | string;
}

const message = (err: unknown) => (err as Error).message;
const RANK: Record<PrivilegeDepth, number> = { Basic: 0, Local: 1, Deep: 2, Global: 3 };
/** Names per RetrieveUserSetOfPrivilegesByNames call: the names travel in the URL, whose length is limited. */
const NAMES_PER_CALL = 40;

/**
 * The deployer's effective privileges through the bound function RetrieveUserSetOfPrivilegesByNames
 * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/retrieveusersetofprivilegesbynames),
 * which counts privileges inherited from teams at their real depth (unlike RetrieveUserPrivileges, which reports those
 * at Basic only). The collection goes as a parameter alias holding a JSON array, as Microsoft's Dataverse skills do
 * (microsoft/Dataverse-skills dv-connect: `...(PrivilegeNames=@p)?@p=["prvCreateEntity"]`).
 */
export async function heldPrivileges(
  client: DataverseClient,
  userId: string,
  names: string[],
): Promise<Map<string, PrivilegeDepth>> {
  const unique = [...new Set(names.map((n) => n.toLowerCase()))];
  const chunks = Array.from({ length: Math.ceil(unique.length / NAMES_PER_CALL) }, (_, i) =>
    unique.slice(i * NAMES_PER_CALL, (i + 1) * NAMES_PER_CALL),
  );
  const answers = await Promise.all(
    chunks.map((chunk) =>
      client.get<{ RolePrivileges?: { PrivilegeName: string; Depth: PrivilegeDepth }[] }>(
        `/systemusers(${userId})/Microsoft.Dynamics.CRM.RetrieveUserSetOfPrivilegesByNames(PrivilegeNames=@p1)?@p1=${encodeURIComponent(JSON.stringify(chunk))}`,
      ),
    ),
  );
  const held = new Map<string, PrivilegeDepth>();
  // Several roles may grant one privilege: the widest depth counts.
  for (const p of answers.flatMap((a) => a.RolePrivileges ?? [])) {
    const key = p.PrivilegeName.toLowerCase();
    const known = held.get(key);
    if (RANK[p.Depth] !== undefined && (!known || RANK[p.Depth] > RANK[known])) held.set(key, p.Depth);
  }
  return held;
}

async function tableFlags(client: DataverseClient, tables: string[]): Promise<DataverseObservation["tables"]> {
  const parts = await client.batch(
    tables.map((t) => ({
      method: "GET" as const,
      path: withQuery(`/EntityDefinitions(LogicalName='${t}')`, {
        $select: "LogicalName,ChangeTrackingEnabled,CanChangeTrackingBeEnabled",
      }),
    })),
    { spread: true },
  );
  type Flags = DataverseObservation["tables"] extends Map<string, infer V> ? V : never;
  return new Map(
    tables.map((t, i): [string, Flags] => {
      const part = parts[i];
      if (part.status === 404) return [t, { exists: false }];
      if (part.status >= 400)
        return [
          t,
          {
            error: `HTTP ${part.status}: ${(part.body as { error?: { message?: string } })?.error?.message ?? "no message"}`,
          },
        ];
      const def = part.body as { ChangeTrackingEnabled?: boolean; CanChangeTrackingBeEnabled?: { Value?: boolean } };
      return [
        t,
        {
          exists: true,
          tracked: def.ChangeTrackingEnabled === true,
          trackable: def.CanChangeTrackingBeEnabled?.Value !== false,
        },
      ];
    }),
  );
}

/** The resolved privileges of every generated role that resolves, by integration. */
export const resolvedRoles = (roles: Map<string, RoleResolution>) =>
  new Map([...roles].flatMap(([name, r]) => (r.resolved ? [[name, r.resolved] as const] : [])));

/** Reads everything the checks need from one environment, as the deploying identity, in four stages: WhoAmI; business units, tables and solution history; roles and the generated roles' table privileges; the deployer's privileges. */
export async function probeEnvironment(client: DataverseClient, env: EnvironmentNeeds): Promise<DataverseObservation> {
  const empty: DataverseObservation = {
    units: [],
    roles: new Map(),
    tables: new Map(),
    generatedRoles: new Map(),
    held: "not read",
    running: "not read",
  };
  let whoAmI: DataverseObservation["whoAmI"];
  try {
    whoAmI = await client.get<{ UserId: string; BusinessUnitId: string }>("/WhoAmI");
  } catch (err) {
    return { ...empty, unreachable: message(err) };
  }
  const unitIds = [...new Set(env.integrations.filter((i) => i.applicationUser).map((i) => i.businessUnitId))];
  const [units, tables, running] = await Promise.all([
    client.getAll<BusinessUnitRow & { name: string }>(
      withQuery("/businessunits", { $select: "businessunitid,name,_parentbusinessunitid_value" }),
    ),
    tableFlags(client, tablesOf(env)).catch(
      (err) => new Map(tablesOf(env).map((t) => [t, { error: message(err) }] as const)),
    ),
    client
      .getAll<{ msdyn_name: string; msdyn_operation?: unknown; msdyn_starttime?: string }>(
        withQuery("/msdyn_solutionhistories", {
          $select: "msdyn_name,msdyn_operation,msdyn_starttime",
          $filter: "msdyn_endtime eq null",
        }),
      )
      .catch((err) => message(err)),
  ]);
  const root = units.find((u) => !u._parentbusinessunitid_value)?.businessunitid ?? whoAmI.BusinessUnitId;
  const roles = new Map<string, RoleRow[] | string>();
  const [, generated] = await Promise.all([
    Promise.all(
      unitIds.map(async (id) => {
        const unit = (id ?? root).toLowerCase();
        if (!units.some((u) => u.businessunitid.toLowerCase() === unit)) return;
        roles.set(unit, await rolesOfBusinessUnit(client, unit).catch((err) => message(err)));
      }),
    ),
    Promise.all(
      env.integrations
        .filter((i) => i.generatedRole)
        .map(
          async (i) =>
            [i.name, await resolveGeneratedRole(client, i.generatedRole!.name, i.generatedRole!.grants, root)] as const,
        ),
    ),
  ]);
  const generatedRoles = new Map(generated);
  const names = deployerRequirements(env, resolvedRoles(generatedRoles)).map((r) => r.name);
  const held = await heldPrivileges(client, whoAmI.UserId, names).catch((err) => message(err));
  return { whoAmI, units, roles, tables, generatedRoles, held, running };
}
