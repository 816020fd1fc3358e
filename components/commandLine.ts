import * as path from "node:path";
import { quote } from "shell-quote";

/**
 * How the user runs the commands: through the package's `crm-sync` bin (which sets CRM_SYNC_BIN, or is argv[1]
 * itself, and is what a consumer has when this code runs from node_modules), or through this repository's npm
 * scripts. Every suggested command, in the scripts and in the program's warnings, is printed the way the user runs it.
 */
export function invokedThroughBin(
  env: NodeJS.ProcessEnv = process.env,
  argv1 = process.argv[1] ?? "",
  here = __dirname,
): boolean {
  return (
    !!env.CRM_SYNC_BIN ||
    path.basename(argv1).replace(/\.[cm]?js$/, "") === "crm-sync" ||
    here.split(path.sep).includes("node_modules")
  );
}

/** One shell word: plain words stay as they are, anything else is single-quoted (a stack named `$(touch x)`). */
export function shellWord(arg: string): string {
  return quote([arg]);
}

/** The npm script of a command inside this repository (`plan` runs as `npm start`). */
const NPM_SCRIPT: Record<string, string> = { plan: "start" };

/**
 * `crm-sync <cmd> <args>` through the bin, `npm run -s <cmd> -- <args>` inside this repository; every argument
 * shell-quoted, so the line can be pasted as it is.
 */
export function commandLine(cmd: string, args: string[] = [], bin = invokedThroughBin()): string {
  const words = args.map(shellWord);
  if (bin) return ["crm-sync", cmd, ...words].join(" ");
  const script = NPM_SCRIPT[cmd] ?? cmd;
  const head = script === "start" ? "npm start" : `npm run -s ${script}`;
  return [head, ...(words.length ? ["--", ...words] : [])].join(" ");
}

/** A `pulumi` command line with every argument shell-quoted. */
export function pulumiLine(args: string[]): string {
  return ["pulumi", ...args.map(shellWord)].join(" ");
}

/**
 * A path the user typed, resolved against the folder they ran the command from: npm runs scripts in the project
 * root and keeps the caller's folder in INIT_CWD.
 */
export function userPath(p: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.INIT_CWD ?? process.cwd(), p);
}

/** `pulumi stack output -s <stack> --json | <record-handover ...>`, every argument quoted. */
export function recordHandoverLine(stack: string, integration: string): string {
  return `${pulumiLine(["stack", "output", "-s", stack, "--json"])} | ${commandLine("record-handover", ["--stack", stack, "--integration", integration])}`;
}
