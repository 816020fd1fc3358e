import { z } from "zod";
import type { VendorProfile } from "../profile";

const settings = z.strictObject({
  /** Your Bright Pattern tenant name: `<tenant>.brightpattern.com`. */
  tenant: z.string({ error: "is required: your Bright Pattern tenant name, as in <tenant>.brightpattern.com" })
    .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i, { error: "must be a host label such as contoso (from contoso.brightpattern.com)" }),
});

/**
 * Bright Pattern, Microsoft Dynamics 365 integration account (setup page: shared/seeds/001).
 * Bright Pattern signs users in (authorization code, v1 endpoints) and calls the Web API v9.0 on their behalf:
 * delegated Dynamics CRM user_impersonation with admin consent, reply URL on the tenant's admin site.
 * Integration account properties: Authorization URL, Token URL, API URL, Client ID, Client Secret.
 * Bright Pattern rejects client secrets that contain "+".
 */
export const brightPattern: VendorProfile<z.output<typeof settings>> = {
  key: "bright-pattern",
  title: "Bright Pattern (Microsoft Dynamics 365 integration account)",
  settings,
  defaults: (s) => ({
    permissions: ["Dynamics CRM: user_impersonation (delegated)"],
    grantAdminConsent: true,
    redirectUris: { web: [`https://${s.tenant.toLowerCase()}.brightpattern.com/admin/msdynamicscallback.html`] },
    dataverse: { applicationUser: false },
  }),
  fields: (ctx) => ({
    "Authorization URL": ctx.endpoints.authorizeUrlV1,
    "Token URL": ctx.endpoints.tokenUrlV1,
    "API URL": `${ctx.endpoints.organizationUrl}/api/data/v9.0`,
    "Client ID": ctx.clientId,
    "Client Secret": ctx.clientSecret,
  }),
  secretFields: ["Client Secret"],
  forbiddenSecretCharacters: ["+"],
};
