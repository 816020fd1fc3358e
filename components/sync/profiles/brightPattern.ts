import { z } from "zod";
import type { VendorProfile } from "../profile";

const HOST = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** The whole host of the instance, from a host (`contoso.brightpattern.com`) or its admin URL (`https://.../admin/`). */
const instanceHost = z
  .string({
    error:
      "is required: the whole host of your Bright Pattern instance, e.g. contoso.brightpattern.com, or its admin URL",
  })
  .transform((text, ctx) => {
    const trimmed = text.trim();
    let host = trimmed;
    if (/^https?:\/\//i.test(trimmed)) {
      try {
        const url = new URL(trimmed);
        if (url.protocol !== "https:")
          ctx.addIssue({ code: "custom", message: `must be an https:// URL, got "${text}"` });
        host = url.hostname;
      } catch {
        ctx.addIssue({ code: "custom", message: `is not a URL: "${text}"` });
        return z.NEVER;
      }
    }
    if (!HOST.test(host)) {
      ctx.addIssue({
        code: "custom",
        message: `must be the instance's whole host, e.g. contoso.brightpattern.com (the guide's <tenant> in https://<tenant>/admin/), got "${text}"`,
      });
      return z.NEVER;
    }
    return host.toLowerCase();
  });

const settings = z.strictObject({
  /** The whole host of your Bright Pattern instance (the guide's `<tenant>`), or its admin URL. */
  tenant: instanceHost,
});

/**
 * Bright Pattern, Microsoft Dynamics 365 integration account (setup page
 * "Reference: How to Add an Integration Account", https://help.brightpattern.com/5.19:Microsoft-dynamics-365-integration-guide/Configuration/AddIntegrationAccount).
 * Bright Pattern signs users in (authorization code, v1 endpoints) and calls the Web API v9.0 on their behalf:
 * delegated Dynamics CRM user_impersonation with admin consent, reply URL https://<tenant>/admin/msdynamicscallback.html
 * on the instance's host. Microsoft Graph User.Read (delegated) is what a portal-created app carries for sign-in; the v1
 * token endpoint returns refresh tokens without offline_access (that scope belongs to the v2 endpoints:
 * learn.microsoft.com/entra/identity-platform/scopes-oidc), so it is not requested.
 * Integration account properties: Authorization URL, Token URL, API URL, Client ID, Client Secret.
 * Bright Pattern rejects client secrets that contain "+".
 */
export const brightPattern: VendorProfile<z.output<typeof settings>> = {
  key: "bright-pattern",
  title: "Bright Pattern (Microsoft Dynamics 365 integration account)",
  settings,
  defaults: (s) => ({
    permissions: ["Dynamics CRM: user_impersonation (delegated)", "Microsoft Graph: User.Read (delegated)"],
    grantAdminConsent: true,
    redirectUris: { web: [`https://${s.tenant}/admin/msdynamicscallback.html`] },
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
  clientSecretFields: ["Client Secret"],
  forbiddenSecretCharacters: ["+"],
  nextSteps: (s) => [
    `In Contact Center Administrator (https://${s.tenant}/admin/) open Integration Accounts and add an account of type Microsoft Dynamics 365.`,
    "Enter a Name, and tick Default account if this is the default.",
    'Paste settings."Authorization URL" into Authorization URL.',
    'Paste settings."Token URL" into Token URL.',
    'Paste settings."API URL" into API URL.',
    'Paste settings."Client ID" into Client ID.',
    'Paste settings."Client Secret" into Client Secret.',
    "Click Refresh token and sign in with a Dynamics 365 account (admin consent is already granted).",
    "Click Test connection, then Apply.",
  ],
};
