import { resolveRoles } from "../../components/dataverse/applicationUserPlan";
import { deployerRequirements, depthWords, judgeRequirements } from "./deployerPrivileges";
import { resolvedRoles, type DataverseObservation } from "./dataverseProbe";
import { tablesOf, type EnvironmentNeeds } from "./needs";
import { fail, ok, unknown, warn, type CheckResult } from "./types";

const ROLE_FIX =
  "give the deploying identity a security role that holds it (System Administrator holds all), or run preflight as the identity that deploys";

function privilegeChecks(area: string, env: EnvironmentNeeds, obs: DataverseObservation, root: string): CheckResult[] {
  const check = "deployer privileges";
  if (typeof obs.held === "string") {
    return [
      unknown(
        area,
        check,
        `the effective privileges could not be read (RetrieveUserSetOfPrivilegesByNames): ${obs.held}`,
        "preflight needs prvReadUser and prvReadOrganization (RetrieveUserPrivileges' legacy requirements) in the environment",
      ),
    ];
  }
  // A role whose privileges do not resolve fails on its own line; what it would grant is checked once it resolves.
  const unresolved = env.integrations.filter((i) => i.generatedRole && !obs.generatedRoles.get(i.name)?.resolved);
  const requirements = deployerRequirements(env, resolvedRoles(obs.generatedRoles));
  const verdicts = judgeRequirements(requirements, obs.held, obs.whoAmI!.BusinessUnitId, root, obs.units);
  const missing = verdicts.filter((v) => !v.ok);
  const results = missing.map((v) => {
    const r = v.requirement;
    const has = v.held ? `holds it only at ${depthWords(v.held)}` : "does not hold it";
    const why = r.atLeast
      ? `${r.name}: the deployer ${has}, but ${r.reasons.join("; ")} at ${depthWords(r.atLeast)}; Dataverse refuses to grant a privilege beyond the granter's own depth`
      : `${r.name}: the deployer ${has}; needed (${v.wanted}) to ${r.reasons.join("; ")}${r.unconfirmed ? " (which privilege this step needs is UNCONFIRMED)" : ""}`;
    const fix = r.atLeast
      ? `give the deploying identity ${r.name} at ${depthWords(r.atLeast)} or wider, or narrow the depth in dataverse.access`
      : `${ROLE_FIX}`;
    return fail(area, check, why, fix);
  });
  const later = unresolved.length
    ? `; the privileges of a generated role that does not resolve are checked once it does`
    : "";
  if (results.length === 0)
    results.push(
      ok(
        area,
        check,
        `holds all ${verdicts.length} privileges the plan needs, each at the depth it needs (RetrieveUserSetOfPrivilegesByNames)${later}`,
      ),
    );
  return results;
}

function roleChecks(area: string, env: EnvironmentNeeds, obs: DataverseObservation, root: string): CheckResult[] {
  return env.integrations
    .filter((i) => i.applicationUser)
    .flatMap((i) => {
      const unit = (i.businessUnitId ?? root).toLowerCase();
      const out: CheckResult[] = [];
      if (!obs.units.some((u) => u.businessunitid.toLowerCase() === unit)) {
        return [
          fail(
            area,
            `business unit of ${i.name}`,
            `business unit ${i.businessUnitId} does not exist in ${env.url}`,
            `set dataverse.businessUnitId of ${i.name} to an existing business unit (or remove it for the root business unit)`,
          ),
        ];
      }
      if (i.businessUnitId)
        out.push(ok(area, `business unit of ${i.name}`, `business unit ${i.businessUnitId} exists`));
      if (i.securityRoles.length === 0) return out;
      const rows = obs.roles.get(unit);
      if (typeof rows === "string" || rows === undefined) {
        return [
          ...out,
          unknown(
            area,
            `roles of ${i.name}`,
            `the roles of business unit ${unit} could not be read: ${rows ?? "not read"}`,
            "preflight needs prvReadRole",
          ),
        ];
      }
      try {
        resolveRoles(
          i.securityRoles,
          rows,
          unit,
          rows.map((r) => r.name),
        );
        out.push(
          ok(
            area,
            `roles of ${i.name}`,
            `${i.securityRoles.map((r) => `"${r}"`).join(", ")} exist in the user's business unit`,
          ),
        );
      } catch (err) {
        out.push(
          fail(
            area,
            `roles of ${i.name}`,
            (err as Error).message,
            `create the roles in ${env.url}, correct dataverse.securityRoles of ${i.name}, or use role template ids`,
          ),
        );
      }
      return out;
    });
}

