import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { ConfigError, dataverseHostProblem, FIELD_SCHEMAS, parseStackConfig, type IntegrationConfig } from "../config";
import type { SyncIntegrationArgs } from "../syncIntegrationArgs";

/** What SyncIntegration builds from: the validated integration and the values it may receive as Outputs. */
export interface ResolvedIntegration {
  integration: IntegrationConfig;
  tenantId: pulumi.Input<string>;
  dataverseUrl?: pulumi.Input<string>;
  businessUnitId?: pulumi.Input<string>;
  keyVault?: {
    subscriptionId: pulumi.Input<string>;
    resourceGroupName: pulumi.Input<string>;
    vaultName: pulumi.Input<string>;
    secretsInOutputs: boolean;
  };
  verifiedTenantId?: pulumi.Input<string>;
  now?: () => Date;
}

/** Thrown at construction: every problem of the args, each naming its field. */
export class SyncIntegrationArgsError extends ConfigError {
  constructor(
    readonly component: string,
    problems: string[],
  ) {
    super(problems);
    this.name = "SyncIntegrationArgsError";
    this.message = `invalid SyncIntegration "${component}" args:\n${problems.map((p) => `  - ${p}`).join("\n")}`;
  }
}

const isDeferred = (v: unknown) => pulumi.Output.isInstance(v) || v instanceof Promise;
/** Stand-ins that pass the schema while the real value is an Output; the real one is checked when known. */
const PLACEHOLDER = { guid: "00000000-0000-0000-0000-000000000000", name: "output-pending" };

/** The stack-config paths the schema reports, in the component's own terms. */
function componentTerms(problem: string, name: string): string {
  return problem
    .replace(/crm-sync:integrations\[0\]\.name\b/g, `name ("${name}", the component's name)`)
    .replace(/crm-sync:integrations\[0\]\.?/g, "")
    .replace(/crm-sync:dataverseEnvironments(\.\w+)?/g, "dataverse.environmentUrl")
    .replace(/crm-sync:dataverseHostSuffixes/g, "dataverse.hostSuffixes")
    .replace(/crm-sync:/g, "");
}

const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function messageOf(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ` : "") + i.message).join("; ");
}

/** A deferred value, checked by `schema` once known: a bad one fails the deployment with the field's name. */
function checkedWhenKnown(
  component: string,
  field: string,
  value: pulumi.Input<string>,
  check: (v: string) => string,
): pulumi.Output<string> {
  return pulumi.output(value).apply((known) => {
    try {
      return check(known);
    } catch (err) {
      throw new SyncIntegrationArgsError(component, [`${field}: ${(err as Error).message}`]);
    }
  });
}

const bySchema = (schema: z.ZodType<string, string>) => (value: string) => {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(messageOf(result.error));
  return result.data;
};

/**
 * Validates a SyncIntegration's args with the YAML stack's schema (profile merge included): plain values now,
 * Output values once known. Throws SyncIntegrationArgsError naming every bad field.
 */
export function resolveArgs(name: string, args: SyncIntegrationArgs): ResolvedIntegration {
  const dv = args.dataverse;
  const vault = args.keyVault;
  const plain = (value: unknown, placeholder: string) => (isDeferred(value) ? placeholder : value);
  const suffixes = dv?.hostSuffixes ?? [".dynamics.com"];
  const raw = defined({
    tenantId: plain(args.tenantId, PLACEHOLDER.guid),
    dataverseHostSuffixes: dv?.hostSuffixes,
    dataverseEnvironments: dv
      ? { environment: plain(dv.environmentUrl, `https://${PLACEHOLDER.name}${suffixes[0] ?? ".dynamics.com"}`) }
      : {},
    keyVault:
      vault &&
      defined({
        subscriptionId: plain(vault.subscriptionId, PLACEHOLDER.guid),
        resourceGroupName: plain(vault.resourceGroupName, PLACEHOLDER.name),
        vaultName: plain(vault.vaultName, PLACEHOLDER.name),
        secretsInOutputs: vault.secretsInOutputs,
      }),
    integrations: [
      defined({
        name,
        profile: args.profile,
        vendor: args.vendor,
        displayName: args.displayName,
        signInAudience: args.signInAudience,
        permissions: args.permissions,
        redirectUris: args.redirectUris,
        replaceProfileDefaults: args.replaceProfileDefaults,
        secret: args.secret,
        grantAdminConsent: args.grantAdminConsent,
        dataverse:
          dv &&
          defined({
            applicationUser: dv.applicationUser,
            businessUnitId: isDeferred(dv.businessUnitId) ? undefined : dv.businessUnitId,
            securityRoles: dv.securityRoles,
            access: dv.access,
            changeTracking: dv.changeTracking,
          }),
      }),
    ],
  });
  let config;
  try {
    config = parseStackConfig(raw, args.now?.() ?? new Date());
  } catch (err) {
    if (err instanceof ConfigError)
      throw new SyncIntegrationArgsError(
        name,
        err.problems.map((p) => componentTerms(p, name)),
      );
    throw err;
  }
  const integration = config.integrations[0]!;
  const known = (value: unknown, validated: string | undefined, field: string, check: (v: string) => string) =>
    isDeferred(value) ? checkedWhenKnown(name, field, value as pulumi.Input<string>, check) : validated;
  const guid = bySchema(FIELD_SCHEMAS.guid);
  const url = (value: string) => {
    const normalized = bySchema(FIELD_SCHEMAS.environmentUrl)(value);
    const problem = dataverseHostProblem(normalized, config.dataverseHostSuffixes);
    if (problem) throw new Error(problem);
    return normalized;
  };
  return {
    integration,
    tenantId: known(args.tenantId, config.tenantId, "tenantId", guid)!,
    ...(dv
      ? {
          dataverseUrl: known(
            dv.environmentUrl,
            config.dataverseEnvironments.environment,
            "dataverse.environmentUrl",
            url,
          ),
        }
      : {}),
    ...(dv?.businessUnitId !== undefined
      ? {
          businessUnitId: known(
            dv.businessUnitId,
            integration.dataverse?.businessUnitId,
            "dataverse.businessUnitId",
            guid,
          ),
        }
      : {}),
    ...(vault && config.keyVault
      ? {
          keyVault: {
            subscriptionId: known(
              vault.subscriptionId,
              config.keyVault.subscriptionId,
              "keyVault.subscriptionId",
              bySchema(FIELD_SCHEMAS.keyVault.subscriptionId),
            )!,
            resourceGroupName: known(
              vault.resourceGroupName,
              config.keyVault.resourceGroupName,
              "keyVault.resourceGroupName",
              bySchema(FIELD_SCHEMAS.keyVault.resourceGroupName),
            )!,
            vaultName: known(
              vault.vaultName,
              config.keyVault.vaultName,
              "keyVault.vaultName",
              bySchema(FIELD_SCHEMAS.keyVault.vaultName),
            )!,
            secretsInOutputs: config.keyVault.secretsInOutputs,
          },
        }
      : {}),
    ...(args.now ? { now: args.now } : {}),
  };
}
