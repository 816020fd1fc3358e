import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { VendorProfile } from "../profile";
import { redirectUriProblem } from "../../entra/redirectUris";

/** The connector's default CallbackURL. */
export const CDATA_DEFAULT_CALLBACK = "http://localhost:33333";

const settings = z.strictObject({
  /** `AzureAD`: delegated, a user signs in. `AzureServicePrincipal`: the application user, no user context. */
  authScheme: z.enum(["AzureAD", "AzureServicePrincipal"], { error: "must be AzureAD (delegated) or AzureServicePrincipal (application user)" }),
  /** CallbackURL connection property; default http://localhost:33333. */
  callbackUrl: z.string().superRefine((uri, ctx) => {
    const problem = redirectUriProblem(uri);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }).default(CDATA_DEFAULT_CALLBACK),
});

type Settings = z.output<typeof settings>;

/**
 * CData / Gathr Dynamics CRM connector (setup page: shared/seeds/003).
 * - AzureAD: delegated Dynamics CRM user_impersonation, redirect URI = CallbackURL.
 * - AzureServicePrincipal: application user with business unit and security roles (required).
 * Connection properties: URL, CRMVersion=CRMOnline, AzureTenant, OAuthClientId, OAuthClientSecret, CallbackURL,
 * AuthScheme, InitiateOAuth=GETANDREFRESH; plus the same as one connection string.
 */
export const cdata: VendorProfile<Settings> = {
  key: "cdata",
  title: "CData / Gathr (Dynamics CRM connection)",
  settings,
  defaults: (s) => s.authScheme === "AzureAD"
    ? {
      permissions: ["Dynamics CRM: user_impersonation (delegated)"],
      grantAdminConsent: true,
      redirectUris: { web: [s.callbackUrl] },
      dataverse: { applicationUser: false },
    }
    : {
      permissions: [],
      redirectUris: { web: [s.callbackUrl] },
      dataverse: { applicationUser: true },
    },
  problems: (integration, s) =>
    s.authScheme === "AzureServicePrincipal" && (integration.dataverse?.securityRoles.length ?? 0) === 0
      ? [{ path: ["dataverse", "securityRoles"], message: "AuthScheme=AzureServicePrincipal needs security roles for the application user: list at least one" }]
      : [],
  fields: (ctx, s) => {
    const properties = {
      URL: `${ctx.endpoints.organizationUrl}/`,
      CRMVersion: "CRMOnline",
      AuthScheme: s.authScheme,
      AzureTenant: ctx.tenantId,
      OAuthClientId: ctx.clientId,
      OAuthClientSecret: ctx.clientSecret,
      CallbackURL: s.callbackUrl,
      InitiateOAuth: "GETANDREFRESH",
    };
    const connectionString = pulumi.secret(pulumi.all(properties).apply((p) =>
      Object.entries(p).map(([k, v]) => `${k}=${v}`).join(";")));
    return { ...properties, ConnectionString: connectionString };
  },
  secretFields: ["OAuthClientSecret", "ConnectionString"],
};
