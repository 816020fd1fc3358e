import { randomUUID } from "node:crypto";
import { parseRuntimeConfig } from "../../components/config";
import {
  dynamicResources,
  runDataverseResources,
  startSandboxEnvironments,
  type DataverseRun,
  type SandboxEnvironments,
} from "./dataverseRun";
import { evaluateStack, type Plan } from "./evaluate";
import { renderStackOutputs } from "./renderOutputs";
import { planJson, renderPlanText } from "./renderPlan";
import { renderDataverseRun, withRealUrls } from "./renderSandbox";

export interface SandboxOptions {
  /** Only the plan: no Dataverse run, no outputs. */
  planOnly?: boolean;
  json?: boolean;
  /** The moment the stack is evaluated at (`--at`); default the moment the run starts. */
  now?: () => Date;
  /** Progress lines (stderr in `npm start`). */
  progress?: (line: string) => void;
  /** Called with the emulated environments after the run, before they close (tests read the emulators' data). */
  inspect?: (env: SandboxEnvironments) => void | Promise<void>;
}

export interface SandboxReport {
  text: string;
  /** The Dataverse run failed (the plan is still in the text; the command exits 1). */
  failed: boolean;
}

const NOTHING_LEFT =
  "Nothing left this machine: Entra was simulated in process (its ids are placeholders), Dataverse was the local emulator (its ids are the ones the emulator created).";
const PLAN_ONLY =
  "Plan only (--plan-only): the Dataverse side was not run and no stack outputs are shown; Entra ids are placeholders.";

/** The created resources' outputs the JSON document carries (ids and names; the privileges are in the plan). */
const SHOWN_OUTS = ["roleName", "roleId", "systemUserId", "businessUnitId", "roleIds", "adopted", "enabledEntities"];

/** The Dataverse run for the JSON document: what was created, with its ids, and the counts of both runs. */
function runJson(run: DataverseRun): unknown {
  return {
    created: run.created.map(({ type, name, id, outs }) => ({
      type,
      name,
      id,
      ...Object.fromEntries(SHOWN_OUTS.filter((k) => outs[k] !== undefined).map((k) => [k, outs[k]])),
    })),
    firstRun: run.first,
    secondRun: run.second,
  };
}

/** The program runs twice (plan, then outputs with the real ids); a warning it logs is printed once. Returns the undo. */
function warnOnce(): () => void {
  const warn = console.warn;
  const seen = new Set<string>();
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(" ");
    if (!seen.has(text)) warn(...args);
    seen.add(text);
  };
  return () => {
    console.warn = warn;
  };
}

/**
 * The sandbox: the plan, then (unless plan-only) the Dataverse resources run for real against emulators, then the stack
 * outputs evaluated again with the ids that run created, as the program's outputs carry them after `pulumi up`.
 */
export async function runSandbox(
  stack: string,
  config: Record<string, string>,
  options: SandboxOptions = {},
): Promise<SandboxReport> {
  if (options.planOnly) {
    const plan = await evaluateStack(stack, { config, now: options.now });
    return { text: options.json ? planJson(plan, {}) : `${renderPlanText(plan)}\n\n${PLAN_ONLY}`, failed: false };
  }
  // The stack is validated exactly as `pulumi up` would, before its environments are swapped for emulators.
  parseRuntimeConfig(config, options.now?.());
  // One moment for both evaluations, so the outputs belong to the plan printed above them.
  const at = options.now?.() ?? new Date();
  const now = () => at;
  const progress = options.progress ?? (() => {});
  const env = await startSandboxEnvironments(config, `sandbox-${randomUUID()}`);
  const restoreWarn = warnOnce();
  try {
    const plan = await evaluateStack(stack, { config: env.config, now });
    const urls = new Map([...env.emulators].map(([real, e]) => [e.url, real]));
    progress(`running ${dynamicResources(plan.resources).length} Dataverse resources against the emulator ...`);
    // The plan is printed whatever happens to the Dataverse run; a failed run is reported under it and fails the command.
    const run = await runDataverseResources(plan.resources, env, progress).catch((e: Error) => e);
    const final: Plan | undefined =
      run instanceof Error ? undefined : await evaluateStack(stack, { config: env.config, now, created: run.created });
    await options.inspect?.(env);
    if (options.json) {
      const parts =
        run instanceof Error || !final
          ? {
              dataverse: { failed: run instanceof Error ? run.message : "no outputs" },
              outputs: null,
              outputsNotAvailable: "the Dataverse run failed (dataverse.failed says why)",
            }
          : { dataverse: runJson(run), outputs: final.outputs };
      return { text: withRealUrls(planJson(final ?? plan, parts), urls, false), failed: run instanceof Error };
    }
    const outcome = run instanceof Error ? `\nDataverse run FAILED: ${run.message}` : renderDataverseRun(run);
    const outputs = renderStackOutputs(
      final?.outputs,
      "the Dataverse run failed (see above): `pulumi up` would stop there",
    );
    return {
      text: withRealUrls(`${renderPlanText(plan)}\n${outcome}\n\n${outputs}\n\n${NOTHING_LEFT}`, urls),
      failed: run instanceof Error,
    };
  } finally {
    restoreWarn();
    await env.close();
  }
}
