/**
 * One `Property=Value;` connection string as CData's providers read it (the ADO.NET connection string syntax):
 * every value is quoted, so a value with `;`, `=`, spaces or quotes cannot break the string. A value holding a
 * double quote is wrapped in single quotes; one holding both kinds wraps in double quotes and doubles the inner ones
 * (learn.microsoft.com/dotnet/framework/data/adonet/connection-string-syntax).
 */
export function quoteConnectionValue(value: string): string {
  if (!value.includes('"')) return `"${value}"`;
  if (!value.includes("'")) return `'${value}'`;
  return `"${value.replace(/"/g, '""')}"`;
}

export function connectionString(properties: Record<string, string>): string {
  return Object.entries(properties)
    .map(([k, v]) => `${k}=${quoteConnectionValue(v)}`)
    .join(";");
}
