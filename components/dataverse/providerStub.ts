import type * as pulumi from "@pulumi/pulumi";

type Kind = "applicationUser" | "changeTracking" | "securityRole";

/** The entry the stubs load: this package's own `exports` subpath (providers/index.ts). */
export const PROVIDER_MODULE = "crm-sync-infra/dataverse-providers";

/**
 * The provider Pulumi serializes into state: a stub that loads the implementation, at run time, from
 * `crm-sync-infra/dataverse-providers`, the package's own `exports` entry. State stays small (about 2 KB instead of
 * 45-58 KB per resource) and no second package name exists.
 *
 * Pulumi's dynamic-provider host runs in the program's folder (the CLI starts plugins there). The stub resolves the
 * entry as a module in that folder would: through node_modules (a consumer's tarball, `file:` or workspace install),
 * or through the package's self-reference when the folder is crm-sync-infra itself (this repository's YAML program).
 */
export function providerStub(kind: Kind): pulumi.dynamic.ResourceProvider {
  // Runs in the provider host, never at serialization: the closure holds only the module and kind names.
  // The specifier is a literal (not PROVIDER_MODULE) so the serialized closure captures no module-level binding.
  const impl = (): pulumi.dynamic.ResourceProvider => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved in the provider host, not captured
    const from = require("path").join(process.cwd(), "pulumi-program.js");
    let entry: Record<Kind, () => pulumi.dynamic.ResourceProvider>;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved in the provider host, not captured
      entry = require("module").createRequire(from)("crm-sync-infra/dataverse-providers");
    } catch (err) {
      if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
      throw new Error(
        `crm-sync-infra/dataverse-providers cannot be loaded from ${process.cwd()} (the Pulumi program's folder): install crm-sync-infra there (npm install), and build it when it is a local checkout (npm run build): ${(err as Error).message}`,
        { cause: err },
      );
    }
    return entry[kind]();
  };
  return {
    check: (olds, news) => impl().check!(olds, news),
    diff: (id, olds, news) => impl().diff!(id, olds, news),
    create: (inputs) => impl().create(inputs),
    read: (id, props) => impl().read!(id, props),
    update: (id, olds, news) => impl().update!(id, olds, news),
    delete: (id, props) => impl().delete!(id, props),
  };
}
