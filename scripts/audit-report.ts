import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { readAuditInput } from "./audit/readState";
import { readInput } from "./sync/stackOutputs";
import { buildReport, renderHtml, renderMarkdown } from "./audit/report";

const USAGE = `usage: pulumi preview --json | npm run -s audit-report -- [--out <dir>]
       pulumi stack export | npm run -s audit-report -- [--out <dir>]
       npm run -s audit-report -- --input <file> [--out <dir>]

Renders, per integration, every API permission by name and kind with its consent state, redirect URIs, the
Dataverse application user with its roles, change-tracked tables and client secret slots. For a preview it
starts with what the change grants and revokes, new privileges first. Without --out the Markdown goes to
stdout; with --out, audit-report.md and a self-contained audit-report.html are written there.`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { input: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } } }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) { console.log(USAGE); return 0; }
  try {
    const text = await readInput(values.input, "`pulumi preview --json` or `pulumi stack export`");
    const report = buildReport(readAuditInput(text));
    if (!values.out) {
      process.stdout.write(renderMarkdown(report));
      return 0;
    }
    fs.mkdirSync(values.out, { recursive: true });
    fs.writeFileSync(path.join(values.out, "audit-report.md"), renderMarkdown(report));
    fs.writeFileSync(path.join(values.out, "audit-report.html"), renderHtml(report));
    console.log(`wrote ${path.join(values.out, "audit-report.md")} and audit-report.html`);
    return 0;
  } catch (err) {
    console.error(`audit-report: ${(err as Error).message}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
