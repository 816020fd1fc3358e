import {
  grantsAndRevokes,
  integrationFacts,
  integrationNames,
  roleGrantLines,
  type IntegrationFacts,
  type Privilege,
} from "./facts";
import type { AuditInput } from "./readState";
import { daysUntil } from "../../components/entra/secretSchedule";

export interface AuditReport {
  title: string;
  source: string;
  changes?: { integration: string; grants: Privilege[]; revokes: Privilege[] }[];
  integrations: IntegrationFacts[];
  /** The moment the report was made; secret expiry is judged against it. */
  generatedAt: Date;
}

/** The report's content, from either input: the current state (export) or the state a preview would leave. */
export function buildReport(input: AuditInput, generatedAt: Date = new Date()): AuditReport {
  const names = integrationNames(input.resources);
  const after = names.map((n) => integrationFacts(input.resources, n, (r) => (r.op === "delete" ? undefined : r.new)));
  const report: AuditReport = {
    title: `Audit report: stack ${input.stack || "(unknown)"}`,
    source: input.source,
    integrations: after,
    generatedAt,
  };
  if (input.source === "preview") {
    report.changes = names
      .map((n, i) => ({
        integration: n,
        ...grantsAndRevokes(
          integrationFacts(input.resources, n, (r) => r.old),
          after[i],
        ),
      }))
      .filter((c) => c.grants.length || c.revokes.length);
  }
  return report;
}

type Table = { head: string[]; rows: string[][] };

/** The report as sections of paragraphs and tables, shared by both renderers. */
function sections(report: AuditReport): { heading: string; level: number; lines?: string[]; table?: Table }[] {
  const out: { heading: string; level: number; lines?: string[]; table?: Table }[] = [];
  if (report.changes) {
    const grants = report.changes.flatMap((c) => c.grants.map((p) => `${c.integration}: ${p.text}`));
    const revokes = report.changes.flatMap((c) => c.revokes.map((p) => `${c.integration}: ${p.text}`));
    out.push({ heading: "What this change grants", level: 2, lines: grants.length ? grants : ["nothing new"] });
    out.push({ heading: "What this change revokes", level: 2, lines: revokes.length ? revokes : ["nothing"] });
  }
  for (const f of report.integrations) {
    out.push({
      heading: `Integration ${f.name}`,
      level: 2,
      lines: f.application
        ? [`Application "${f.application.displayName}", client id ${f.application.clientId}, ${f.application.audience}`]
        : ["no application"],
    });
    out.push({
      heading: "API permissions",
      level: 3,
      table: {
        head: ["Permission", "Kind", "Consent"],
        rows: f.permissions.map((p) => [
          p.label,
          p.kind,
          p.consented ? "granted (admin consent as code)" : "not granted here",
        ]),
      },
    });
    out.push({
      heading: "Redirect URIs",
      level: 3,
      table: { head: ["Platform", "URI"], rows: f.redirectUris.map((r) => [r.platform, r.uri]) },
    });
    out.push({
      heading: "Dataverse application user",
      level: 3,
      lines: f.appUser
        ? [
            `Environment ${f.appUser.environmentUrl}, business unit ${f.appUser.businessUnit}`,
            `Security roles: ${f.appUser.roles.join(", ") || "none"}`,
          ]
        : ["none"],
    });
    if (f.role) {
      const lines = roleGrantLines(f.role).map(
        (g) =>
          `${g.operation} ${g.table} at ${g.depth === "narrowest" ? "the narrowest allowed" : g.depth} depth: ${g.name}${g.admin ? ` (ADMINISTRATOR-LEVEL: ${g.admin})` : ""}`,
      );
      if (f.role.administrativeReason)
        lines.push(`administrator-level access opted in, reason: ${f.role.administrativeReason}`);
      out.push({ heading: `Generated security role "${f.role.name}"`, level: 3, lines });
    }
    out.push({ heading: "Change-tracked tables", level: 3, lines: [f.tables.join(", ") || "none"] });
    if (f.profileEntries) {
      const rows = Object.entries(f.profileEntries).map(([field, o]) => [
        field,
        o.fromProfile.join(", ") || "-",
        o.fromUser.join(", ") || "-",
        o.replaced ? "yes" : "no",
      ]);
      out.push({
        heading: "Where the lists came from",
        level: 3,
        table: { head: ["Field", "From the profile", "Added by the user", "Profile's list replaced"], rows },
      });
    }
    out.push({
      heading: "Client secrets",
      level: 3,
      lines: [heldLine(f, report.generatedAt)],
      table: {
        head: ["Rotation", "Ends", "Vendor holds it"],
        rows: [
          ...vendorRow(f),
          ...f.secrets.map((s) => [
            s.slot === s.rotation ? s.rotation : `${s.rotation} (slot ${s.slot})`,
            s.endDate,
            heldCell(s),
          ]),
        ],
      },
    });
  }
  return out;
}

