import { parseArgs, type ParseArgsConfig } from "node:util";
import { commandLine } from "./commandLine";

/** A mistake in the command line itself: exit code 2 with the usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;
export type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true }>>["values"];

export interface CommandSpec<O extends Options> {
  /** The command's name as a consumer runs it (`crm-sync <name>`, `npm run -s <name>`). */
  name: string;
  /** The usage text after "usage: "; `self` is how the command is started, e.g. `npm run -s secret-status --`. */
  usage: (self: string) => string;
  options: O;
  /** Appended to --help (e.g. the stacks there are). */
  helpExtra?: () => string;
  /** Runs the command; returns the exit code (0 when nothing is returned). Throwing prints the message, exit 1. */
  run: (values: Values<O>) => Promise<number | void> | number | void;
}

/** How this command is started, for its usage line: `npm run -s <name> --` or `crm-sync <name>`. */
export function selfLine(name: string): string {
  const line = commandLine(name, ["x"]);
  return line.slice(0, -" x".length);
}

/** Resolves once everything written to `stream` so far has been handed to the reader (or the reader is gone). */
function drained(stream: NodeJS.WritableStream & { destroyed?: boolean; writable?: boolean }): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write("", () => resolve());
  });
}

/** Exits with `code` only after stdout and stderr have drained: a slow pipe still gets the whole output. */
export async function exitWhenDrained(
  code: number,
  streams: NodeJS.WritableStream[] = [process.stdout, process.stderr],
  exit: (code: number) => void = process.exit,
): Promise<void> {
  await Promise.all(streams.map(drained));
  exit(code);
}

/** The message of an error for a person: first the reason, never a stack trace. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** Writes a line to stdout. */
export function out(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** Writes a line to stderr. */
export function err(text: string): void {
  process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
}

/**
 * The one way every script in scripts/ runs: strict argument parsing with usage and --help, exit codes (0 done,
 * 1 refused or failed, 2 a wrong command line), errors printed as `<name>: <reason>` without stack traces, and an
 * exit that waits for stdout to drain.
 */
export function runCommand<O extends Options>(spec: CommandSpec<O>): void {
  // A reader that goes away (`| head`) must not turn into an unhandled EPIPE with a stack trace.
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);
  const fail = (e: unknown) => {
    err(`${spec.name}: ${errorText(e)}`);
    void exitWhenDrained(1);
  };
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
  void main(spec).then((code) => exitWhenDrained(code), fail);
}

async function main<O extends Options>(spec: CommandSpec<O>): Promise<number> {
  const usage = `usage: ${spec.usage(selfLine(spec.name))}`;
  let values: Values<O>;
  try {
    ({ values } = parseArgs({
      options: { ...spec.options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }) as { values: Values<O> });
  } catch (e) {
    err(`${spec.name}: ${errorText(e)}\n\n${usage}`);
    return 2;
  }
  if ((values as { help?: boolean }).help) {
    out(`${usage}${spec.helpExtra ? `\n\n${spec.helpExtra()}` : ""}`);
    return 0;
  }
  try {
    return (await spec.run(values)) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${spec.name}: ${e.message}\n\n${usage}`);
      return 2;
    }
    err(`${spec.name}: ${errorText(e)}`);
    return 1;
  }
}
