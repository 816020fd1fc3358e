import { z } from "zod";
import type { VendorProfile } from "../profile";

/**
 * Raynet, Outlook synchronization on Microsoft Azure (setup page
 * "Nastavení Raynet synchronizace na MS Azure" in Raynet's help centre, https://support.raynetcrm.com; URL not confirmed).
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
    integration.dataverse
      ? [
          {
            path: ["dataverse"],
            message: "Raynet syncs Outlook through Microsoft Graph and has no Dataverse part: remove dataverse",
          },
        ]
      : [],
  fields: (ctx) => ({
    "Directory (tenant) ID": ctx.tenantId,
    "Application (client) ID": ctx.clientId,
    "Client secret": ctx.clientSecret,
  }),
  secretFields: ["Client secret"],
  clientSecretFields: ["Client secret"],
  // The Czech portal labels the page uses (step 6 and 7).
  screenLabels: {
    "Directory (tenant) ID": "ID adresáře (tenanta)",
    "Application (client) ID": "ID aplikace (klienta)",
    "Client secret": "Tajný kód klienta",
  },
  // The page ends once the Microsoft side is ready (step 8); Raynet's own sync-server screen is not described there.
  nextSteps: () => [
    "Set up Raynet's Outlook synchronization server (page step 8) with the three values below.",
    'Enter settings."Directory (tenant) ID" where Raynet asks for the directory (tenant) ID.',
    'Enter settings."Application (client) ID" where Raynet asks for the application (client) ID.',
    'Enter settings."Client secret" where Raynet asks for the client secret, and save.',
  ],
};
