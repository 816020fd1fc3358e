import * as pulumi from "@pulumi/pulumi";
import { providerStub } from "./providerStub";
import { trackingStates } from "./changeTrackingApi";
import {
  checkChangeTracking,
  diffChangeTracking,
  type ChangeTrackingInputs,
  type ChangeTrackingState,
} from "./changeTrackingPlan";
import { enableInWave } from "./changeTrackingWave";
import { providerContext, type ProviderOptions } from "./http/client";

const IRREVERSIBLE = "Dataverse cannot turn change tracking off";

export function makeChangeTrackingProvider(options: ProviderOptions = {}): pulumi.dynamic.ResourceProvider {
  const { log, clientFor } = providerContext(options);
  const warn = (line: string) => log(`warning: ${line}`);

  /**
   * Reads the tables' full definitions (they carry the tracking flags) in parallel batches, writes back those still
   * off in one batch, then ONE PublishXml: three sequential stages for any number of tables; one, and nothing
   * written, when all are on. Resources of one environment that run at the same time share these (see enableInWave).
   */
  async function enable(inputs: ChangeTrackingInputs, retained: string[]): Promise<ChangeTrackingState> {
    await enableInWave(clientFor(inputs.environmentUrl), inputs.entities, log);
    return { ...inputs, enabledEntities: [...inputs.entities], retainedEntities: retained };
  }

  return {
    async check(_olds, news) {
      return checkChangeTracking(news);
    },

    async diff(_id, olds: ChangeTrackingState, news: ChangeTrackingInputs) {
      return diffChangeTracking(olds, news);
    },

    async create(inputs: ChangeTrackingInputs) {
      const outs = await enable(inputs, []);
      return { id: `${inputs.environmentUrl}|changetracking`, outs };
    },

    async read(id, props: ChangeTrackingState) {
      const rows = await trackingStates(clientFor(props.environmentUrl), props.entities);
      const on = new Set(rows.filter((r) => r.ChangeTrackingEnabled).map((r) => r.LogicalName.toLowerCase()));
      return { id, props: { ...props, enabledEntities: props.entities.filter((e) => on.has(e)) } };
    },

    async update(_id, olds: ChangeTrackingState, news: ChangeTrackingInputs) {
      const dropped = (olds.entities ?? []).filter((e) => !news.entities.includes(e));
      if (dropped.length) warn(`${dropped.join(", ")} left the list but stay change-tracked: ${IRREVERSIBLE}`);
      const retained = [...new Set([...(olds.retainedEntities ?? []), ...dropped])].filter(
        (e) => !news.entities.includes(e),
      );
      return { outs: await enable(news, retained) };
    },

    async delete(_id, props: ChangeTrackingState) {
      warn(`change tracking stays on for ${props.entities.join(", ")} in ${props.environmentUrl}: ${IRREVERSIBLE}`);
    },
  };
}

/** The implementation, as the provider host loads it (reads token and settings from that process's environment). */
export const changeTrackingImplementation = makeChangeTrackingProvider();

/** The provider Pulumi serializes into state: a small stub that loads changeTrackingImplementation in the provider host. */
export const changeTrackingProvider = providerStub("changeTracking");

export interface ChangeTrackingArgs {
  /** Dataverse environment root, e.g. `https://contoso.crm4.dynamics.com`. */
  environmentUrl: pulumi.Input<string>;
  /** Table logical names whose change tracking must be on, e.g. `["account", "contact"]`. */
  entities: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * Turns change tracking on for Dataverse tables (needed by sync tools to see deletions and deltas).
 * It cannot be turned off again: removing a table or deleting the resource changes nothing in Dataverse.
 */
export class ChangeTracking extends pulumi.dynamic.Resource {
  declare readonly enabledEntities: pulumi.Output<string[]>;
  declare readonly retainedEntities: pulumi.Output<string[]>;

  constructor(name: string, args: ChangeTrackingArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      changeTrackingProvider,
      name,
      { ...args, enabledEntities: undefined, retainedEntities: undefined },
      opts,
      "dataverse",
      "ChangeTracking",
    );
  }
}
