import { dataverseUrlFor, type StackConfig } from "../../components/config";
import { accessEntries } from "../../components/dataverse/access";
import { declaredGrants } from "../../components/dataverse/securityRolePlan";
import type { RoleGrant } from "../../components/dataverse/privilegeResolution";
import type { Permission } from "../../components/entra/permissions";

/** What one integration asks of its Dataverse environment. */
export interface DataverseIntegrationNeeds {
  name: string;
  applicationUser: boolean;
  /** The application user's business unit; undefined = the root business unit. */
  businessUnitId?: string;
  /** Named roles (names or template ids), assigned in the user's business unit. */
  securityRoles: string[];
  /** Tables whose change tracking must be on. */
  changeTracking: string[];
  /** Tables the generated role grants access to. */
  accessTables: string[];
  /** The generated least-privilege role, as the program declares it (table operations, resolved per environment). */
  generatedRole?: { name: string; grants: RoleGrant[] };
}

export interface EnvironmentNeeds {
  /** Key(s) in crm-sync:dataverseEnvironments pointing at this URL. */
  key: string;
  url: string;
  integrations: DataverseIntegrationNeeds[];
}

export interface EntraIntegrationNeeds {
  name: string;
  displayName: string;
  /** Every client secret lives this many months from its creation. */
  lifetimeMonths: number;
  permissions: Permission[];
  grantAdminConsent: boolean;
}

export interface PreflightNeeds {
  stack: string;
  tenantId: string;
  entra: EntraIntegrationNeeds[];
  environments: EnvironmentNeeds[];
}

/** What `pulumi up` of this stack will ask of the tenant and of each Dataverse environment, read from the validated config. */
export function preflightNeeds(stack: string, config: StackConfig): PreflightNeeds {
  const environments = new Map<string, EnvironmentNeeds>();
  for (const integration of config.integrations) {
    const dv = integration.dataverse;
    if (!dv) continue;
    const url = dataverseUrlFor(config, dv);
    const key = dv.environment ?? Object.keys(config.dataverseEnvironments)[0];
    const env = environments.get(url) ?? { key, url, integrations: [] };
    environments.set(url, env);
    const access = dv.access ? accessEntries(dv.access, dv.changeTracking) : undefined;
    env.integrations.push({
      name: integration.name,
      applicationUser: dv.applicationUser,
      businessUnitId: dv.businessUnitId,
      securityRoles: dv.securityRoles,
      changeTracking: dv.changeTracking ?? [],
      accessTables: Object.keys(dv.access ?? {}),
      // The same name and privileges as SyncIntegration gives the SecurityRole resource.
      generatedRole: access && { name: `CRM sync ${integration.name} (${stack})`, grants: declaredGrants(access) },
    });
  }
  return {
    stack,
    tenantId: config.tenantId,
    entra: config.integrations.map((i) => ({
      name: i.name,
      displayName: i.displayName ?? `CRM sync ${i.name} (${stack})`,
      lifetimeMonths: i.secret.lifetimeMonths,
      permissions: i.permissions,
      grantAdminConsent: i.grantAdminConsent,
    })),
    environments: [...environments.values()],
  };
}

/** Every table an environment's integrations touch, sorted, once each. */
export const tablesOf = (env: EnvironmentNeeds) =>
  [...new Set(env.integrations.flatMap((i) => [...i.accessTables, ...i.changeTracking]))].sort();
