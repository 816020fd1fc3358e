import type * as pulumi from "@pulumi/pulumi";

type Kind = "applicationUser" | "changeTracking" | "securityRole";

/**
 * The provider Pulumi serializes into state: a stub that loads the implementation, at run time, from the installed
 * module `crm-sync-dataverse-providers` (providers/ in this project, a file: dependency that points at the build).
 * State stays small (about 2 KB instead of 45-58 KB per resource, inputs and outputs), and the dynamic-provider
 * host resolves the module from node_modules as it resolves axios.
 */
export function providerStub(kind: Kind): pulumi.dynamic.ResourceProvider {
  // `require` runs in the provider host, never at serialization: the closure holds only the module and kind names.
  const impl = (): pulumi.dynamic.ResourceProvider => require("crm-sync-dataverse-providers")[kind]();
  return {
    check: (olds, news) => impl().check!(olds, news),
    diff: (id, olds, news) => impl().diff!(id, olds, news),
    create: (inputs) => impl().create(inputs),
    read: (id, props) => impl().read!(id, props),
    update: (id, olds, news) => impl().update!(id, olds, news),
    delete: (id, props) => impl().delete!(id, props),
  };
}
