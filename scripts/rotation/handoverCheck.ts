import { dataverseUrlFor, type IntegrationConfig, type StackConfig } from "../../components/config";
import { addMonthsUtc, MAX_SECRET_LIFETIME_MONTHS } from "../../components/entra/secretExpiry";
import type { IntegrationOutput } from "../sync/stackOutputs";
import { pulumiLine } from "../cli/commandLine";
import type { SecretOutput } from "./secretOutputs";

export interface HandoverInput {
  stack: string;
  name: string;
  config: StackConfig;
  integration: IntegrationConfig;
  outputs: IntegrationOutput;
  secrets: SecretOutput[];
  /** --rotation, or undefined for the newest. */
  rotation?: number;
  now: Date;
}

const same = (a: unknown, b: unknown) =>
  typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();

/** Outputs that belong to another stack, tenant, environment or app: refused before anything is recorded. */
function foreignOutputs({ stack, name, config, integration, outputs }: HandoverInput): string | undefined {
  const g = outputs.generic;
  const recorded = integration.secret.handedOver;
  if (typeof g.stack === "string" && g.stack !== stack)
    return `these are the outputs of stack "${g.stack}", not "${stack}"`;
  if (!same(g.tenantId, config.tenantId))
    return `these outputs are of tenant ${String(g.tenantId ?? "(none)")}, the stack file's tenant is ${config.tenantId}: are they of another stack?`;
  if (integration.dataverse && typeof g.organizationUrl === "string") {
    const url = dataverseUrlFor(config, integration.dataverse);
    if (!same(g.organizationUrl.replace(/\/+$/, ""), url))
      return `integration "${name}" of these outputs targets ${g.organizationUrl}, the stack file's ${url}: are they of another stack?`;
  }
  if (recorded?.clientId && !same(g.clientId, recorded.clientId))
    return `these outputs are of app ${String(g.clientId)}, the recorded handover of app ${recorded.clientId}: are they of another stack?`;
  return undefined;
}

/**
 * The secret to record as handed over, after every check that keeps the vendor's secret safe: the outputs are this
 * stack's, the handover does not move backwards, a requested rotation is deployed, the dates are real and the
 * secret is still valid. Each refusal says what to run instead.
 */
export function handoverCheck(input: HandoverInput): SecretOutput {
  const { stack, name, integration, secrets, rotation, now } = input;
  const foreign = foreignOutputs(input);
  if (foreign) throw new Error(`${foreign}; nothing was recorded`);
  const wanted = rotation === undefined ? secrets[secrets.length - 1] : secrets.find((s) => s.rotation === rotation);
  if (!wanted)
    throw new Error(
      `integration "${name}" has no live secret with rotation ${rotation} (live: ${secrets.map((s) => s.rotation).join(", ") || "none"})`,
    );
  const up = `\`${pulumiLine(["up", "-s", stack])}\``;
  const recorded = integration.secret.handedOver;
  if (recorded) {
    if (wanted.rotation < recorded.rotation)
      throw new Error(
        `rotation ${wanted.rotation} is older than rotation ${recorded.rotation}, which is recorded as handed over: a handover never moves backwards`,
      );
    if (wanted.rotation === recorded.rotation) {
      if (recorded.keyId && wanted.keyId && !same(wanted.keyId, recorded.keyId))
        throw new Error(
          `rotation ${wanted.rotation} has key id ${wanted.keyId} in these outputs, the recorded one ${recorded.keyId}: these outputs are of another deployment`,
        );
      if (Date.parse(wanted.createdAt) !== Date.parse(recorded.createdAt))
        throw new Error(
          `rotation ${wanted.rotation} was created ${wanted.createdAt} in these outputs, the recorded one ${recorded.createdAt}: these outputs are of another deployment`,
        );
      if (integration.secret.generation > recorded.generation) {
        throw new Error(
          `a rotation was requested (secret.generation ${integration.secret.generation}) and is not deployed yet: run ${up}, paste the new secret into the vendor's settings, then record that one`,
        );
      }
    }
  }
  const created = Date.parse(wanted.createdAt);
  const ends = Date.parse(wanted.endDate);
  if (created > now.getTime())
    throw new Error(`rotation ${wanted.rotation}: createdAt ${wanted.createdAt} is in the future`);
  if (ends <= created || ends > addMonthsUtc(new Date(created), MAX_SECRET_LIFETIME_MONTHS).getTime() + 86_400_000) {
    throw new Error(
      `rotation ${wanted.rotation}: endDate ${wanted.endDate} is not within ${MAX_SECRET_LIFETIME_MONTHS} months after createdAt ${wanted.createdAt}`,
    );
  }
  if (ends <= now.getTime())
    throw new Error(
      `rotation ${wanted.rotation} ended on ${wanted.endDate}: run ${up} for a new secret and hand that one over`,
    );
  return wanted;
}
