import { parseStackConfig, rawConfigFrom } from "../components/config";
import { endDateOf } from "../components/entra/secretSchedule";
import { bumpGenerations } from "./rotation/rotateConfig";
import { stackConfigFromText } from "./sandbox/stackFiles";
import { editStackFile } from "./cli/saveStackFile";
import { out, runCommand, UsageError } from "./cli/command";
import { pulumiLine } from "./cli/commandLine";
import { STACK_OPTIONS, STACK_USAGE, stackTarget } from "./cli/stackTarget";

runCommand({
  name: "rotate-secret",
  usage: (self) => `${self} (--stack <name> | --stack-file <path>) (--integration <name>... | --all) [--dry-run]

Asks for an on-demand client secret rotation: bumps secret.generation in stacks/Pulumi.<stack>.yaml, keeping the
rest of the file and its comments. The next \`pulumi up\` creates a new secret beside the one the vendor holds;
that one stays until you hand the new one over and record it (record-handover), or until it ends.
Commit the changed stack file. Needs a recorded handover (secret.handedOver).
${STACK_USAGE}
  --integration <name>  the integration to rotate (repeatable)
  --all                 every integration of the stack
  --dry-run             say what would change; write nothing`,
  options: {
    ...STACK_OPTIONS,
    integration: { type: "string", multiple: true },
    all: { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
  },
  run: async (values) => {
    if ((!values.all && !values.integration?.length) || (values.all && values.integration?.length)) {
      throw new UsageError("give --stack and either --integration or --all");
    }
    const { stack, file } = stackTarget(values);
    await editStackFile(
      file,
      (current) => {
        const { text, changes } = bumpGenerations(current, values.all ? undefined : values.integration);
        // The edited text is validated exactly as a preview would, before it is written.
        const after = parseStackConfig(rawConfigFrom(stackConfigFromText(text, file)));
        for (const change of changes) {
          const held = after.integrations.find((i) => i.name === change.integration)!.secret;
          const h = held.handedOver;
          if (!h) {
            // An adopted integration before its first handover: the vendor keeps its own secret meanwhile.
            out(
              `${change.integration}: generation ${change.from} -> ${change.to}; the next \`${pulumiLine(["up", "-s", stack])}\` creates managed rotation 1 beside the vendor's own secret, which stays untouched`,
            );
            continue;
          }
          out(
            `${change.integration}: generation ${change.from} -> ${change.to}; the next \`${pulumiLine(["up", "-s", stack])}\` creates rotation ${h.rotation + 1} ` +
              `beside rotation ${h.rotation}, which the vendor holds and which stays valid until ${h.endDate ?? endDateOf(h.createdAt, held.lifetimeMonths)} or until the handover is recorded`,
          );
        }
        return text;
      },
      values["dry-run"],
      out,
    );
  },
});
