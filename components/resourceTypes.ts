/**
 * Pulumi type tokens of the resources this project registers, for the code that reads them back
 * (offline plan, audit report, policy pack), and the naming rule that ties a resource to its integration.
 */
export const TYPES = {
  stack: "pulumi:pulumi:Stack",
  integration: "crm-sync:sync:Integration",
  integrationApp: "crm-sync:entra:IntegrationApp",
  application: "azuread:index/application:Application",
  servicePrincipal: "azuread:index/servicePrincipal:ServicePrincipal",
  password: "azuread:index/applicationPassword:ApplicationPassword",
  appRoleAssignment: "azuread:index/appRoleAssignment:AppRoleAssignment",
  delegatedGrant: "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant",
  applicationUser: "pulumi-nodejs:dynamic/dataverse:ApplicationUser",
  changeTracking: "pulumi-nodejs:dynamic/dataverse:ChangeTracking",
  securityRole: "pulumi-nodejs:dynamic/dataverse:SecurityRole",
  keyVaultSecret: "azure-native:keyvault:Secret",
  timeStatic: "time:index/static:Static",
} as const;

/** Prefix of every dynamic (provider-in-state) resource type. */
export const DYNAMIC_PREFIX = "pulumi-nodejs:dynamic/";

/**
 * The integration a resource belongs to: our components name every resource `<integration>` or `<integration>-...`,
 * and the longest matching name wins (integration `crm` vs `crm-eu`). Built once for many resources: each name is matched against its own dash-separated prefixes (longest
 * first) in a set of integration names, so grouping N resources of M integrations costs O(N), not O(N x M).
 */
export function integrationIndex(integrationNames: string[]): (resourceName: string) => string | undefined {
  const names = new Set(integrationNames);
  return (resourceName) => {
    for (let end = resourceName.length; end > 0; end = resourceName.lastIndexOf("-", end - 1)) {
      const prefix = resourceName.slice(0, end);
      if (names.has(prefix)) return prefix;
    }
    return undefined;
  };
}