/** The vendor's own secret of an adopted integration, first in the table. */
const vendorRow = (f: IntegrationFacts): string[][] =>
  f.vendorSecret
    ? [
        [
          `vendor's own, unmanaged (key id ${f.vendorSecret.keyId})`,
          f.vendorSecret.endsAt,
          f.vendorSecret.status === "held"
            ? "yes"
            : f.vendorSecret.status === "removalRequested"
              ? "no (removal requested)"
              : "no (listed for removal)",
        ],
      ]
    : [];

const heldCell = (s: IntegrationFacts["secrets"][number]) =>
  s.heldByVendor !== undefined
    ? s.heldByVendor
      ? "yes"
      : "no (awaiting handover)"
    : s.active !== undefined
      ? s.active
        ? "active slot"
        : "previous slot"
      : "?";

/** The expiry of the secret the vendor holds: the warning tracks that one, not the newest. */
function heldLine(f: IntegrationFacts, now: Date): string {
  if (!f.held && f.vendorSecret?.status === "held") {
    const days = daysUntil(f.vendorSecret.endsAt, now);
    return `The vendor holds its own secret (key id ${f.vendorSecret.keyId}, unmanaged: made before this stack adopted the app), ending ${f.vendorSecret.endsAt} (${days} days from ${now.toISOString().slice(0, 10)}).`;
  }
  if (f.vendorSecret && f.vendorSecret.status !== "held" && f.held) {
    return `${heldLine({ ...f, vendorSecret: undefined }, now)} The vendor's former secret ${f.vendorSecret.keyId} (unmanaged) is ${f.vendorSecret.status === "removalRequested" ? "to be removed" : "listed for removal"}.`;
  }
  if (!f.held) return "No handover is recorded: the report cannot tell which secret the vendor holds.";
  const days = daysUntil(f.held.endsAt, now);
  const state =
    days < 0
      ? "ENDED"
      : days <= f.held.warningDays
        ? `WARNING: ends within the ${f.held.warningDays}-day window, hand over the next secret`
        : "within its lifetime";
  return `The vendor holds rotation ${f.held.rotation}, ending ${f.held.endsAt} (${days} days from ${now.toISOString().slice(0, 10)}): ${state}.`;
}

const mdCell = (s: string) => s.replace(/\|/g, "\\|");

export function renderMarkdown(report: AuditReport): string {
  const lines = [`# ${report.title}`, "", `From \`${report.source}\`. Secret values are never included.`];
  for (const s of sections(report)) {
    lines.push("", `${"#".repeat(s.level)} ${s.heading}`, "");
    if (s.lines)
      lines.push(
        ...(s.heading.startsWith("What this change")
          ? s.lines.map((l) => `- ${l}`)
          : s.lines.flatMap((l, i) => (i ? ["", l] : [l]))),
      );
    if (s.table) {
      if (!s.table.rows.length) lines.push("none");
      else
        lines.push(
          `| ${s.table.head.join(" | ")} |`,
          `|${s.table.head.map(() => "---").join("|")}|`,
          ...s.table.rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`),
        );
    }
  }
  return `${lines.join("\n")}\n`;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export function renderHtml(report: AuditReport): string {
  const body = sections(report)
    .map((s) => {
      const h = `<h${s.level}>${esc(s.heading)}</h${s.level}>`;
      const list = s.lines
        ? s.heading.startsWith("What this change")
          ? `<ul>${s.lines.map((l) => `<li>${esc(l)}</li>`).join("")}</ul>`
          : s.lines.map((l) => `<p>${esc(l)}</p>`).join("")
        : "";
      const table = s.table
        ? s.table.rows.length
          ? `<table><thead><tr>${s.table.head.map((c) => `<th>${esc(c)}</th>`).join("")}</tr></thead><tbody>${s.table.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`
          : "<p>none</p>"
        : "";
      return h + list + table;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(report.title)}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
th{background:#f3f3f3}h2{border-bottom:1px solid #ddd;margin-top:2rem}</style></head>
<body><h1>${esc(report.title)}</h1><p>From <code>${esc(report.source)}</code>. Secret values are never included.</p>
${body}
</body></html>
`;
}
