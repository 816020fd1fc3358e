/**
 * The stack config: schema (schema.ts, with its field types in fields.ts and the secret block in secret.ts), the
 * messages a person reads (messages.ts), and the entry points that parse Pulumi's config (parse.ts).
 */
export { dataverseHostProblem, environmentUrl, schemeProblem } from "./fields";
export type { StackConfig, IntegrationConfig, DataverseConfig } from "./schema";
export { FIELD_SCHEMAS } from "./schema";
export { CONFIG_NAMESPACE, ConfigError, formatPath } from "./messages";
export {
  MAX_CONFIG_DEPTH,
  dataverseUrlFor,
  namespaceProblems,
  parseRuntimeConfig,
  parseStackConfig,
  rawConfigFrom,
} from "./parse";
