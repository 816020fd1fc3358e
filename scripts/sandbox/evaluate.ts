import * as pulumi from "@pulumi/pulumi";
import { ProviderRuleError, validateInvoke, validateResources } from "../../components/validation/providerRules";
import {
  MockCloud,
  type CreatedResource,
  type GeneratedRole,
  type PlannedInvoke,
  type PlannedResource,
} from "./mockCloud";
import { resolveDeep, revealSecrets } from "./resolve";
import { loadStackConfig } from "./stackFiles";

export const PROJECT = "crm-sync";

export interface Plan {
  stack: string;
  resources: PlannedResource[];
  /** Provider functions (data sources) the program called. */
  invokes: PlannedInvoke[];
  /** Stack outputs with secrets as `Secret`. */
  outputs: Record<string, unknown>;
  /** Labels for fake ids (object ids of apps and service principals). */
  labels: Map<string, string>;
  /** The generated security roles, by the role id the program saw (a placeholder unless the run created them). */
  generatedRoles?: Map<string, GeneratedRole>;
}

export interface EvaluateOptions {
  /** Folder with Pulumi.<stack>.yaml files; default the project's stacks/. */
  stacksDir?: string;
  /** Config to use instead of reading the stack file (`namespace:key -> text`). */
  config?: Record<string, string>;
  /** Clock for secret end dates. */
  now?: () => Date;
  /** Client secret values to hand out, by ApplicationPassword resource name (default: generated). */
  secretValues?: Record<string, string>;
  /** Creation moments of secrets already in state, by `time.Static` resource name (a later run of a stack). */
  createdAt?: Record<string, string>;
  /** Tenant the simulated azuread provider says it is signed in to (default: the one it is configured with). */
  signedInTenantId?: string;
  /** The simulated cloud to record into (tests read what was registered even when the run fails). */
  cloud?: MockCloud;
  /** Dataverse resources a run really created: the program sees their real ids and outputs, as after `pulumi up`. */
  created?: CreatedResource[];
  /** Skip the provider-rule check of the registered inputs (only for tests that inspect a rejected plan). */
  skipProviderRules?: boolean;
}

/**
 * Runs the real program for a stack under Pulumi's mock runtime and returns what `pulumi up`
 * would register. Invalid stack config throws the same ConfigError a preview shows.
 */
export async function evaluateStack(stack: string, options: EvaluateOptions = {}): Promise<Plan> {
  const config = options.config ?? loadStackConfig(stack, options.stacksDir);
  const cloud =
    options.cloud ??
    new MockCloud({
      secretValues: options.secretValues,
      signedInTenantId: options.signedInTenantId,
      now: options.now,
      createdAt: options.createdAt,
      importedClientIds: importedClientIds(config),
      created: options.created,
    });
  await pulumi.runtime.setMocks(cloud, PROJECT, stack, false);
  pulumi.runtime.setAllConfig(config);
  return asProgramHost(async () => {
    // Loaded only after the mocks are in place, as Pulumi's testing guide requires.
    /* eslint-disable @typescript-eslint/no-require-imports -- a static import would load them before the mocks */
    const { defineStack }: typeof import("../../components/stack") = require("../../components/stack");
    const { parseRuntimeConfig }: typeof import("../../components/config") = require("../../components/config");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const outputs = defineStack(parseRuntimeConfig(pulumi.runtime.allConfig(), options.now?.()), options.now);
    const resolved = (await resolveDeep(outputs)) as Record<string, unknown>;
    await pulumi.runtime.disconnect();
    const plan = {
      stack,
      resources: cloud.resources,
      invokes: cloud.invokes,
      outputs: resolved,
      labels: cloud.labels,
      generatedRoles: cloud.generatedRoles,
    };
    if (!options.skipProviderRules) assertProviderRules(plan, options.now?.() ?? new Date());
    return plan;
  });
}

/** Client ids of the app registrations a stack adopts (`existing:`), by object id: an import keeps both ids. */
function importedClientIds(config: Record<string, string>): Record<string, string> {
  let integrations: unknown;
  try {
    integrations = JSON.parse(config["crm-sync:integrations"] ?? "[]");
  } catch {
    return {};
  }
  if (!Array.isArray(integrations)) return {};
  const pairs = integrations
    .map((i) =>
      i && typeof i === "object"
        ? (i as { existing?: { applicationObjectId?: unknown; clientId?: unknown } }).existing
        : undefined,
    )
    .filter((e) => typeof e?.applicationObjectId === "string" && typeof e?.clientId === "string")
    .map((e) => [String(e!.applicationObjectId).toLowerCase(), String(e!.clientId).toLowerCase()]);
  return Object.fromEntries(pairs);
}

/**
 * Fails the run, as `pulumi preview` would, when a registered resource or a lookup has an input the real provider
 * rejects (the rules of components/validation/providerSchema.json and providerRules.ts).
 */
export function assertProviderRules(plan: Pick<Plan, "resources" | "invokes">, now: Date): void {
  const resources = plan.resources
    .filter((r) => !r.component)
    .map((r) => ({ type: r.type, name: r.name, inputs: revealSecrets(r.inputs) as Record<string, unknown> }));
  const violations = [
    ...validateResources(resources, { now }),
    ...plan.invokes.flatMap((i) => validateInvoke(i.token, i.inputs)),
  ];
  if (violations.length) throw new ProviderRuleError(violations);
}

/**
 * Runs the program the way Pulumi's language host does: a rejection nobody awaited (an Output whose apply
 * threw, seen through several derived Outputs) is a program error, reported once as the run's failure, even
 * while Outputs that depend on it never settle (a resource whose input failed is never registered).
 */
async function asProgramHost<T>(run: () => Promise<T>): Promise<T> {
  const captured: unknown[] = [];
  const previous = process.listeners("unhandledRejection");
  let failRun: (reason: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    failRun = reject;
  });
  const collect = (reason: unknown) => {
    captured.push(reason);
    failRun(reason);
  };
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", collect);
  try {
    const result = await Promise.race([run(), failed]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (captured.length) throw captured[0];
    return result;
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 0));
    process.removeListener("unhandledRejection", collect);
    for (const listener of previous) process.on("unhandledRejection", listener);
  }
}
