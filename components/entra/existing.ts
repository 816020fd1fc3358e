import { z } from "zod";
import { GUID_PATTERN } from "../dataverse/inputs";

/**
 * `existing:` of an integration: the hand-made objects this stack takes over instead of creating new ones
 * (written by `npm run adopt`). Entra objects are imported with Pulumi's `import` option, using the azuread import
 * ids (pulumi-azuread SDK docs, "## Import"): `/applications/<objectId>`, `/servicePrincipals/<objectId>`,
 * `/servicePrincipals/<resourceSpId>/appRoleAssignedTo/<id>`, `/oauth2PermissionGrants/<id>`.
 * The vendor's current client secret cannot be imported (azuread ApplicationPassword "does not support importing",
 * hashicorp/terraform-provider-azuread#1934): it is recorded by key id and end date and never touched.
 */
const guid = z
  .string({ error: "must be a GUID" })
  .regex(GUID_PATTERN, { error: "must be a GUID like 00000000-0000-0000-0000-000000000000" })
  .transform((s) => s.toLowerCase());
const instant = z
  .string({ error: "must be an ISO 8601 time such as 2026-11-22T10:00:00Z" })
  .refine((v) => /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)), {
    error: "must be an ISO 8601 time such as 2026-11-22T10:00:00Z",
  });

export const APP_ROLE_ASSIGNMENT_IMPORT =
  /^\/servicePrincipals\/[0-9a-f-]{36}\/appRoleAssignedTo\/[A-Za-z0-9_-]{20,}$/i;
const GRANT_ID = /^[A-Za-z0-9_-]{20,}$/;

const vendorSecret = z.strictObject({
  /** keyId of the password credential the vendor holds now (GET /applications/{id}?$select=passwordCredentials). */
  keyId: guid,
  /** Its endDateTime, as Entra reports it. */
  endDate: instant,
  /** Its display name in Entra, for reports only. */
  displayName: z.string().max(256).optional(),
  /**
   * Ask the program to remove this unmanaged secret. Only honoured after a managed secret has been handed over
   * (secret.handedOver): the vendor's secret is never removed while it may still be the one in use.
   */
  remove: z.boolean({ error: "must be true or false" }).default(false),
});

export const existingSchema = z.strictObject({
  /** Object id of the app registration (the import id is /applications/<objectId>). */
  applicationObjectId: guid.optional(),
  /** Application (client) id of the app registration; checked against the imported app. */
  clientId: guid.optional(),
  /** Object id of the app's service principal (Enterprise application). */
  servicePrincipalObjectId: guid.optional(),
  /** systemuserid of the Dataverse application user; adopted as it is (found by the app's client id). */
  applicationUserId: guid.optional(),
  /** The client secret the vendor holds now. */
  vendorSecret: vendorSecret.optional(),
  /** Admin consent already granted, by permission name: the azuread import id of each app role assignment. */
  appRoleAssignments: z
    .record(
      z.string(),
      z.string().regex(APP_ROLE_ASSIGNMENT_IMPORT, {
        error: "must be an import id /servicePrincipals/<resourceSpObjectId>/appRoleAssignedTo/<assignmentId>",
      }),
    )
    .default({}),
  /** Tenant-wide delegated grants already made, by API name (e.g. Dynamics CRM): the oauth2PermissionGrant id. */
  delegatedGrants: z
    .record(z.string(), z.string().regex(GRANT_ID, { error: "must be an oauth2PermissionGrant id" }))
    .default({}),
});

export type ExistingConfig = z.output<typeof existingSchema>;
export const EXISTING_KEYS = Object.keys(existingSchema.shape);
export const VENDOR_SECRET_KEYS = Object.keys(vendorSecret.shape);

export const applicationImportId = (objectId: string) => `/applications/${objectId}`;
export const servicePrincipalImportId = (objectId: string) => `/servicePrincipals/${objectId}`;
export const appRoleAssignmentImportId = (resourceSpId: string, id: string) =>
  `/servicePrincipals/${resourceSpId}/appRoleAssignedTo/${id}`;
export const delegatedGrantImportId = (id: string) => `/oauth2PermissionGrants/${id}`;

/** What an `existing:` block cannot mean, with the path below the integration. */
export function existingProblems(
  existing: ExistingConfig,
  permissionLabels: string[],
  apiNames: string[],
  handedOver: boolean,
): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  if (!existing.applicationObjectId) {
    out.push({
      path: ["existing", "applicationObjectId"],
      message: existing.clientId
        ? `is required to take over app ${existing.clientId}: the import id is /applications/<objectId>; \`npm run adopt -- --tenant <id> --client-id ${existing.clientId} ...\` reads it`
        : "is required: the object id of the app registration to take over (npm run adopt reads it)",
    });
  }
  if (!existing.servicePrincipalObjectId) {
    out.push({
      path: ["existing", "servicePrincipalObjectId"],
      message:
        "is required: the object id of the app's service principal (Enterprise application); npm run adopt reads it",
    });
  }
  if (existing.vendorSecret?.remove && !handedOver) {
    out.push({
      path: ["existing", "vendorSecret", "remove"],
      message:
        "asks to remove the vendor's secret, but no managed secret has been handed over yet (secret.handedOver): hand one over first (npm run -s rotate-secret, then record-handover), or the vendor is left without a secret",
    });
  }
  for (const label of Object.keys(existing.appRoleAssignments)) {
    if (!permissionLabels.includes(label))
      out.push({
        path: ["existing", "appRoleAssignments", label],
        message: `is not an application permission of this integration (permissions: ${permissionLabels.join(", ") || "none"})`,
      });
  }
  for (const api of Object.keys(existing.delegatedGrants)) {
    if (!apiNames.includes(api))
      out.push({
        path: ["existing", "delegatedGrants", api],
        message: `is not an API this integration has delegated permissions on (${apiNames.join(", ") || "none"})`,
      });
  }
  return out;
}
