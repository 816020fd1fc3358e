import type { SystemUserRow } from "./applicationUserApi";

const describe = (u: SystemUserRow) =>
  `${u.systemuserid}${u.fullname ? ` ("${u.fullname}")` : ""} in business unit ${u._businessunitid_value}`;

/**
 * Why the app's existing live users cannot become this resource, or undefined. As Microsoft's Power Platform
 * provider does: two live users for one app are refused naming both (Dataverse allows one per app), and so is a user
 * in another business unit than the wanted one (moving it makes Dataverse drop its roles). A user this stack did not
 * create is taken over only when the stack says so (dataverse.adoptExistingUser), and then never deleted by it.
 */
export function adoptionRefusal(
  live: SystemUserRow[],
  inputs: { applicationId: string; adoptExistingUser?: boolean },
  wantedBu: string,
  environmentUrl: string,
): string | undefined {
  if (live.length > 1) {
    return (
      `the app ${inputs.applicationId} has ${live.length} live application users in ${environmentUrl}: ${live.map(describe).join(" and ")}. ` +
      "Dataverse allows one per app: delete the one that should not be there in the Power Platform admin center, then run again"
    );
  }
  const user = live[0];
  if (!user) return undefined;
  if (!inputs.adoptExistingUser) {
    return (
      `an application user for app ${inputs.applicationId} already exists in ${environmentUrl} (${describe(user)}) and this stack did not create it. ` +
      "If it was made by hand, or by a `pulumi up` that was interrupted while creating it, set dataverse.adoptExistingUser: true to manage it from this stack " +
      "(it is then never deleted by the stack, only given and relieved of the roles the stack manages); or delete it in the Power Platform admin center so the stack creates its own"
    );
  }
  if (user._businessunitid_value.toLowerCase() !== wantedBu.toLowerCase()) {
    return (
      `the existing application user ${describe(user)} for app ${inputs.applicationId} is not in the wanted business unit ${wantedBu}; ` +
      "moving it would make Dataverse drop its security roles. Set dataverse.businessUnitId to its business unit, or move it yourself in the admin center"
    );
  }
  return undefined;
}
