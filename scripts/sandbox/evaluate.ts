import * as pulumi from "@pulumi/pulumi";
import { MockCloud, type PlannedResource } from "./mockCloud";
import { resolveDeep } from "./resolve";
import { loadStackConfig } from "./stackFiles";

export const PROJECT = "crm-sync";

export interface Plan {
  stack: string;
  resources: PlannedResource[];
  /** Stack outputs with secrets as `Secret`. */
  outputs: Record<string, unknown>;
  /** Labels for fake ids (object ids of apps and service principals). */
  labels: Map<string, string>;
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
}

/**
 * Runs the real program for a stack under Pulumi's mock runtime and returns what `pulumi up`
 * would register. Invalid stack config throws the same ConfigError a preview shows.
 */
export async function evaluateStack(stack: string, options: EvaluateOptions = {}): Promise<Plan> {
  const config = options.config ?? loadStackConfig(stack, options.stacksDir);
  const cloud = new MockCloud(options.secretValues);
  await pulumi.runtime.setMocks(cloud, PROJECT, stack, false);
  pulumi.runtime.setAllConfig(config);
  return asProgramHost(async () => {
    // Loaded only after the mocks are in place, as Pulumi's testing guide requires.
    const { defineStack, readRawConfig }: typeof import("../../components/stack") = require("../../components/stack");
    const { parseStackConfig }: typeof import("../../components/config") = require("../../components/config");
    const outputs = defineStack(parseStackConfig(readRawConfig()), options.now);
    const resolved = (await resolveDeep(outputs)) as Record<string, unknown>;
    await pulumi.runtime.disconnect();
    return { stack, resources: cloud.resources, outputs: resolved, labels: cloud.labels };
  });
}

/**
 * Runs the program the way Pulumi's language host does: a rejection nobody awaited (an Output whose apply
 * threw, seen through several derived Outputs) is a program error, reported once as the run's failure.
 */
async function asProgramHost<T>(run: () => Promise<T>): Promise<T> {
  const captured: unknown[] = [];
  const previous = process.listeners("unhandledRejection");
  const collect = (reason: unknown) => { captured.push(reason); };
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", collect);
  try {
    const result = await run();
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (captured.length) throw captured[0];
    return result;
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 0));
    process.removeListener("unhandledRejection", collect);
    for (const listener of previous) process.on("unhandledRejection", listener);
  }
}
