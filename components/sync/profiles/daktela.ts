import { z } from "zod";
import type { VendorProfile } from "../profile";

/**
 * Daktela, Dynamics 365 integration (setup page: shared/seeds/000).
 * 1. Register an app                         -> app registration (single tenant)
 * 2. Client secret, longest expiry (24 mo.)  -> secret.lifetimeMonths: 24
 * 3. Application user with the app's ID,
 *    "Manage Roles" -> add the right role    -> dataverse.applicationUser with dataverse.securityRoles (required)
 * 4. In Daktela: Instance URI, Application ID, Application secret -> the fields below
 * No API permission is needed: Daktela signs in as the application user (server-to-server).
 */
export const daktela: VendorProfile<Record<string, never>> = {
  key: "daktela",
  title: "Daktela (Dynamics 365 integration)",
  settings: z.strictObject({}),
  defaults: () => ({
    permissions: [],
    secret: { lifetimeMonths: 24 },
    dataverse: { applicationUser: true },
  }),
  problems: (integration) =>
    (integration.dataverse?.securityRoles.length ?? 0) === 0
      ? [{ path: ["dataverse", "securityRoles"], message: "Daktela's application user needs a security role (setup step \"Manage Roles\"): list at least one" }]
      : [],
  fields: (ctx) => ({
    "Instance URI": ctx.endpoints.organizationUrl!,
    "Application ID": ctx.clientId,
    "Application secret": ctx.clientSecret,
  }),
  secretFields: ["Application secret"],
};
