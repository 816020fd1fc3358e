import * as pulumi from "@pulumi/pulumi";
import { providerStub } from "./providerStub";
import { providerContext, type ProviderOptions } from "./client";
import {
  createRole, privilegeRows, readRole, renameRole, replacePrivileges, resolvePrivileges, rootAndPrivileges, unassignAndDeleteRole,
} from "./securityRoleApi";
import { checkSecurityRole, diffSecurityRole, type HeldPrivilege, type SecurityRoleInputs, type SecurityRoleState } from "./securityRolePlan";

export function makeSecurityRoleProvider(options: ProviderOptions = {}): pulumi.dynamic.ResourceProvider {
  const { log, clientFor } = providerContext(options);
  const held = (list: { name: string; depth: HeldPrivilege["depth"] }[]) => list.map((p) => ({ name: p.name, depth: p.depth }));

  return {
    async check(_olds, news) {
      return checkSecurityRole(news);
    },

    async diff(_id, olds: SecurityRoleState, news: SecurityRoleInputs) {
      return diffSecurityRole(olds, news);
    },

    /** Three round trips whatever the number of privileges: lookups ($batch), the role, its whole privilege set. */
    async create(inputs: SecurityRoleInputs) {
      const client = clientFor(inputs.environmentUrl);
      const { root, rows } = await rootAndPrivileges(client, inputs.privileges.map((p) => p.name));
      const resolved = resolvePrivileges(inputs.privileges, rows);
      const roleId = await createRole(client, inputs.roleName, root);
      try {
        await replacePrivileges(client, roleId, root, resolved);
      } catch (err) {
        // A role without its privileges must not stay behind under the managed name.
        await unassignAndDeleteRole(client, roleId).catch(() => log(`could not remove role ${roleId} after the failed create`));
        throw err;
      }
      const outs: SecurityRoleState = { ...inputs, roleId, businessUnitId: root, heldPrivileges: held(resolved) };
      return { id: roleId, outs };
    },

    /** Finds privileges added, removed, widened or narrowed in the portal: the next `up` restores the declared set. */
    async read(id, props: SecurityRoleState) {
      const role = await readRole(clientFor(props.environmentUrl), id);
      if (!role) return { id: "", props: {} };
      return { id, props: { ...props, roleName: role.name, businessUnitId: role.businessUnitId, heldPrivileges: role.privileges } };
    },

    async update(id, olds: SecurityRoleState, news: SecurityRoleInputs) {
      const client = clientFor(news.environmentUrl);
      const resolved = resolvePrivileges(news.privileges, await privilegeRows(client, news.privileges.map((p) => p.name)));
      await Promise.all([
        replacePrivileges(client, id, olds.businessUnitId, resolved),
        olds.roleName !== news.roleName ? renameRole(client, id, news.roleName) : undefined,
      ]);
      return { outs: { ...news, roleId: id, businessUnitId: olds.businessUnitId, heldPrivileges: held(resolved) } };
    },

    async delete(id, props: SecurityRoleState) {
      const result = await unassignAndDeleteRole(clientFor(props.environmentUrl), id);
      if (result === "already gone") log(`security role ${id} was already deleted`);
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
  /** Exactly the privileges the role holds: name (`prvReadAccount`) and depth (Basic, Local, Deep, Global). */
  privileges: pulumi.Input<pulumi.Input<HeldPrivilege>[]>;
}

/**
 * A custom Dataverse security role in the root business unit with exactly the declared privileges, kept exact
 * against changes made in the portal. Delete takes it from its users and deletes it.
 */
export class SecurityRole extends pulumi.dynamic.Resource {
  declare readonly roleId: pulumi.Output<string>;
  declare readonly businessUnitId: pulumi.Output<string>;
  declare readonly heldPrivileges: pulumi.Output<HeldPrivilege[]>;

  constructor(name: string, args: SecurityRoleArgs, opts?: pulumi.CustomResourceOptions) {
    super(securityRoleProvider, name, { ...args, roleId: undefined, businessUnitId: undefined, heldPrivileges: undefined }, opts, "dataverse", "SecurityRole");
  }
}
