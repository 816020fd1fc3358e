import * as pulumi from "@pulumi/pulumi";
import { providerStub } from "./providerStub";
import {
  addRole,
  businessUnits,
  getUser,
  isLive,
  purgeUser,
  removeRole,
  updateUser,
  usersByApplicationId,
  type SystemUserRow,
} from "./applicationUserApi";
import { inResource } from "./http/errors";
import {
  checkApplicationUser,
  diffApplicationUser,
  roleChanges,
  type ApplicationUserInputs,
  type ApplicationUserState,
} from "./applicationUserPlan";
import { providerContext, type DataverseClient, type ProviderOptions } from "./http/client";
import { adoptionRefusal } from "./applicationUserAdoption";
import { createWithReplicationRetry, purgeLeftovers, resolveInBusinessUnit } from "./applicationUserSteps";

const roleIdsOf = (user: SystemUserRow) => (user.systemuserroles_association ?? []).map((r) => r.roleid);

const what = (inputs: { applicationId: string }) => `application user of app ${inputs.applicationId}`;

export function makeApplicationUserProvider(options: ProviderOptions = {}): pulumi.dynamic.ResourceProvider {
  const { log, clientFor } = providerContext(options);

  /**
   * Brings an existing user to the inputs: enabled, in the wanted business unit, with the desired roles.
   * `desiredRoles` is started by the caller as early as possible so that it overlaps other round trips.
   */
  async function converge(
    client: DataverseClient,
    user: SystemUserRow,
    inputs: ApplicationUserInputs,
    desiredRoles: Promise<string[]>,
    managedBefore: string[],
    root: string,
    adopted: boolean,
  ): Promise<ApplicationUserState> {
    const wantedBu = inputs.businessUnitId ?? root;
    const moveBu = user._businessunitid_value.toLowerCase() !== wantedBu.toLowerCase();
    const [desired] = await Promise.all([
      desiredRoles,
      user.isdisabled || moveBu
        ? updateUser(client, user.systemuserid, {
            isdisabled: user.isdisabled ? false : undefined,
            businessUnitId: moveBu ? wantedBu : undefined,
          })
        : undefined,
    ]);
    // Dataverse removes a user's roles when it changes business unit: read what is left.
    const assigned = moveBu ? roleIdsOf((await getUser(client, user.systemuserid)) ?? user) : roleIdsOf(user);
    const { add, remove } = roleChanges(desired, managedBefore, assigned);
    await Promise.all([
      ...add.map((id) => addRole(client, user.systemuserid, id)),
      ...remove.map((id) => removeRole(client, user.systemuserid, id)),
    ]);
    const removed = new Set(remove);
    return {
      ...inputs,
      systemUserId: user.systemuserid,
      businessUnitId: wantedBu,
      rootBusinessUnitId: root,
      roleIds: desired,
      assignedRoleIds: [...assigned.filter((id) => !removed.has(id)), ...add],
      isDisabled: false,
      adopted,
    };
  }

  return {
    async check(_olds, news) {
      const { inputs, failures } = checkApplicationUser(news);
      return { inputs, failures };
    },

    async diff(_id, olds: ApplicationUserState, news: ApplicationUserInputs) {
      return diffApplicationUser(olds, news);
    },

    async create(inputs: ApplicationUserInputs) {
      const client = clientFor(inputs.environmentUrl);
      return inResource(what(inputs), inputs.environmentUrl, async () => {
        const [{ root }, rows] = await Promise.all([
          businessUnits(client, inputs.businessUnitId),
          usersByApplicationId(client, inputs.applicationId),
        ]);
        const wantedBu = inputs.businessUnitId ?? root;
        const refusal = adoptionRefusal(rows.filter(isLive), inputs, wantedBu, client.environmentUrl);
        if (refusal) throw new Error(refusal);
        const existing = rows.find(isLive);
        const desired = resolveInBusinessUnit(client, wantedBu, inputs.securityRoles, log);
        desired.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
        let user = existing;
        let createdId: string | undefined;
        if (!user) {
          await purgeLeftovers(client, rows, log);
          const created = await createWithReplicationRetry(
            client,
            inputs.applicationId,
            wantedBu,
            client.settings.replicationWaitMs,
            log,
          );
          createdId = created.id;
          user = created.user ?? {
            systemuserid: created.id!,
            applicationid: inputs.applicationId,
            isdisabled: false,
            _businessunitid_value: wantedBu,
            systemuserroles_association: [],
          };
        }
        try {
          const outs = await converge(client, user, inputs, desired, [], root, existing !== undefined);
          return { id: outs.systemUserId, outs };
        } catch (err) {
          // A user this create made must not stay behind enabled and role-less, to be adopted next time.
          if (createdId) {
            await purgeUser(client, createdId).then(
              () => log(`removed application user ${createdId}, created by this failed create`),
              (cleanup) =>
                log(
                  `could not remove application user ${createdId} after the failed create: ${(cleanup as Error).message}`,
                ),
            );
          }
          // The desired roles were started early; a failure before they were awaited must not surface on its own.
          await desired.catch(() => undefined);
          throw err;
        }
      });
    },

    async read(id, props: ApplicationUserState) {
      const client = clientFor(props.environmentUrl);
      return inResource(what(props), props.environmentUrl, async () => {
        const user = await getUser(client, id);
        if (!user) return { id: "", props: {} };
        const assigned = roleIdsOf(user);
        const has = (roleId: string) => assigned.some((a) => a.toLowerCase() === roleId.toLowerCase());
        // Managed roles removed out of band disappear from roleIds, so the preview shows the repair.
        const state: ApplicationUserState = {
          ...props,
          businessUnitId: user._businessunitid_value,
          roleIds: (props.roleIds ?? []).filter(has),
          assignedRoleIds: assigned,
          isDisabled: user.isdisabled,
        };
        return { id, props: state };
      });
    },

    async update(id, olds: ApplicationUserState, news: ApplicationUserInputs) {
      const client = clientFor(news.environmentUrl);
      return inResource(what(news), news.environmentUrl, async () => {
        const desired = resolveInBusinessUnit(
          client,
          news.businessUnitId ?? olds.rootBusinessUnitId,
          news.securityRoles,
          log,
        );
        desired.catch(() => undefined);
        const user = await getUser(client, id);
        if (!user)
          throw new Error(`application user ${id} no longer exists; run \`pulumi refresh\` so it is created again`);
        const outs = await converge(
          client,
          user,
          news,
          desired,
          olds.roleIds ?? [],
          olds.rootBusinessUnitId,
          olds.adopted ?? false,
        );
        return { outs };
      });
    },

    /** A user this stack created is purged; an adopted one (not created here) only loses the roles this stack gave it. */
    async delete(id, props: ApplicationUserState) {
      const client = clientFor(props.environmentUrl);
      await inResource(what(props), props.environmentUrl, async () => {
        if (props.adopted !== false) {
          const user = await getUser(client, id);
          const managed = (props.roleIds ?? []).filter(
            (r) => user && roleIdsOf(user).some((a) => a.toLowerCase() === r.toLowerCase()),
          );
          await Promise.all(managed.map((r) => removeRole(client, id, r)));
          log(
            `application user ${id} was not created by this stack: left in place${managed.length ? `, without the ${managed.length} role(s) this stack gave it` : ""}`,
          );
          return;
        }
        const result = await purgeUser(client, id);
        if (result === "already gone") log(`application user ${id} was already deleted`);
      });
    },
  };
}

