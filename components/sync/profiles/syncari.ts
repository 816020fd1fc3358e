import { z } from "zod";
import type { VendorProfile } from "../profile";
import { redirectUriProblem, registeredRedirectUri } from "../../entra/redirectUris";

const settings = z.strictObject({
  /**
   * The OAuth Redirect URL Syncari generates in Synapse setup step 3 (after it has the Client ID and Secret).
   * Leave it out for the first `pulumi up`, then add it and run `pulumi up` again.
   */
  oauthRedirectUrl: z
    .string()
    .superRefine((uri, ctx) => {
      const problem = redirectUriProblem(uri, "web");
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .transform((uri) => registeredRedirectUri(uri, "web"))
    .optional(),
});

/**
 * Syncari, MS Dynamics 365 Synapse (setup page "MS Dynamics 365 Setup",
 * https://support.syncari.com/hc/en-us/articles/360056301891-MS-Dynamics-365-Setup).
 * - Single-tenant app "Syncari Integration"; application user with its Application ID.
 * - API permission Dynamics CRM user_impersonation; client secret; Web platform redirect = Syncari's OAuth Redirect URL,
 *   which Syncari generates in Synapse step 3 after it has the Client ID and Secret: a second `pulumi up` adds it.
 * - Microsoft Graph User.Read (delegated; what a portal-created app carries for sign-in) and offline_access (refresh
 *   tokens on the v2 endpoints, learn.microsoft.com/entra/identity-platform/scopes-oidc): Syncari keeps syncing after
 *   the interactive "Authenticate", which needs a refresh token.
 * - Change tracking on every synced table (default account, contact, lead) so Syncari sees deletions.
 * - Admin consent avoids the "Unauthorized" error the page warns about.
 * Synapse parameters: Dynamics CRM Organization URL, Endpoint URL (the tenant's login endpoint), Client ID, Client Secret.
 */
export const syncari: VendorProfile<z.output<typeof settings>> = {
  key: "syncari",
  title: "Syncari (MS Dynamics 365 Synapse)",
  settings,
  defaults: (s) => ({
    signInAudience: "AzureADMyOrg",
    permissions: [
      "Dynamics CRM: user_impersonation (delegated)",
      "Microsoft Graph: User.Read (delegated)",
      "Microsoft Graph: offline_access (delegated)",
    ],
    grantAdminConsent: true,
    redirectUris: { web: s.oauthRedirectUrl ? [s.oauthRedirectUrl] : [] },
    // Syncari reads and writes the synced tables (it replicates and maps both ways); change-tracked tables need
    // organization-wide read for RetrieveEntityChanges (https://learn.microsoft.com/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems), which the generated role adds anyway.
    dataverse: {
      applicationUser: true,
      changeTracking: ["account", "contact", "lead"],
      access: Object.fromEntries(
        ["account", "contact", "lead"].map((t) => [
          t,
          { operations: ["read", "create", "write", "append", "appendTo"], depth: "organization" },
        ]),
      ),
    },
  }),
  fields: (ctx) => ({
    "Dynamics CRM Organization URL": ctx.endpoints.organizationUrl!,
    "Endpoint URL": ctx.endpoints.authorityUrl,
    "Client ID": ctx.clientId,
    "Client Secret": ctx.clientSecret,
  }),
  secretFields: ["Client Secret"],
  clientSecretFields: ["Client Secret"],
  nextSteps: (s) => [
    "In Syncari open Synapses, find MS Dynamics 365 in the Synapse Library and drag it to the canvas.",
    'Enter a Synapse Name; paste settings."Endpoint URL" into Endpoint URL and settings."Dynamics CRM Organization URL" into Dynamics CRM Organization URL; click Next.',
    'Paste settings."Client ID" into Client ID and settings."Client Secret" into Client Secret.',
    ...(s.oauthRedirectUrl
      ? [
          `Click Generate: Syncari shows the OAuth Redirect URL; it must be ${s.oauthRedirectUrl} (registered). Click Next.`,
        ]
      : [
          "Click Generate and copy the OAuth Redirect URL; put it into vendor.oauthRedirectUrl of this integration and run `pulumi up` again (it registers the redirect). Then click Next.",
        ]),
    'Click Authenticate and sign in (admin consent is already granted, so no "Unauthorized").',
    "Click Next, Make Synapse Active, Close.",
  ],
};
