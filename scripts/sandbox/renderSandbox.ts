import type { DataverseRun } from "./dataverseRun";
import { shortType } from "./renderPlan";
import { privilegesByDepth, type HeldPrivilege } from "../../components/dataverse/securityRolePlan";

/** What the Dataverse side did, for a person; generated roles by name (an id alone says nothing to a reader). */
export function renderDataverseRun(run: DataverseRun): string {
  const roleNames = new Map(
    run.created
      .filter((r) => r.type.endsWith(":SecurityRole"))
      .map((r) => [String(r.outs.roleId ?? r.id), String(r.outs.roleName)]),
  );
  const named = (id: string) => (roleNames.has(id) ? `"${roleNames.get(id)}" ` : "");
  const roleList = (o: Record<string, unknown>) =>
    ((o.roleIds as string[]) ?? [])
      .map((id, i) => {
        const asked = (o.securityRoles as string[])[i];
        return id === asked ? `${named(id)}${id}` : `${named(asked)}${id} (this unit's copy of ${asked})`;
      })
      .join(", ") || "none";
  const lines = [
    "",
    "Dataverse, executed for real: the serialized providers ran in Pulumi's dynamic-provider host against the local Web API emulator",
  ];
  for (const r of run.created) {
    const o = r.outs;
    const what = r.type.endsWith(":ApplicationUser")
      ? `application user ${o.systemUserId} ${o.adopted ? "(adopted)" : "(created)"} in business unit ${o.businessUnitId}, roles: ${roleList(o)}`
      : r.type.endsWith(":SecurityRole")
        ? `role "${o.roleName}" ${o.roleId} with ${((o.privileges as unknown[]) ?? []).length} privileges, resolved from the tables' metadata`
        : `change tracking on: ${((o.enabledEntities as string[]) ?? []).join(", ")}`;
    lines.push(`  + ${shortType(r.type)} "${r.name}": ${what}`);
    if (r.type.endsWith(":SecurityRole")) {
      lines.push(
        ...privilegesByDepth((o.privileges as (HeldPrivilege & { grants?: string })[]) ?? []).map((l) => `      ${l}`),
      );
      const kept = (o.platformKept as string[] | undefined) ?? [];
      if (kept.length) lines.push(`      kept by the platform (not managed): ${kept.join(", ")}`);
    }
  }
  if (!run.created.length) lines.push("  (this stack has no Dataverse resources)");
  lines.push(
    `  first run (all resources at once, as pulumi up runs them): ${run.first.requests} HTTP round trips, ${run.first.writes} writes, ${run.first.publishes} PublishXml`,
  );
  lines.push(
    run.second.changed.length
      ? `Second run of the same stack: CHANGES in ${run.second.changed.join(", ")} (${run.second.writes} writes)`
      : `Second run of the same stack: no changes (${run.second.requests} requests, ${run.second.writes} writes)`,
  );
  return lines.join("\n");
}

/**
 * Shows each environment by its real URL (URLs stay clean, ready to paste), and says once, in a line of its own,
 * which environments the local emulator stood in for.
 */
export function withRealUrls(text: string, emulatorToReal: Map<string, string>, withNote = true): string {
  let out = text;
  for (const [emulated, real] of emulatorToReal) out = out.split(emulated).join(real);
  if (emulatorToReal.size === 0 || !withNote) return out;
  const note = `Emulated Dataverse environments (the local emulator answered for them): ${[...emulatorToReal.values()].join(", ")}`;
  return `${note}\n\n${out}`;
}
