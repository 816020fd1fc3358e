import * as path from "node:path";
import { readAuditInput } from "./audit/readState";
import { readInput } from "./sync/stackOutputs";
import { writeAll } from "./cli/writeAll";
import { buildReport, renderHtml, renderMarkdown } from "./audit/report";
import { reportProblems } from "./audit/reportChecks";
import { out, runCommand } from "./cli/command";
import { userPath } from "./cli/commandLine";

runCommand({
  name: "audit-report",
  usage: (self) => `pulumi preview --json | ${self} [--out <dir>]
       pulumi stack export | ${self} [--out <dir>]
       ${self} --input <file> [--out <dir>]

Renders, per integration, every API permission by name and kind with its consent state, redirect URIs, the
Dataverse application user with its roles, change-tracked tables and client secrets (which one the vendor holds).
For a preview it starts with what the change grants and revokes, new privileges first. Without --out the Markdown
goes to stdout; with --out, audit-report.md and a self-contained audit-report.html are written there (both or none).
  --input <file>  read the export or preview JSON from a file instead of stdin ("-" for stdin)
  --out <dir>     write the two report files into this folder`,
  options: { input: { type: "string" }, out: { type: "string" } },
  run: async (values) => {
    const text = await readInput(
      values.input && values.input !== "-" ? userPath(values.input) : values.input,
      "`pulumi preview --json` or `pulumi stack export`",
    );
    const report = buildReport(readAuditInput(text));
    // Fails closed: a malformed date or number is an error, never a report that reads "NaN days".
    const problems = reportProblems(report);
    if (problems.length)
      throw new Error(
        `the input has values that are not what crm-sync writes:\n  - ${problems.slice(0, 20).join("\n  - ")}`,
      );
    if (!values.out) {
      out(renderMarkdown(report));
      return;
    }
    // Both files or neither: the report is never left half written.
    writeAll(
      userPath(values.out),
      [
        { name: "audit-report.md", content: renderMarkdown(report) },
        { name: "audit-report.html", content: renderHtml(report) },
      ],
      0o644,
    );
    out(`wrote ${path.join(values.out, "audit-report.md")} and audit-report.html`);
  },
});
