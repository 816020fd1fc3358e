import * as path from "node:path";
import { parseArgs } from "node:util";
import { readAuditInput } from "./audit/readState";
import { readInput } from "./sync/stackOutputs";
import { writeAll } from "./cli/writeAll";
import { buildReport, renderHtml, renderMarkdown } from "./audit/report";

const USAGE = `usage: pulumi preview --json | npm run -s audit-report -- [--out <dir>]
       pulumi stack export | npm run -s audit-report -- [--out <dir>]
       npm run -s audit-report -- --input <file> [--out <dir>]

Renders, per integration, every API permission by name and kind with its consent state, redirect URIs, the
Dataverse application user with its roles, change-tracked tables and client secrets (which one the vendor holds).
For a preview it starts with what the change grants and revokes, new privileges first. Without --out the Markdown
goes to stdout; with --out, audit-report.md and a self-contained audit-report.html are written there (both or none).
  --input <file>  read the export or preview JSON from a file instead of stdin ("-" for stdin)
  --out <dir>     write the two report files into this folder`;

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
    // Both files or neither: the report is never left half written.
    writeAll(values.out, [{ name: "audit-report.md", content: renderMarkdown(report) }, { name: "audit-report.html", content: renderHtml(report) }], 0o644);
    console.log(`wrote ${path.join(values.out, "audit-report.md")} and audit-report.html`);
    return 0;
  } catch (err) {
    console.error(`audit-report: ${(err as Error).message}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
