/**
 * The stack config, split by concern under components/config/: the schema (schema.ts, field types in fields.ts, the
 * secret block in secret.ts), the messages a person reads (messages.ts) and the parse entry points (parse.ts).
 * This file keeps `import ... from "./config"` working (and compiles to config.js, which Node resolves first).
 */
export * from "./config/index";
