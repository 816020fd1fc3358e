import { z } from "zod";
import type { VendorProfile } from "../profile";

/**
 * Raynet, Outlook synchronization on Microsoft Azure (setup page: shared/seeds/004).
 * 3. Register "Raynet Outlook Sync", accounts in this organizational directory only -> single tenant
 * 4. Microsoft Graph application permissions User.Read.All, Calendars.ReadWrite, Contacts.ReadWrite, Tasks.ReadWrite.All
 * 5. Grant admin consent                                   -> app role assignments
 * 6. Client secret, longest validity                       -> 24 months
 * 7. Copy Application (client) ID and Directory (tenant) ID -> the fields below
 * No Dataverse part.
 */
export const raynet: VendorProfile<Record<string, never>> = {
  key: "raynet",
  title: "Raynet (Outlook sync on Microsoft Azure)",
  settings: z.strictObject({}),
  defaults: () => ({
    displayName: "Raynet Outlook Sync",
    signInAudience: "AzureADMyOrg",
    permissions: [
      "Microsoft Graph: User.Read.All (application)",
      "Microsoft Graph: Calendars.ReadWrite (application)",
      "Microsoft Graph: Contacts.ReadWrite (application)",
      "Microsoft Graph: Tasks.ReadWrite.All (application)",
    ],
    grantAdminConsent: true,
    secret: { lifetimeMonths: 24 },
  }),
  problems: (integration) =>
    integration.dataverse ? [{ path: ["dataverse"], message: "Raynet syncs Outlook through Microsoft Graph and has no Dataverse part: remove dataverse" }] : [],
  fields: (ctx) => ({
    "Directory (tenant) ID": ctx.tenantId,
    "Application (client) ID": ctx.clientId,
    "Client secret": ctx.clientSecret,
  }),
  secretFields: ["Client secret"],
};
