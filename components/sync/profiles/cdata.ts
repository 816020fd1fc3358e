import * as pulumi from "@pulumi/pulumi";
import { connectionString } from "../connectionString";
import { z } from "zod";
import type { VendorProfile } from "../profile";
import { redirectUriProblem, registeredRedirectUri } from "../../entra/redirectUris";

/** The connector's default CallbackURL. */
export const CDATA_DEFAULT_CALLBACK = "http://localhost:33333";

const settings = z.strictObject({
  /** `AzureAD`: delegated, a user signs in. `AzureServicePrincipal`: the application user, no user context. */
  authScheme: z.enum(["AzureAD", "AzureServicePrincipal"], {
    error: "must be AzureAD (delegated) or AzureServicePrincipal (application user)",
  }),
  /**
   * CallbackURL connection property (AzureAD only); default the connector's http://localhost:33333. Registered, and
   * handed to the connector, in the form the azuread provider accepts: http://localhost:33333/ (see registeredRedirectUri).
   */
  callbackUrl: z
    .string()
    .superRefine((uri, ctx) => {
      const problem = redirectUriProblem(uri, "web");
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .transform((uri) => registeredRedirectUri(uri, "web"))
    .optional(),
});

type Settings = z.output<typeof settings>;

/** The CallbackURL of the AzureAD scheme, as registered. */
const callbackOf = (s: Settings) => s.callbackUrl ?? registeredRedirectUri(CDATA_DEFAULT_CALLBACK, "web");

/**
 * CData / Gathr Dynamics CRM connector (setup page "Dynamics CRM Connection",
 * https://docs.gathr.one/gathr-saas/docs/components/dynamics_crm/dynamics_crm_connection/).
 * - AzureAD: delegated Dynamics CRM user_impersonation, redirect URI = CallbackURL.
 * - AzureServicePrincipal: application user with business unit and security roles (required); client credentials,
 *   so no redirect URI is registered and no CallbackURL is handed out.
 * Connection properties: URL, CRMVersion=CRMOnline, AzureTenant, OAuthClientId, OAuthClientSecret, CallbackURL (AzureAD),
 * AuthScheme, InitiateOAuth=GETANDREFRESH; plus the same as one connection string.
 */
export const cdata: VendorProfile<Settings> = {
  key: "cdata",
  title: "CData / Gathr (Dynamics CRM connection)",
  settings,
  defaults: (s) =>
    s.authScheme === "AzureAD"
      ? {
          // A user signs in once and the connector refreshes (InitiateOAuth=GETANDREFRESH): Graph User.Read for sign-in
          // (portal default) and offline_access for refresh tokens (learn.microsoft.com/entra/identity-platform/scopes-oidc).
          permissions: [
            "Dynamics CRM: user_impersonation (delegated)",
            "Microsoft Graph: User.Read (delegated)",
            "Microsoft Graph: offline_access (delegated)",
          ],
          grantAdminConsent: true,
          redirectUris: { web: [callbackOf(s)] },
          dataverse: { applicationUser: false },
        }
      : {
          permissions: [],
          dataverse: { applicationUser: true },
        },
  problems: (integration, s) => [
    ...(s.authScheme === "AzureServicePrincipal" &&
    (integration.dataverse?.securityRoles.length ?? 0) === 0 &&
    !integration.dataverse?.access
      ? [
          {
            path: ["dataverse", "securityRoles"],
            message:
              "AuthScheme=AzureServicePrincipal needs a role for the application user: declare dataverse.access for a generated least-privilege role, or list a role",
          },
        ]
      : []),
    ...(s.authScheme === "AzureServicePrincipal" && s.callbackUrl !== undefined
      ? [
          {
            path: ["vendor", "callbackUrl"],
            message:
              "AuthScheme=AzureServicePrincipal signs in with client credentials and uses no callback: remove callbackUrl",
          },
        ]
      : []),
  ],
  // Gathr's connection screen, by its labels (setup page above, "Connection Configuration").
  fields: (ctx) => ({
    "Client ID": ctx.clientId,
    "Client Secret": ctx.clientSecret,
    URL: `${ctx.endpoints.organizationUrl}/`,
    "CRM Version": "CRMOnline",
    AzureTenant: ctx.tenantId,
  }),
  // The same values as CData connection properties, plus one quoted connection string.
  connectionProperties: (ctx, s) => {
    const properties = {
      URL: `${ctx.endpoints.organizationUrl}/`,
      CRMVersion: "CRMOnline",
      AuthScheme: s.authScheme,
      AzureTenant: ctx.tenantId,
      OAuthClientId: ctx.clientId,
      OAuthClientSecret: ctx.clientSecret,
      ...(s.authScheme === "AzureAD" ? { CallbackURL: callbackOf(s) } : {}),
      InitiateOAuth: "GETANDREFRESH",
    };
    return { ...properties, ConnectionString: pulumi.secret(pulumi.all(properties).apply((p) => connectionString(p))) };
  },
  nextSteps: (s) => [
    "In Gathr create a Dynamics CRM connection and enter a Connection Name.",
    'Paste settings."Client ID" into Client ID and settings."Client Secret" into Client Secret.',
    'Paste settings.URL into URL, settings."CRM Version" into CRM Version and settings.AzureTenant into AzureTenant.',
    `Set AuthScheme=${s.authScheme} and the other connectionProperties (or paste connectionProperties.ConnectionString where a connection string is taken).`,
    ...(s.authScheme === "AzureAD"
      ? [
          `Sign in once when the connector opens the Microsoft sign-in (it returns to ${callbackOf(s)}); admin consent is already granted.`,
        ]
      : []),
    'Click TEST ("connection available"), then CREATE.',
  ],
  secretFields: ["Client Secret", "OAuthClientSecret", "ConnectionString"],
  clientSecretFields: ["Client Secret", "OAuthClientSecret"],
};
