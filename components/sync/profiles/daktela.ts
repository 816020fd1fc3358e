import { z } from "zod";
import type { VendorProfile } from "../profile";

/**
 * Daktela, Dynamics 365 integration (setup page "Dynamics 365", https://docs.daktela.com/cs/pbx/v6.25/dynamics-365).
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
    (integration.dataverse?.securityRoles.length ?? 0) === 0 && !integration.dataverse?.access
      ? [
          {
            path: ["dataverse", "securityRoles"],
            message:
              'Daktela\'s application user needs a security role (setup step "Manage Roles"): declare dataverse.access for a generated least-privilege role, or list a role',
          },
        ]
      : [],
  fields: (ctx) => ({
    "Instance URI": ctx.endpoints.organizationUrl!,
    "Application ID": ctx.clientId,
    "Application secret": ctx.clientSecret,
  }),
  secretFields: ["Application secret"],
  clientSecretFields: ["Application secret"],
  // The setup page is Czech: "URI instance", "ID aplikace", "Application secret" (setup page above).
  screenLabels: { "Instance URI": "URI instance", "Application ID": "ID aplikace" },
  nextSteps: () => [
    "In Daktela open Manage -> Integrations (Spravovat -> Integrace), tab Dynamics 365, and click Configure (Konfigurovat).",
    "Choose the CRM database (CRM Databáze) to synchronize into.",
    'Paste settings."Instance URI" into URI instance.',
    'Paste settings."Application ID" into ID aplikace.',
    'Paste settings."Application secret" into Application secret.',
    "Click Authorize (Autorizovat).",
    "Map the CRM fields: for each Daktela field to synchronize, pick the Dynamics 365 field.",
    "Click Activate (Aktivovat).",
  ],
};
