import { parseStackConfig, rawConfigFrom } from "../components/config";
import { recordHandover } from "./rotation/rotateConfig";
import { handoverCheck } from "./rotation/handoverCheck";
import { secretsOf } from "./rotation/secretOutputs";
import { stackConfigFromText } from "./sandbox/stackFiles";
import { parseStackOutputs, pickIntegration, readInput } from "./sync/stackOutputs";
import { editStackFile } from "./cli/saveStackFile";
import { out, runCommand, UsageError } from "./cli/command";
import { pulumiLine } from "./cli/commandLine";
import { STACK_OPTIONS, STACK_USAGE, stackTarget } from "./cli/stackTarget";

runCommand({
  name: "record-handover",
  usage: (
    self,
  ) => `pulumi stack output -s <stack> --json | ${self} (--stack <stack> | --stack-file <path>) --integration <name> [--rotation <n>] [--dry-run]

Records in stacks/Pulumi.<stack>.yaml (secret.handedOver) that the vendor now holds a client secret: by default the
newest one the outputs list, or --rotation <n>. Run it after pasting the secret into the vendor's settings and
commit the file. The next \`pulumi up\` then removes the older secret, and the schedule counts from this one.
The outputs must be this stack's (tenant, client id, key ids); a handover never moves backwards, and a requested
rotation must be deployed first. Needs no secret values (no --show-secrets).
${STACK_USAGE}
  --integration <name>  which integration (needed when the stack has several)
  --rotation <n>        the rotation the vendor holds (default: the newest)
  --input <file>        read the outputs from a file instead of stdin ("-" for stdin)
  --dry-run             say what would be recorded; write nothing`,
  options: {
    ...STACK_OPTIONS,
    integration: { type: "string" },
    rotation: { type: "string" },
    input: { type: "string" },
    "dry-run": { type: "boolean", default: false },
  },
  run: async (values) => {
    if (values.rotation !== undefined && !/^[1-9]\d{0,5}$/.test(values.rotation))
      throw new UsageError(`--rotation must be a rotation number (1, 2, ...), got "${values.rotation}"`);
    const { stack, file } = stackTarget(values);
    const [name, outputs] = pickIntegration(
      parseStackOutputs(await readInput(values.input, "`pulumi stack output --json`")),
      values.integration,
    );
    // The vendor's own secret of an adopted integration was never managed: only a managed rotation can be handed over.
    const secrets = secretsOf(name, outputs).filter((s) => s.managed !== false);
    if (secrets.length === 0)
      throw new Error(
        `integration "${name}" has no managed secret yet: the vendor keeps its own secret until a rotation is due (its warning window, or rotate-secret); then \`pulumi up\` creates rotation 1 to hand over`,
      );
    await editStackFile(
      file,
      (text) => {
        const config = parseStackConfig(rawConfigFrom(stackConfigFromText(text, file)));
        const current = config.integrations.find((i) => i.name === name);
        if (!current)
          throw new Error(`the stack file has no integration "${name}": are these the outputs of stack "${stack}"?`);
        const wanted = handoverCheck({
          stack,
          name,
          config,
          integration: current,
          outputs,
          secrets,
          rotation: values.rotation === undefined ? undefined : Number(values.rotation),
          now: new Date(),
        });
        const edited = recordHandover(text, name, {
          rotation: wanted.rotation,
          createdAt: wanted.createdAt,
          generation: current.secret.generation,
          endDate: wanted.endDate,
          keyId: wanted.keyId || undefined,
          clientId: typeof outputs.generic.clientId === "string" ? outputs.generic.clientId : undefined,
        });
        // The edited text is validated exactly as a preview would, before it is written.
        parseStackConfig(rawConfigFrom(stackConfigFromText(edited, file)));
        const removed =
          secrets
            .filter((s) => s.rotation !== wanted.rotation)
            .map((s) => `rotation ${s.rotation}`)
            .join(", ") || "nothing";
        // (The vendor's former unmanaged secret, if any, is only listed for removal: see remove-vendor-secret.)
        out(
          `${name}: the vendor holds rotation ${wanted.rotation} (created ${wanted.createdAt}, ends ${wanted.endDate}); the next \`${pulumiLine(["up", "-s", stack])}\` removes ${removed}`,
        );
        return edited;
      },
      values["dry-run"],
      out,
    );
  },
});
