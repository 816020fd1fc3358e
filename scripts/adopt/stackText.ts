import { stringify } from "yaml";
import { CONFIG_NAMESPACE, parseRuntimeConfig } from "../../components/config";
import { stackConfigFromText } from "../sandbox/stackFiles";
import { renderDifferences, type Difference } from "./adoptPlan";

export interface StackInputs {
  tenantId: string;
  environments: { key: string; url: string }[];
  entry: Record<string, unknown>;
  differences: Difference[];
  profile: string;
  clientId: string;
}

const comment = (text: string) =>
  text
    .split("\n")
    .map((l) => `# ${l}`.trimEnd())
    .join("\n");

/** A whole stack file reproducing the adopted integration, with where it differs from the vendor's page on top. */
export function stackFileText(s: StackInputs): string {
  const config: Record<string, unknown> = { [`${CONFIG_NAMESPACE}:tenantId`]: s.tenantId };
  if (s.environments.length)
    config[`${CONFIG_NAMESPACE}:dataverseEnvironments`] = Object.fromEntries(s.environments.map((e) => [e.key, e.url]));
  config[`${CONFIG_NAMESPACE}:integrations`] = [s.entry];
  const header = [
    `Adopted by \`npm run adopt\` from app ${s.clientId} (profile ${s.profile}). The first \`pulumi preview\` imports the`,
    "app registration, its service principal and the consent that exists (no replacements); the vendor keeps its own",
    "client secret until a rotation is due. Where this setup differs from the vendor's page:",
    "",
    renderDifferences(s.differences),
  ].join("\n");
  return `${comment(header)}\n${stringify({ config }, { lineWidth: 0 })}`;
}

/** Just the integration, as a list item to paste under crm-sync:integrations of an existing stack file. */
export function integrationEntryText(s: StackInputs): string {
  return `${comment(`Adopted integration (profile ${s.profile}); paste under ${CONFIG_NAMESPACE}:integrations.\n\n${renderDifferences(s.differences)}`)}\n${stringify([s.entry], { lineWidth: 0 })}`;
}

/** Validates the stack file as `pulumi up` would, so adopt never writes one the program would refuse. */
export function validateStackText(text: string, now: Date): void {
  parseRuntimeConfig(stackConfigFromText(text, "adopted stack file"), now);
}
