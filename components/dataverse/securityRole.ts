import * as pulumi from "@pulumi/pulumi";
import { providerStub } from "./providerStub";
import { providerContext, type DataverseClient, type ProviderOptions } from "./http/client";
import { rootBusinessUnitId } from "./applicationUserApi";
import { inResource } from "./http/errors";
import { resolveGrants, type ResolvedPrivilege, type RoleGrant } from "./privilegeResolution";
import {
  collisionMessage,
  createRole,
  readRole,
  renameRole,
  replacePrivileges,
  tablePrivilegesAndNamesakes,
  unassignAndDeleteRole,
} from "./securityRoleApi";
import {
  checkSecurityRole,
  diffSecurityRole,
  type HeldPrivilege,
  type SecurityRoleInputs,
  type SecurityRoleState,
} from "./securityRolePlan";

const tablesOf = (grants: RoleGrant[]) => [...new Set(grants.map((g) => g.table))];
const what = (inputs: { roleName: string }) => `security role "${inputs.roleName}"`;

export function makeSecurityRoleProvider(options: ProviderOptions = {}): pulumi.dynamic.ResourceProvider {
  const { log, clientFor } = providerContext(options);

  /**
   * Sets the role's privileges and reads back what it holds: privileges the platform keeps or re-adds on its own
   * (a new role's defaults; SharePoint ones reported to come back) are recorded as platform-kept, so they never make
   * a later `up --refresh` rewrite the role.
   * The privilege write goes through the environment's customization queue (customizationLock.ts), with its lock waits.
   */
  async function setAndReadBack(
    client: DataverseClient,
    roleId: string,
    businessUnitId: string,
    resolved: ResolvedPrivilege[],
  ): Promise<{ held: HeldPrivilege[]; platformKept: string[] }> {
    await replacePrivileges(client, roleId, businessUnitId, resolved);
    const role = await readRole(client, roleId);
    const held = role?.privileges ?? resolved.map((p) => ({ name: p.name, depth: p.depth }));
    const declared = new Set(resolved.map((p) => p.name.toLowerCase()));
    const platformKept = held.filter((h) => !declared.has(h.name.toLowerCase())).map((h) => h.name);
    if (platformKept.length)
      log(
        `${roleId}: Dataverse kept ${platformKept.join(", ")} on the role after setting its privileges; they are left as the platform's`,
      );
    return { held, platformKept };
  }

  return {
    async check(_olds, news) {
      return checkSecurityRole(news);
    },

    async diff(_id, olds: SecurityRoleState, news: SecurityRoleInputs) {
      return diffSecurityRole(olds, news);
    },

    /** Round trips: the root business unit (shared per environment), definitions + namesakes ($batch), the role, its privilege set, the read-back. */
    async create(inputs: SecurityRoleInputs) {
      const client = clientFor(inputs.environmentUrl);
      return inResource(what(inputs), inputs.environmentUrl, async () => {
        const root = await rootBusinessUnitId(client);
        const { tables, namesakes } = await tablePrivilegesAndNamesakes(
          client,
          tablesOf(inputs.grants),
          inputs.roleName,
          root,
        );
        if (namesakes.length)
          throw new Error(
            collisionMessage(
              inputs.roleName,
              root,
              inputs.environmentUrl,
              namesakes.map((r) => r.roleid),
            ),
          );
        const resolved = resolveGrants(inputs.grants, tables, inputs.environmentUrl);
        const roleId = await createRole(client, inputs.roleName, root);
        try {
          const { held, platformKept } = await setAndReadBack(client, roleId, root, resolved);
          const outs: SecurityRoleState = {
            ...inputs,
            roleId,
            businessUnitId: root,
            privileges: resolved,
            heldPrivileges: held,
            platformKept,
          };
          return { id: roleId, outs };
        } catch (err) {
          // A role without its privileges must not stay behind under the managed name.
          await unassignAndDeleteRole(client, roleId).catch(() =>
            log(`could not remove role ${roleId} after the failed create`),
          );
          throw err;
        }
      });
    },

    /** Finds privileges added, removed, widened or narrowed in the portal: the next `up` restores the declared set. */
    async read(id, props: SecurityRoleState) {
      return inResource(what(props), props.environmentUrl, async () => {
        const role = await readRole(clientFor(props.environmentUrl), id);
        if (!role) return { id: "", props: {} };
        return {
          id,
          props: {
            ...props,
            roleName: role.name,
            businessUnitId: role.businessUnitId,
            heldPrivileges: role.privileges,
          },
        };
      });
    },

    async update(id, olds: SecurityRoleState, news: SecurityRoleInputs) {
      const client = clientFor(news.environmentUrl);
      return inResource(what(news), news.environmentUrl, async () => {
        const { tables } = await tablePrivilegesAndNamesakes(client, tablesOf(news.grants));
        const resolved = resolveGrants(news.grants, tables, news.environmentUrl);
        const [{ held, platformKept }] = await Promise.all([
          setAndReadBack(client, id, olds.businessUnitId, resolved),
          olds.roleName !== news.roleName ? renameRole(client, id, news.roleName) : undefined,
        ]);
        return {
          outs: {
            ...news,
            roleId: id,
            businessUnitId: olds.businessUnitId,
            privileges: resolved,
            heldPrivileges: held,
            platformKept,
          },
        };
      });
    },

    async delete(id, props: SecurityRoleState) {
      await inResource(what(props), props.environmentUrl, async () => {
        const result = await unassignAndDeleteRole(clientFor(props.environmentUrl), id);
        if (result === "already gone") log(`security role ${id} was already deleted`);
      });
    },
  };
}

/** The implementation, as the provider host loads it (reads token and settings from that process's environment). */
export const securityRoleImplementation = makeSecurityRoleProvider();

/** The provider Pulumi serializes into state: a small stub that loads securityRoleImplementation in the provider host. */
export const securityRoleProvider = providerStub("securityRole");

export interface SecurityRoleArgs {
  /** Dataverse environment root, e.g. `https://contoso.crm4.dynamics.com`. */
  environmentUrl: pulumi.Input<string>;
  /** Role name, e.g. `CRM sync syncari (prod)`. */
  roleName: pulumi.Input<string>;
  /**
   * Table operations at depths (Basic, Local, Deep, Global, or "narrowest"): each is resolved through the table's
   * own privilege metadata in the environment, never from a name formula.
   */
  grants: pulumi.Input<pulumi.Input<RoleGrant>[]>;
  /** Why administrator-level grants (access.ts ADMINISTRATIVE_TABLES) are acceptable; required when there are any. */
  administrativeReason?: pulumi.Input<string>;
}

/**
 * A custom Dataverse security role in the root business unit (copied by Dataverse into child units) with exactly the
 * declared privileges, kept exact against changes made in the portal. Never takes over a role of the same name.
 * Delete takes it (and its child-unit copies) from their users and deletes it.
 */
export class SecurityRole extends pulumi.dynamic.Resource {
  declare readonly roleId: pulumi.Output<string>;
  declare readonly businessUnitId: pulumi.Output<string>;
  declare readonly privileges: pulumi.Output<ResolvedPrivilege[]>;
  declare readonly heldPrivileges: pulumi.Output<HeldPrivilege[]>;
  declare readonly platformKept: pulumi.Output<string[]>;

  constructor(name: string, args: SecurityRoleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      securityRoleProvider,
      name,
      {
        ...args,
        roleId: undefined,
        businessUnitId: undefined,
        privileges: undefined,
        heldPrivileges: undefined,
        platformKept: undefined,
      },
      opts,
      "dataverse",
      "SecurityRole",
    );
  }
}