function tableChecks(area: string, env: EnvironmentNeeds, obs: DataverseObservation): CheckResult[] {
  const tracked = new Set(env.integrations.flatMap((i) => i.changeTracking));
  return tablesOf(env).map((table) => {
    const users = env.integrations
      .filter((i) => i.accessTables.includes(table) || i.changeTracking.includes(table))
      .map((i) => i.name)
      .join(", ");
    const t = obs.tables.get(table);
    const check = `table ${table}`;
    if (!t || "error" in t)
      return unknown(
        area,
        check,
        `the definition of ${table} could not be read: ${t && "error" in t ? t.error : "not read"}`,
        "preflight reads EntityDefinitions; check its access to the environment",
      );
    if (!t.exists)
      return fail(
        area,
        check,
        `table ${table} does not exist in ${env.url} (used by ${users})`,
        `install the solution that adds ${table}, or remove ${table} from dataverse.access / dataverse.changeTracking`,
      );
    if (!tracked.has(table)) return ok(area, check, "exists");
    if (t.tracked) return ok(area, check, "exists; change tracking already on");
    if (!t.trackable)
      return fail(
        area,
        check,
        `change tracking cannot be turned on for ${table} (CanChangeTrackingBeEnabled is false)`,
        `remove ${table} from dataverse.changeTracking`,
      );
    return ok(area, check, "exists; change tracking can be turned on");
  });
}

function generatedRoleChecks(area: string, env: EnvironmentNeeds, obs: DataverseObservation): CheckResult[] {
  return env.integrations
    .filter((i) => i.generatedRole)
    .map((i) => {
      const role = i.generatedRole!;
      const r = obs.generatedRoles.get(i.name);
      const check = `generated role of ${i.name}`;
      if (!r) return unknown(area, check, "not read", "rerun preflight");
      if (r.problem)
        return fail(
          area,
          check,
          `"${role.name}": ${r.problem}`,
          `correct dataverse.access of ${i.name} (tables by logical name, operations and depths the table supports)`,
        );
      const resolved = `${role.grants.length} table operations resolve to ${r.resolved!.length} privileges at their declared depths (each table's Privileges metadata)`;
      if (r.namesakes?.length) {
        return warn(
          area,
          check,
          `"${role.name}": ${resolved}; but a role of that name already exists in the root business unit (${r.namesakes.join(", ")}): create refuses it unless this stack made it`,
          "if this stack did not create it, rename or delete that role, or set a distinct stack name",
        );
      }
      return ok(area, check, `"${role.name}": ${resolved}`);
    });
}

function lockCheck(area: string, obs: DataverseObservation): CheckResult {
  const check = "customization lock";
  if (typeof obs.running === "string")
    return unknown(
      area,
      check,
      `the solution history could not be read: ${obs.running}`,
      "preflight reads msdyn_solutionhistories (Solution History)",
    );
  if (obs.running.length === 0) return ok(area, check, "no solution operation is running");
  const list = obs.running
    .map(
      (r) =>
        `${r.msdyn_name}${r.msdyn_operation !== undefined ? ` (${String(r.msdyn_operation)})` : ""}${r.msdyn_starttime ? ` since ${r.msdyn_starttime}` : ""}`,
    )
    .join(", ");
  return warn(
    area,
    check,
    `a solution operation is running now: ${list}; metadata writes and publishes wait for it (one operation at a time per environment)`,
    "wait for it to finish before `pulumi up`, or expect the change-tracking step to wait (bounded by DATAVERSE_PUBLISH_TIMEOUT_MS)",
  );
}

/** The checks of one environment, from what was read. */
export function dataverseChecks(env: EnvironmentNeeds, obs: DataverseObservation): CheckResult[] {
  const area = `dataverse ${env.key}`;
  if (obs.unreachable) {
    return [
      fail(
        area,
        "reachable",
        `${env.url}: ${obs.unreachable}`,
        "check the URL in crm-sync:dataverseEnvironments and that the deploying identity is a user of this environment (DATAVERSE_ACCESS_TOKEN, az login or AZURE_* variables)",
      ),
    ];
  }
  const root = obs.units.find((u) => !u._parentbusinessunitid_value)?.businessunitid ?? obs.whoAmI!.BusinessUnitId;
  return [
    ok(
      area,
      "reachable",
      `${env.url}: WhoAmI answers user ${obs.whoAmI!.UserId} in business unit ${obs.whoAmI!.BusinessUnitId}`,
    ),
    ...privilegeChecks(area, env, obs, root),
    ...roleChecks(area, env, obs, root),
    ...tableChecks(area, env, obs),
    ...generatedRoleChecks(area, env, obs),
    lockCheck(area, obs),
  ];
}
