import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, parseStackConfig, type StackConfig } from "./config";
import { SyncIntegration } from "./syncIntegration";

/** Reads every `crm-sync:*` key of the current stack; object values arrive as JSON text. */
export function readRawConfig(): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(pulumi.runtime.allConfig())) {
    const [namespace, name] = key.split(":");
    if (namespace !== CONFIG_NAMESPACE || !name) continue;
    try {
      raw[name] = JSON.parse(text);
    } catch {
      raw[name] = text;
    }
  }
  return raw;
}

export interface StackOutputs {
  /** Per integration, keyed by its name; only secret fields are secret. */
  integrations: Record<string, Record<string, pulumi.Input<unknown>>>;
}

/** Builds every configured integration; returns the stack outputs. */
export function defineStack(config: StackConfig, now?: () => Date): StackOutputs {
  const integrations: StackOutputs["integrations"] = {};
  for (const integration of config.integrations) {
    integrations[integration.name] = new SyncIntegration(integration.name, { stack: config, integration, now }).outputs;
  }
  return { integrations };
}

/** The program `pulumi up` runs: validate the stack config (failing the preview on errors), then build. */
export function runStack(): StackOutputs {
  return defineStack(parseStackConfig(readRawConfig()));
}