/** The implementation, as the provider host loads it (reads token and settings from that process's environment). */
export const applicationUserImplementation = makeApplicationUserProvider();

/** The provider Pulumi serializes into state: a small stub that loads applicationUserImplementation in the provider host. */
export const applicationUserProvider = providerStub("applicationUser");

export interface ApplicationUserArgs {
  /** Dataverse environment root, e.g. `https://contoso.crm4.dynamics.com`. */
  environmentUrl: pulumi.Input<string>;
  /** Application (client) id of the Entra app the user stands for. */
  applicationId: pulumi.Input<string>;
  /** Business unit of the user; default: the environment's root business unit. */
  businessUnitId?: pulumi.Input<string>;
  /** Security roles, each a role name, a role template id or a root role's id, resolved in the user's business unit. */
  securityRoles?: pulumi.Input<pulumi.Input<string>[]>;
  /** Take over the app's live application user if one exists that this stack did not create (default false: refused). */
  adoptExistingUser?: pulumi.Input<boolean>;
}

/**
 * A Dataverse application user (a systemuser with `applicationid`) with security roles.
 * An existing live user of the app is adopted only with adoptExistingUser, and never deleted; a user this stack
 * created is disabled, soft-deleted and purged on delete.
 */
export class ApplicationUser extends pulumi.dynamic.Resource {
  declare readonly systemUserId: pulumi.Output<string>;
  declare readonly businessUnitId: pulumi.Output<string>;
  declare readonly roleIds: pulumi.Output<string[]>;
  declare readonly assignedRoleIds: pulumi.Output<string[]>;
  declare readonly adopted: pulumi.Output<boolean>;

  constructor(name: string, args: ApplicationUserArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      applicationUserProvider,
      name,
      {
        securityRoles: [],
        ...args,
        systemUserId: undefined,
        rootBusinessUnitId: undefined,
        roleIds: undefined,
        assignedRoleIds: undefined,
        isDisabled: undefined,
        adopted: undefined,
        businessUnitId: args.businessUnitId,
      },
      opts,
      "dataverse",
      "ApplicationUser",
    );
  }
}
