import * as fs from "node:fs";
import * as path from "node:path";
import { stackFile } from "../sandbox/stackFiles";
import { userPath } from "./commandLine";
import { UsageError } from "./command";

/** The flags every command that works on a stack takes. */
export const STACK_OPTIONS = {
  stack: { type: "string" },
  "stack-file": { type: "string" },
} as const;

export const STACK_USAGE = `  --stack <name>        the stack (its file: stacks/Pulumi.<name>.yaml)
  --stack-file <path>   the stack file itself, relative to the folder you run the command in`;

export interface StackTarget {
  /** The stack's name, for the commands printed to the user. */
  stack: string;
  /** The stack file. */
  file: string;
}

/**
 * The stack a command works on: `--stack <name>` (stacks/Pulumi.<name>.yaml) or `--stack-file <path>` (its name from
 * `Pulumi.<name>.yaml`, or --stack beside it). The file must exist and be a regular file.
 */
export function stackTarget(values: { stack?: string; "stack-file"?: string }, fallbackStack?: string): StackTarget {
  const given = values["stack-file"];
  if (given === undefined) {
    const stack = values.stack ?? fallbackStack;
    if (!stack) throw new UsageError("give the stack: --stack <name> or --stack-file <path>");
    return { stack, file: stackFile(stack) };
  }
  if (!given.trim()) throw new UsageError("--stack-file is empty: give the path of a Pulumi.<stack>.yaml file");
  const file = userPath(given);
  const stack = values.stack ?? /^Pulumi\.(.+)\.yaml$/.exec(path.basename(file))?.[1];
  if (!stack)
    throw new UsageError(
      `--stack-file ${given}: the file name is not Pulumi.<stack>.yaml; name the stack with --stack`,
    );
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw new Error(
      `--stack-file ${given}: ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`,
      { cause: err },
    );
  }
  if (!stat.isFile()) throw new Error(`--stack-file ${given}: ${file} is not a file`);
  return { stack, file };
}

/** The stack's name alone (for commands that only print suggestions), from --stack or --stack-file. */
export function stackName(values: { stack?: string; "stack-file"?: string }): string {
  if (values.stack) return values.stack;
  const fromFile = values["stack-file"] && /^Pulumi\.(.+)\.yaml$/.exec(path.basename(values["stack-file"]))?.[1];
  if (fromFile) return fromFile;
  throw new UsageError(
    values["stack-file"]
      ? "--stack-file: the file name is not Pulumi.<stack>.yaml; name the stack with --stack"
      : "--stack is required (the stack, for the commands it suggests)",
  );
}
